-- product_catalog_ext: the lake's product_catalog files as one table, with the Hive partition's date and
-- hour as columns, over complete partitions only: a partition counts once its manifest
-- exists (the lake writes manifests after the data, so a half-written hour stays hidden).
-- Reads the lake at query time; analytics use the managed tables instead.
CREATE OR REPLACE VIEW product_catalog_ext AS
SELECT d.*
FROM read_csv('{{lake}}/product_catalog/*/*/*.csv',
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER},
    columns = {
        'product_id': 'VARCHAR', 'name': 'VARCHAR', 'category': 'VARCHAR',
        'brand': 'VARCHAR', 'unit_price': 'DECIMAL(12,2)', 'list_price': 'DECIMAL(12,2)',
        'cost_price': 'DECIMAL(12,2)', 'supplier_id': 'VARCHAR', 'supplier_name': 'VARCHAR'
    }) AS d
SEMI JOIN read_json('{{lake}}/_manifests/product_catalog/*/*.json',
    columns = {'date': 'DATE', 'hour': 'INTEGER'}) AS m
    ON d.date = m.date AND d.hour = m.hour;
