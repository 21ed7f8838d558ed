-- inventory_data_ext: the lake's inventory_data files as one table, with the Hive partition's date and
-- hour as columns, over complete partitions only: a partition counts once its manifest
-- exists (the lake writes manifests after the data, so a half-written hour stays hidden).
-- Reads the lake at query time; analytics use the managed tables instead.
CREATE OR REPLACE VIEW inventory_data_ext AS
SELECT d.*
FROM read_csv('{{lake}}/inventory_data/*/*/*.csv',
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER},
    columns = {
        'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'opening_stock': 'INTEGER',
        'restocked': 'INTEGER', 'returned': 'INTEGER', 'adjusted': 'INTEGER',
        'units_sold': 'INTEGER', 'closing_stock': 'INTEGER', 'par_level': 'INTEGER'
    }) AS d
SEMI JOIN read_json('{{lake}}/_manifests/inventory_data/*/*.json',
    columns = {'date': 'DATE', 'hour': 'INTEGER'}) AS m
    ON d.date = m.date AND d.hour = m.hour;
