-- The fact hours already loaded. An hour's three fact tables load in one transaction, so
-- its sales_data row stands for all of them.
SELECT CAST(date AS VARCHAR) AS date, hour
FROM partition_state
WHERE table_name = 'sales_data'
ORDER BY date, hour;
