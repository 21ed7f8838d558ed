-- Sales per weekday (ISO: 1 Monday to 7 Sunday) and hour of day, summed over the dates:
-- baskets, units and revenue, ordered by weekday then hour. Cells without sales have no row.
-- Parameters (named, typed): @date_from, @date_to DATE (NULL for open); @category, @state,
-- @store_id STRING (NULL for all).
SELECT
    MOD(EXTRACT(DAYOFWEEK FROM s.date) + 5, 7) + 1 AS weekday,
    s.hour,
    COUNT(DISTINCT s.transaction_id) AS transactions,
    CAST(SUM(s.quantity) AS INT64) AS units,
    CAST(SUM(s.total_amount) * 100 AS INT64) AS revenue_cents
FROM `${project}.${dataset}.sales_data_managed` AS s
LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
WHERE (@date_from IS NULL OR s.date >= @date_from)
  AND (@date_to IS NULL OR s.date <= @date_to)
  AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
  AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
  AND (@store_id IS NULL OR s.store_id = @store_id)
GROUP BY weekday, s.hour
ORDER BY weekday, hour;
