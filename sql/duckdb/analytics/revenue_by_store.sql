-- Revenue per store, with its state and city, ordered by state then revenue.
-- $1, $2: first and last date (YYYY-MM-DD); $3 category, $4 state, $5 store_id: NULL for all.
-- With a category, baskets count the transactions that bought something in it.
SELECT
    coalesce(st.state, '(unknown)') AS state,
    s.store_id,
    st.store_name,
    st.city,
    CAST(count(DISTINCT s.transaction_id) AS BIGINT) AS baskets,
    CAST(sum(s.quantity) AS BIGINT) AS units,
    CAST(sum(s.total_amount) * 100 AS BIGINT) AS revenue_cents
FROM sales_data_managed AS s
LEFT JOIN stores_managed AS st USING (store_id)
LEFT JOIN product_catalog_managed AS p USING (product_id)
WHERE ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR s.date <= CAST($2 AS DATE))
  AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
  AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
  AND ($5::VARCHAR IS NULL OR s.store_id = $5)
GROUP BY ALL
ORDER BY state, revenue_cents DESC, s.store_id;
