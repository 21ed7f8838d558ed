-- The partition each dimension's current state was last merged from (none while it is
-- empty). Only a newer partition may replace it.
SELECT table_name, CAST(date AS VARCHAR) AS date, hour
FROM partition_state
WHERE table_name IN ('product_catalog', 'stores')
QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY date DESC, hour DESC) = 1;
