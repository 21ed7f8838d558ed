-- Seed 001's Looker KPIs per store and hour of day (0-23, summed over the dates): baskets
-- (distinct transaction_id), identified customers (distinct non-empty customer_id), units,
-- revenue, and the revenue of identified customers' lines, ordered by store then hour. The
-- averages (spend per customer, items per transaction) divide these exact totals.
-- $1, $2: first and last date (YYYY-MM-DD); $3 category, $4 state, $5 store_id: NULL for all.
SELECT
    s.store_id,
    CAST(s.hour AS BIGINT) AS hour,
    CAST(count(DISTINCT s.transaction_id) AS BIGINT) AS transactions,
    CAST(count(DISTINCT nullif(s.customer_id, '')) AS BIGINT) AS customers,
    CAST(sum(s.quantity) AS BIGINT) AS units,
    CAST(sum(s.total_amount) * 100 AS BIGINT) AS revenue_cents,
    CAST(coalesce(sum(s.total_amount) FILTER (WHERE nullif(s.customer_id, '') IS NOT NULL), 0) * 100 AS BIGINT) AS customer_revenue_cents
FROM sales_data_managed AS s
LEFT JOIN product_catalog_managed AS p USING (product_id)
LEFT JOIN stores_managed AS st USING (store_id)
WHERE ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR s.date <= CAST($2 AS DATE))
  AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
  AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
  AND ($5::VARCHAR IS NULL OR s.store_id = $5)
GROUP BY s.store_id, s.hour
ORDER BY s.store_id, hour;
