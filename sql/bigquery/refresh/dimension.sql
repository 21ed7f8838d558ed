-- Merges one partition of a dimension ({{table}}, staged by a load job) into its current
-- state keyed by {{key}}, and records the partition, in one transaction. The caller only
-- passes a partition newer than the one the current state came from; ids absent from it keep
-- their last row. The column lists ({{set}}, {{columns}}, {{values}}) are the table's lake
-- columns, written out by the caller from the data contract. Placeholders as in
-- load_hour.sql, plus {{stage}}, {{rows}}, {{crc32c}}.
BEGIN TRANSACTION;

MERGE `${project}.${dataset}.{{managed}}` AS t
USING `${project}.${dataset}.{{stage}}` AS s
ON t.{{key}} = s.{{key}}
WHEN MATCHED THEN UPDATE SET {{set}},
    date = {{date}}, hour = {{hour}}, ingested_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT ({{columns}}, date, hour, ingested_at)
    VALUES ({{values}}, {{date}}, {{hour}}, {{ingested_at}});

MERGE `${project}.${dataset}.partition_state` AS t
USING (SELECT '{{table}}' AS table_name) AS s
ON t.table_name = s.table_name AND t.date = {{date}} AND t.hour = {{hour}}
WHEN MATCHED THEN UPDATE SET `rows` = {{rows}}, crc32c = {{crc32c}}, loaded_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (table_name, date, hour, `rows`, crc32c, loaded_at)
    VALUES (s.table_name, {{date}}, {{hour}}, {{rows}}, {{crc32c}}, {{ingested_at}});

COMMIT TRANSACTION;
