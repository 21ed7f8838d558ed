-- negative_inventory_alerts_ext: the lake's negative_inventory_alerts files as one table, with the Hive partition's date and
-- hour as columns, over complete partitions only: a partition counts once its manifest
-- exists (the lake writes manifests after the data, so a half-written hour stays hidden).
-- The alert file carries date and hour columns of its own; the partition's values (equal by
-- the data contract) take their place here.
-- Reads the lake at query time; analytics use the managed tables instead.
CREATE OR REPLACE VIEW negative_inventory_alerts_ext AS
SELECT d.*
FROM read_csv('{{lake}}/negative_inventory_alerts/*/*/*.csv',
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER},
    columns = {
        'alert_id': 'VARCHAR', 'date': 'DATE', 'hour': 'INTEGER', 'store_id': 'VARCHAR',
        'product_id': 'VARCHAR', 'opening_stock': 'INTEGER', 'restocked': 'INTEGER',
        'returned': 'INTEGER', 'units_sold': 'INTEGER', 'closing_stock': 'INTEGER',
        'detected_at': 'TIMESTAMP'
    }) AS d
SEMI JOIN read_json('{{lake}}/_manifests/negative_inventory_alerts/*/*.json',
    columns = {'date': 'DATE', 'hour': 'INTEGER'}) AS m
    ON d.date = m.date AND d.hour = m.hour;
