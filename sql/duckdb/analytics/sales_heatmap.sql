-- Sales per weekday (ISO: 1 Monday to 7 Sunday) and hour of day, summed over the dates:
-- baskets, units and revenue, ordered by weekday then hour. Cells without sales have no row.
-- $1, $2: first and last date (YYYY-MM-DD); $3 category, $4 state, $5 store_id: NULL for all.
SELECT
    CAST(isodow(s.date) AS BIGINT) AS weekday,
    CAST(s.hour AS BIGINT) AS hour,
    CAST(count(DISTINCT s.transaction_id) AS BIGINT) AS transactions,
    CAST(sum(s.quantity) AS BIGINT) AS units,
    CAST(sum(s.total_amount) * 100 AS BIGINT) AS revenue_cents
FROM sales_data_managed AS s
LEFT JOIN product_catalog_managed AS p USING (product_id)
LEFT JOIN stores_managed AS st USING (store_id)
WHERE ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR s.date <= CAST($2 AS DATE))
  AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
  AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
  AND ($5::VARCHAR IS NULL OR s.store_id = $5)
GROUP BY isodow(s.date), s.hour
ORDER BY weekday, hour;
