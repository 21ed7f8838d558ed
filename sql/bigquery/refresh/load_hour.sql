-- Loads one lake hour: its three fact tables from their staging tables (load jobs of the
-- verified partition bytes), recorded in partition_state, and the watermark moved forward,
-- in one transaction. Any error rolls the whole hour back.
-- Placeholders (filled from typed values by src/warehouse/bigquery/sql.rs): {{date}} DATE
-- literal, {{hour}}, {{ingested_at}} TIMESTAMP literal, {{sales_stage}}, {{inventory_stage}},
-- {{alerts_stage}} staging table names, {{sales_rows}}, {{inventory_rows}}, {{alerts_rows}}
-- manifest row counts and {{sales_crc32c}}, {{inventory_crc32c}}, {{alerts_crc32c}} string
-- literals of the manifests' checksums.
-- Delete-then-insert makes it idempotent: running it again leaves one copy of the hour.
BEGIN TRANSACTION;

DELETE FROM `${project}.${dataset}.sales_data_managed` WHERE date = {{date}} AND hour = {{hour}};
INSERT INTO `${project}.${dataset}.sales_data_managed` (transaction_id, line_number, sold_at,
    store_id, product_id, customer_id, quantity, unit_price, total_amount, payment_method,
    date, hour, ingested_at)
SELECT transaction_id, line_number, sold_at, store_id, product_id, customer_id, quantity,
    unit_price, total_amount, payment_method, {{date}}, {{hour}}, {{ingested_at}}
FROM `${project}.${dataset}.{{sales_stage}}`;

DELETE FROM `${project}.${dataset}.inventory_data_managed` WHERE date = {{date}} AND hour = {{hour}};
INSERT INTO `${project}.${dataset}.inventory_data_managed` (store_id, product_id, opening_stock,
    restocked, returned, adjusted, units_sold, closing_stock, par_level, date, hour, ingested_at)
SELECT store_id, product_id, opening_stock, restocked, returned, adjusted, units_sold,
    closing_stock, par_level, {{date}}, {{hour}}, {{ingested_at}}
FROM `${project}.${dataset}.{{inventory_stage}}`;

DELETE FROM `${project}.${dataset}.negative_inventory_alerts` WHERE date = {{date}} AND hour = {{hour}};
INSERT INTO `${project}.${dataset}.negative_inventory_alerts` (alert_id, date, hour, store_id,
    product_id, opening_stock, restocked, returned, units_sold, closing_stock, detected_at,
    ingested_at)
SELECT alert_id, date, hour, store_id, product_id, opening_stock, restocked, returned,
    units_sold, closing_stock, detected_at, {{ingested_at}}
FROM `${project}.${dataset}.{{alerts_stage}}`;

-- The alert file's own date and hour must be the partition's. Checked after the inserts,
-- inside the transaction: an error here rolls the hour's deletes and inserts back.
SELECT CASE WHEN COUNT(*) > 0 THEN ERROR(CONCAT('negative_inventory_alerts: ',
    CAST(COUNT(*) AS STRING), ' rows are not of partition ', CAST({{date}} AS STRING),
    ' hour ', CAST({{hour}} AS STRING))) ELSE 0 END AS misplaced
FROM `${project}.${dataset}.{{alerts_stage}}`
WHERE date <> {{date}} OR hour <> {{hour}};

MERGE `${project}.${dataset}.partition_state` AS t
USING (
    SELECT 'sales_data' AS table_name, {{sales_rows}} AS n, {{sales_crc32c}} AS crc32c
    UNION ALL SELECT 'inventory_data', {{inventory_rows}}, {{inventory_crc32c}}
    UNION ALL SELECT 'negative_inventory_alerts', {{alerts_rows}}, {{alerts_crc32c}}
) AS s
ON t.table_name = s.table_name AND t.date = {{date}} AND t.hour = {{hour}}
WHEN MATCHED THEN UPDATE SET `rows` = s.n, crc32c = s.crc32c, loaded_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (table_name, date, hour, `rows`, crc32c, loaded_at)
    VALUES (s.table_name, {{date}}, {{hour}}, s.n, s.crc32c, {{ingested_at}});

-- Moves the watermark to this hour if it is newer; a late older hour leaves it be.
MERGE `${project}.${dataset}.refresh_watermark` AS t
USING (SELECT 1 AS id) AS s
ON t.id = s.id
WHEN MATCHED AND (t.date < {{date}} OR (t.date = {{date}} AND t.hour < {{hour}})) THEN
    UPDATE SET date = {{date}}, hour = {{hour}}, updated_at = {{ingested_at}}
WHEN NOT MATCHED THEN INSERT (id, date, hour, updated_at)
    VALUES (1, {{date}}, {{hour}}, {{ingested_at}});

COMMIT TRANSACTION;
