-- Merges one partition's stores (staged by a load job) into the current state keyed by
-- store_id, and records the partition, in one transaction. The caller only passes a
-- partition newer than the one the current state came from; ids absent from it keep their
-- last row. Placeholders as in load_hour.sql, plus {{stage}}, {{rows}}, {{crc32c}}.
BEGIN TRANSACTION;

MERGE `${project}.${dataset}.stores_managed` AS t
USING `${project}.${dataset}.{{stage}}` AS s
ON t.store_id = s.store_id
WHEN MATCHED THEN UPDATE SET store_name = s.store_name, city = s.city, state = s.state,
    format = s.format, size_sqft = s.size_sqft, manager = s.manager, opened_on = s.opened_on,
    date = {{date}}, hour = {{hour}}, ingested_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (store_id, store_name, city, state, format, size_sqft, manager,
    opened_on, date, hour, ingested_at)
    VALUES (s.store_id, s.store_name, s.city, s.state, s.format, s.size_sqft, s.manager,
    s.opened_on, {{date}}, {{hour}}, {{ingested_at}});

MERGE `${project}.${dataset}.partition_state` AS t
USING (SELECT 'stores' AS table_name) AS s
ON t.table_name = s.table_name AND t.date = {{date}} AND t.hour = {{hour}}
WHEN MATCHED THEN UPDATE SET `rows` = {{rows}}, crc32c = {{crc32c}}, loaded_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (table_name, date, hour, `rows`, crc32c, loaded_at)
    VALUES (s.table_name, {{date}}, {{hour}}, {{rows}}, {{crc32c}}, {{ingested_at}});

COMMIT TRANSACTION;
