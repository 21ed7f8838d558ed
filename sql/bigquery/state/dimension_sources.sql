-- The partition each dimension's current state was last merged from (none while empty).
SELECT table_name, CAST(date AS STRING) AS date, hour
FROM `${project}.${dataset}.partition_state`
WHERE table_name IN ('product_catalog', 'stores')
QUALIFY ROW_NUMBER() OVER (PARTITION BY table_name ORDER BY date DESC, hour DESC) = 1;
