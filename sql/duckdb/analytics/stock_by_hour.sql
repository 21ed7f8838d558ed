-- Per loaded hour: (store, product) pairs out of stock at the close (closing_stock <= 0),
-- those below zero, and the negative-stock alerts raised (one per pair below zero).
-- $1, $2: first and last date (YYYY-MM-DD); $3 category, $4 state, $5 store_id: NULL for all.
WITH inventory AS (
    SELECT
        i.date,
        i.hour,
        count(*) FILTER (WHERE i.closing_stock <= 0) AS stockouts,
        count(*) FILTER (WHERE i.closing_stock < 0) AS negative_stock
    FROM inventory_data_managed AS i
    LEFT JOIN product_catalog_managed AS p USING (product_id)
    LEFT JOIN stores_managed AS st USING (store_id)
    WHERE ($1::VARCHAR IS NULL OR i.date >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR i.date <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
      AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
      AND ($5::VARCHAR IS NULL OR i.store_id = $5)
    GROUP BY i.date, i.hour
),
alerts AS (
    SELECT a.date, a.hour, count(*) AS alerts
    FROM negative_inventory_alerts AS a
    LEFT JOIN product_catalog_managed AS p USING (product_id)
    LEFT JOIN stores_managed AS st USING (store_id)
    WHERE ($1::VARCHAR IS NULL OR a.date >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR a.date <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR coalesce(p.category, '(unknown)') = $3)
      AND ($4::VARCHAR IS NULL OR coalesce(st.state, '(unknown)') = $4)
      AND ($5::VARCHAR IS NULL OR a.store_id = $5)
    GROUP BY a.date, a.hour
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
