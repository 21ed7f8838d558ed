-- Merges one partition's product_catalog (staged by a load job) into the current state keyed
-- by product_id, and records the partition, in one transaction. The caller only passes a
-- partition newer than the one the current state came from; ids absent from it keep their
-- last row. Placeholders as in load_hour.sql, plus {{stage}}, {{rows}}, {{crc32c}}.
BEGIN TRANSACTION;

MERGE `${project}.${dataset}.product_catalog_managed` AS t
USING `${project}.${dataset}.{{stage}}` AS s
ON t.product_id = s.product_id
WHEN MATCHED THEN UPDATE SET name = s.name, category = s.category, brand = s.brand,
    unit_price = s.unit_price, list_price = s.list_price, cost_price = s.cost_price,
    supplier_id = s.supplier_id, supplier_name = s.supplier_name,
    date = {{date}}, hour = {{hour}}, ingested_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (product_id, name, category, brand, unit_price, list_price,
    cost_price, supplier_id, supplier_name, date, hour, ingested_at)
    VALUES (s.product_id, s.name, s.category, s.brand, s.unit_price, s.list_price,
    s.cost_price, s.supplier_id, s.supplier_name, {{date}}, {{hour}}, {{ingested_at}});

MERGE `${project}.${dataset}.partition_state` AS t
USING (SELECT 'product_catalog' AS table_name) AS s
ON t.table_name = s.table_name AND t.date = {{date}} AND t.hour = {{hour}}
WHEN MATCHED THEN UPDATE SET `rows` = {{rows}}, crc32c = {{crc32c}}, loaded_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (table_name, date, hour, `rows`, crc32c, loaded_at)
    VALUES (s.table_name, {{date}}, {{hour}}, {{rows}}, {{crc32c}}, {{ingested_at}});

COMMIT TRANSACTION;
