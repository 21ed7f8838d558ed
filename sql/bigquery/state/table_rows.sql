-- Rows in each managed table, in the lake's table order.
SELECT 'product_catalog_managed' AS table_name, COUNT(*) AS n FROM `${project}.${dataset}.product_catalog_managed`
UNION ALL SELECT 'stores_managed', COUNT(*) FROM `${project}.${dataset}.stores_managed`
UNION ALL SELECT 'sales_data_managed', COUNT(*) FROM `${project}.${dataset}.sales_data_managed`
UNION ALL SELECT 'inventory_data_managed', COUNT(*) FROM `${project}.${dataset}.inventory_data_managed`
UNION ALL SELECT 'negative_inventory_alerts', COUNT(*) FROM `${project}.${dataset}.negative_inventory_alerts`;
