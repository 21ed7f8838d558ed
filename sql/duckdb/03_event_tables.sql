-- Streamed events, written by the subscriber as they arrive (the embedded stand-in for Pub/Sub
-- BigQuery subscriptions). One row per event id, so a redelivered message is kept once.
-- Columns follow seed 004; nested parts (items, addresses, session metadata) are JSON.
-- No PRIMARY KEY: DuckDB keeps a key's index wholly in memory, so under a steady stream it grew
-- until inserts failed for want of memory (about 1.3M keys under a 128 MiB cap). The sink keeps
-- each id once instead: it inserts only ids not already stored within the batch's time span.
-- Streamed alerts are not stored here: negative_inventory_alerts is loaded from the lake by
-- refresh, with the same deterministic alert_id.

CREATE TABLE IF NOT EXISTS order_events (
    event_id         VARCHAR NOT NULL,
    event_type       VARCHAR NOT NULL,
    event_time       TIMESTAMP NOT NULL,
    event_date       DATE NOT NULL,
    schema_version   INTEGER NOT NULL,
    order_id         VARCHAR NOT NULL,
    customer_id      VARCHAR,
    store_id         VARCHAR NOT NULL,
    status           VARCHAR,
    items            JSON NOT NULL,
    shipping_address JSON,
    payment_method   VARCHAR,
    currency         VARCHAR,
    total_amount     DECIMAL(12, 2) NOT NULL,
    ingestion_time   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS inventory_events (
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR NOT NULL,
    event_time      TIMESTAMP NOT NULL,
    event_date      DATE NOT NULL,
    schema_version  INTEGER NOT NULL,
    store_id        VARCHAR NOT NULL,
    product_id      VARCHAR NOT NULL,
    quantity_change INTEGER NOT NULL,
    reason          VARCHAR NOT NULL,
    ingestion_time  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS user_activity_events (
    event_id       VARCHAR NOT NULL,
    event_type     VARCHAR NOT NULL,
    event_time     TIMESTAMP NOT NULL,
    event_date     DATE NOT NULL,
    schema_version INTEGER NOT NULL,
    session_id     VARCHAR NOT NULL,
    customer_id    VARCHAR,
    activity_type  VARCHAR NOT NULL,
    page           VARCHAR,
    product_id     VARCHAR,
    search_query   VARCHAR,
    metadata       JSON,
    ingestion_time TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS dead_letter_events (
    dead_letter_id VARCHAR NOT NULL,
    topic          VARCHAR NOT NULL,
    received_at    TIMESTAMP NOT NULL,
    reason         VARCHAR NOT NULL,
    detail         VARCHAR,
    attributes     JSON,
    payload        VARCHAR,
    ingestion_time TIMESTAMP NOT NULL
);

-- Seed 001's cleaned shape of streamed sales: one row per order with its item count and
-- average item price, beside order_events kept as received (for audit and replay).
CREATE OR REPLACE VIEW order_events_clean AS
WITH items AS (
    SELECT o.event_id, sum(CAST(i.item ->> 'quantity' AS INTEGER)) AS total_items
    FROM order_events o, unnest(CAST(o.items AS JSON[])) AS i(item)
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
    CAST(items.total_items AS INTEGER) AS total_items,
    CAST(o.total_amount / nullif(items.total_items, 0) AS DECIMAL(12, 2)) AS avg_item_price
FROM order_events o
JOIN items USING (event_id);
