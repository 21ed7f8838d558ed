-- Period over period per category: revenue and units of the $6 days ending on the last date
-- ($2, else the newest loaded date) beside the $6 days before them, ordered by the current
-- period's revenue (descending) then category. Categories that sold in neither have no row.
-- $1: first date (lines before it count in neither period); $3 category, $4 state,
-- $5 store_id: NULL for all.
WITH bounds AS (
    SELECT coalesce(CAST($2::VARCHAR AS DATE), (SELECT max(date) FROM sales_data_managed)) AS end_date
),
lines AS (
    SELECT
        coalesce(p.category, '(unknown)') AS category,
        s.date > b.end_date - CAST($6 AS INTEGER) AS current_period,
        s.quantity,
        s.total_amount,
        b.end_date
    FROM sales_data_managed AS s
    CROSS JOIN bounds AS b
    LEFT JOIN product_catalog_managed AS p USING (product_id)
    LEFT JOIN stores_managed AS st USING (store_id)
    WHERE s.date <= b.end_date
      AND s.date > b.end_date - CAST(2 * $6 AS INTEGER)
      AND ($1::VARCHAR IS NULL OR s.date >= CAST($1 AS DATE))
      AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
      AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
      AND ($5::VARCHAR IS NULL OR s.store_id = $5)
)
SELECT
    category,
    CAST(max(end_date) AS VARCHAR) AS period_end,
    CAST(coalesce(sum(total_amount) FILTER (WHERE current_period), 0) * 100 AS BIGINT) AS current_revenue_cents,
    CAST(coalesce(sum(total_amount) FILTER (WHERE NOT current_period), 0) * 100 AS BIGINT) AS previous_revenue_cents,
    CAST(coalesce(sum(quantity) FILTER (WHERE current_period), 0) AS BIGINT) AS current_units,
    CAST(coalesce(sum(quantity) FILTER (WHERE NOT current_period), 0) AS BIGINT) AS previous_units
FROM lines
GROUP BY category
ORDER BY current_revenue_cents DESC, category;
