-- The best-selling products by revenue (ties by product_id).
-- Parameters (named, typed): @date_from, @date_to DATE (NULL for open); @category, @state,
-- @store_id STRING (NULL for all). Money comes back as INT64 cents.
-- @row_limit INT64: how many.
SELECT
    s.product_id,
    p.name,
    COALESCE(p.category, '(unknown)') AS category,
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
GROUP BY 1, 2, 3
ORDER BY revenue_cents DESC, product_id
LIMIT @row_limit;
