-- Per loaded hour: (store, product) pairs out of stock at the close (closing_stock <= 0),
-- those below zero, and the negative-stock alerts raised (one per pair below zero).
-- $1, $2: first and last date (YYYY-MM-DD), either NULL for no bound.
WITH inventory AS (
    SELECT
        date,
        hour,
        count(*) FILTER (WHERE closing_stock <= 0) AS stockouts,
        count(*) FILTER (WHERE closing_stock < 0) AS negative_stock
    FROM inventory_data_managed
    WHERE ($1::VARCHAR IS NULL OR date >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR date <= CAST($2 AS DATE))
    GROUP BY date, hour
),
alerts AS (
    SELECT date, hour, count(*) AS alerts
    FROM negative_inventory_alerts
    WHERE ($1::VARCHAR IS NULL OR date >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR date <= CAST($2 AS DATE))
    GROUP BY date, hour
)
SELECT
    CAST(i.date AS VARCHAR) AS date,
    i.hour,
    CAST(i.stockouts AS BIGINT) AS stockouts,
    CAST(i.negative_stock AS BIGINT) AS negative_stock,
    CAST(coalesce(a.alerts, 0) AS BIGINT) AS alerts
FROM inventory AS i
LEFT JOIN alerts AS a USING (date, hour)
ORDER BY i.date, i.hour;
