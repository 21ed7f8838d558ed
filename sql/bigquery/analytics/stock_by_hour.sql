-- Per loaded hour: (store, product) pairs out of stock at the close (closing_stock <= 0),
-- those below zero, and the negative-stock alerts raised (one per pair below zero).
-- Parameters (named, typed): @date_from, @date_to DATE (NULL for open); @category, @state,
-- @store_id STRING (NULL for all). Money comes back as INT64 cents.
WITH inventory AS (
    SELECT
        i.date,
        i.hour,
        COUNTIF(i.closing_stock <= 0) AS stockouts,
        COUNTIF(i.closing_stock < 0) AS negative_stock
    FROM `${project}.${dataset}.inventory_data_managed` AS i
    LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
    LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
    WHERE (@date_from IS NULL OR i.date >= @date_from)
      AND (@date_to IS NULL OR i.date <= @date_to)
      AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
      AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
      AND (@store_id IS NULL OR i.store_id = @store_id)
    GROUP BY i.date, i.hour
),
alerts AS (
    SELECT a.date, a.hour, COUNT(*) AS alerts
    FROM `${project}.${dataset}.negative_inventory_alerts` AS a
    LEFT JOIN `${project}.${dataset}.product_catalog_managed` AS p USING (product_id)
    LEFT JOIN `${project}.${dataset}.stores_managed` AS st USING (store_id)
    WHERE (@date_from IS NULL OR a.date >= @date_from)
      AND (@date_to IS NULL OR a.date <= @date_to)
      AND (@category IS NULL OR COALESCE(p.category, '(unknown)') = @category)
      AND (@state IS NULL OR COALESCE(st.state, '(unknown)') = @state)
      AND (@store_id IS NULL OR a.store_id = @store_id)
    GROUP BY a.date, a.hour
)
SELECT
    CAST(i.date AS STRING) AS date,
    i.hour,
    i.stockouts,
    i.negative_stock,
    COALESCE(a.alerts, 0) AS alerts
FROM inventory AS i
LEFT JOIN alerts AS a ON a.date = i.date AND a.hour = i.hour
ORDER BY i.date, i.hour;
