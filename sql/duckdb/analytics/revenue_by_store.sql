-- Revenue per store, with its state and city, ordered by state then revenue.
-- $1, $2: first and last date (YYYY-MM-DD), either NULL for no bound.
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
WHERE ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR s.date <= CAST($2 AS DATE))
GROUP BY ALL
ORDER BY state, revenue_cents DESC, s.store_id;
