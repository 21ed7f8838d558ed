-- Seed 001's cleaned shape of streamed sales: one row per order with its item count and
-- average item price, beside order_events kept as received.
CREATE OR REPLACE VIEW `${project}.${dataset}.order_events_clean` AS
WITH items AS (
    SELECT o.event_id, SUM(CAST(JSON_VALUE(item, '$.quantity') AS INT64)) AS total_items
    FROM `${project}.${dataset}.order_events` AS o, UNNEST(JSON_QUERY_ARRAY(o.items)) AS item
    GROUP BY o.event_id
)
SELECT
    o.order_id,
    o.event_time,
    o.event_date,
    o.store_id,
    o.customer_id,
    o.payment_method,
    o.total_amount,
    items.total_items,
    CAST(o.total_amount / NULLIF(items.total_items, 0) AS NUMERIC) AS avg_item_price
FROM `${project}.${dataset}.order_events` AS o
JOIN items USING (event_id);
