-- Seed 001's Looker KPIs per store and hour of day (0-23, summed over the dates): baskets
-- (distinct transaction_id), identified customers (distinct non-empty customer_id), units,
-- revenue, and the revenue of identified customers' lines, ordered by store then hour. The
-- averages (spend per customer, items per transaction) divide these exact totals.
-- Parameters (named, typed): @date_from, @date_to DATE (NULL for open); @category, @state,
-- @store_id STRING (NULL for all).
SELECT
    s.store_id,
    s.hour,
    COUNT(DISTINCT s.transaction_id) AS transactions,
    COUNT(DISTINCT NULLIF(s.customer_id, '')) AS customers,
    CAST(SUM(s.quantity) AS INT64) AS units,
    CAST(SUM(s.total_amount) * 100 AS INT64) AS revenue_cents,
    CAST(COALESCE(SUM(IF(NULLIF(s.customer_id, '') IS NOT NULL, s.total_amount, NULL)), 0) * 100 AS INT64) AS customer_revenue_cents
FROM `${project}.${dataset}.sales_data_managed` AS s
LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
WHERE (@date_from IS NULL OR s.date >= @date_from)
  AND (@date_to IS NULL OR s.date <= @date_to)
  AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
  AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
  AND (@store_id IS NULL OR s.store_id = @store_id)
GROUP BY s.store_id, s.hour
ORDER BY s.store_id, hour;
