-- Average basket per date. A basket is one transaction_id (its lines share it). With a
-- category, only that category's lines count (baskets: those that bought in it). The averages
-- divide the exact totals once, as FLOAT64, so they equal the DuckDB warehouse's.
-- Parameters (named, typed): @date_from, @date_to DATE (NULL for open); @category, @state,
-- @store_id STRING (NULL for all). Money comes back as INT64 cents.
SELECT
    CAST(s.date AS STRING) AS date,
    COUNT(DISTINCT s.transaction_id) AS baskets,
    COUNT(*) AS lines,
    CAST(SUM(s.quantity) AS INT64) AS units,
    CAST(SUM(s.total_amount) * 100 AS INT64) AS revenue_cents,
    CAST(CAST(SUM(s.total_amount) * 100 AS INT64) AS FLOAT64) / COUNT(DISTINCT s.transaction_id) AS avg_basket_cents,
    CAST(SUM(s.quantity) AS FLOAT64) / COUNT(DISTINCT s.transaction_id) AS avg_units
FROM `${project}.${dataset}.sales_data_managed` AS s
LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
WHERE (@date_from IS NULL OR s.date >= @date_from)
  AND (@date_to IS NULL OR s.date <= @date_to)
  AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
  AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
  AND (@store_id IS NULL OR s.store_id = @store_id)
GROUP BY 1
ORDER BY date;
