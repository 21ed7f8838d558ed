-- sales_data_ext: the lake's sales_data files as one table, with the Hive partition's date and
-- hour as columns, over complete partitions only: a partition counts once its manifest
-- exists (the lake writes manifests after the data, so a half-written hour stays hidden).
-- Reads the lake at query time; analytics use the managed tables instead.
CREATE OR REPLACE VIEW sales_data_ext AS
SELECT d.*
FROM read_csv('{{lake}}/sales_data/*/*/*.csv',
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER},
    columns = {
        'transaction_id': 'VARCHAR', 'line_number': 'INTEGER', 'sold_at': 'TIMESTAMP',
        'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'customer_id': 'VARCHAR',
        'quantity': 'INTEGER', 'unit_price': 'DECIMAL(12,2)',
        'total_amount': 'DECIMAL(12,2)', 'payment_method': 'VARCHAR'
    }) AS d
SEMI JOIN read_json('{{lake}}/_manifests/sales_data/*/*.json',
    columns = {'date': 'DATE', 'hour': 'INTEGER'}) AS m
    ON d.date = m.date AND d.hour = m.hour;
