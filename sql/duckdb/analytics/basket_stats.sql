-- Average basket per date. A basket is one transaction_id (its lines share it).
-- $1, $2: first and last date (YYYY-MM-DD), either NULL for no bound.
-- The averages divide the exact totals once, so they equal revenue_cents / baskets computed
-- anywhere else in IEEE doubles.
SELECT
    CAST(date AS VARCHAR) AS date,
    CAST(count(DISTINCT transaction_id) AS BIGINT) AS baskets,
    CAST(count(*) AS BIGINT) AS lines,
    CAST(sum(quantity) AS BIGINT) AS units,
    CAST(sum(total_amount) * 100 AS BIGINT) AS revenue_cents,
    CAST(sum(total_amount) * 100 AS DOUBLE) / count(DISTINCT transaction_id) AS avg_basket_cents,
    CAST(sum(quantity) AS DOUBLE) / count(DISTINCT transaction_id) AS avg_units
FROM sales_data_managed
WHERE ($1::VARCHAR IS NULL OR date >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR date <= CAST($2 AS DATE))
GROUP BY date
ORDER BY date;
