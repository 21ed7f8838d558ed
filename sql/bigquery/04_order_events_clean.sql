-- Seed 001's cleaned shape of streamed sales: one row per order (the first delivery of each
-- event_id: Pub/Sub delivers at least once, so order_events may hold an event twice) with its
-- item count and average item price, beside order_events kept as received.
CREATE OR REPLACE VIEW `${project}.${dataset}.order_events_clean` AS
WITH orders AS (
    SELECT * FROM `${project}.${dataset}.order_events`
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY event_id ORDER BY publish_time IS NULL, publish_time, message_id
    ) = 1
),
items AS (
    SELECT o.event_id, SUM(CAST(JSON_VALUE(item, '$.quantity') AS INT64)) AS total_items
    FROM orders AS o, UNNEST(JSON_QUERY_ARRAY(o.items)) AS item
    GROUP BY o.event_id
)
SELECT
    o.order_id,
    o.event_time,
    DATE(o.event_time) AS event_date,
    o.store_id,
    o.customer_id,
    o.payment_method,
    o.total_amount,
    items.total_items,
    CAST(o.total_amount / NULLIF(items.total_items, 0) AS NUMERIC) AS avg_item_price
FROM orders AS o
JOIN items USING (event_id);
