-- Period over period per category: revenue and units of the @days days ending on the last
-- date (@date_to, else the newest loaded date) beside the @days days before them, ordered by
-- the current period's revenue (descending) then category. Categories that sold in neither
-- have no row. @date_from: lines before it count in neither period; @category, @state,
-- @store_id STRING (NULL for all).
WITH bounds AS (
    SELECT COALESCE(@date_to, (SELECT MAX(date) FROM `${project}.${dataset}.sales_data_managed`)) AS end_date
),
lines AS (
    SELECT
        COALESCE(p.category, '(unknown)') AS category,
        s.date > DATE_SUB(b.end_date, INTERVAL @days DAY) AS current_period,
        s.quantity,
        s.total_amount,
        b.end_date
    FROM `${project}.${dataset}.sales_data_managed` AS s
    CROSS JOIN bounds AS b
    LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
    LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
    WHERE s.date <= b.end_date
      AND s.date > DATE_SUB(b.end_date, INTERVAL 2 * @days DAY)
      AND (@date_from IS NULL OR s.date >= @date_from)
      AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
      AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
      AND (@store_id IS NULL OR s.store_id = @store_id)
)
SELECT
    category,
    CAST(MAX(end_date) AS STRING) AS period_end,
    CAST(COALESCE(SUM(IF(current_period, total_amount, NULL)), 0) * 100 AS INT64) AS current_revenue_cents,
    CAST(COALESCE(SUM(IF(NOT current_period, total_amount, NULL)), 0) * 100 AS INT64) AS previous_revenue_cents,
    CAST(COALESCE(SUM(IF(current_period, quantity, NULL)), 0) AS INT64) AS current_units,
    CAST(COALESCE(SUM(IF(NOT current_period, quantity, NULL)), 0) AS INT64) AS previous_units
FROM lines
GROUP BY category
ORDER BY current_revenue_cents DESC, category;
