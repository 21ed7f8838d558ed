-- The fact hours already loaded; an hour's sales_data row stands for its three fact tables.
SELECT CAST(date AS STRING) AS date, hour
FROM `${project}.${dataset}.partition_state`
WHERE table_name = 'sales_data'
ORDER BY date, hour;
