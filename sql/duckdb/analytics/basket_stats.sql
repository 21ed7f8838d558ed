-- Average basket per date. A basket is one transaction_id (its lines share it).
-- $1, $2: first and last date (YYYY-MM-DD); $3 category, $4 state, $5 store_id: NULL for all.
-- With a category, only that category's lines count (baskets: those that bought in it).
-- The averages divide the exact totals once, so they equal revenue_cents / baskets computed
-- anywhere else in IEEE doubles.
SELECT
    CAST(s.date AS VARCHAR) AS date,
    CAST(count(DISTINCT s.transaction_id) AS BIGINT) AS baskets,
    CAST(count(*) AS BIGINT) AS lines,
    CAST(sum(s.quantity) AS BIGINT) AS units,
    CAST(sum(s.total_amount) * 100 AS BIGINT) AS revenue_cents,
    CAST(sum(s.total_amount) * 100 AS DOUBLE) / count(DISTINCT s.transaction_id) AS avg_basket_cents,
    CAST(sum(s.quantity) AS DOUBLE) / count(DISTINCT s.transaction_id) AS avg_units
FROM sales_data_managed AS s
LEFT JOIN product_catalog_managed AS p USING (product_id)
LEFT JOIN stores_managed AS st USING (store_id)
WHERE ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR s.date <= CAST($2 AS DATE))
  AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
  AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
  AND ($5::VARCHAR IS NULL OR s.store_id = $5)
GROUP BY s.date
ORDER BY s.date;
