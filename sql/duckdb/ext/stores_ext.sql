-- stores_ext: the lake's stores files as one table, with the Hive partition's date and
-- hour as columns, over complete partitions only: a partition counts once its manifest
-- exists (the lake writes manifests after the data, so a half-written hour stays hidden).
-- Reads the lake at query time; analytics use the managed tables instead.
CREATE OR REPLACE VIEW stores_ext AS
SELECT d.*
FROM read_csv('{{lake}}/stores/*/*/*.csv',
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER},
    columns = {
        'store_id': 'VARCHAR', 'store_name': 'VARCHAR', 'city': 'VARCHAR',
        'state': 'VARCHAR', 'format': 'VARCHAR', 'size_sqft': 'BIGINT',
        'manager': 'VARCHAR', 'opened_on': 'DATE'
    }) AS d
SEMI JOIN read_json('{{lake}}/_manifests/stores/*/*.json',
    columns = {'date': 'DATE', 'hour': 'INTEGER'}) AS m
    ON d.date = m.date AND d.hour = m.hour;
