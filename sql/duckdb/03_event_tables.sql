-- Streamed events, written by the subscriber as they arrive (the embedded stand-in for Pub/Sub
-- BigQuery subscriptions). The columns are those of sql/bigquery/schemas/ (a test checks it):
-- the message's own fields, then the four metadata columns a subscription's `write_metadata`
-- adds. Nested parts (items, addresses, session metadata, attributes) are JSON.
-- Delivery is at least once, deployed and here alike: a table may hold an event twice (a
-- redelivery, a batch retried), each copy with its message_id. Readers take one row per
-- event_id: order_events_clean does, and so must any query (see sql/duckdb/README.md).
-- No key: DuckDB keeps a key's index wholly in memory, which under a steady stream grew until
-- inserts failed for want of memory (about 1.3M keys under a 128 MiB cap).
-- Streamed alerts are not stored here: negative_inventory_alerts is loaded from the lake by
-- refresh, with the same deterministic alert_id.

CREATE TABLE IF NOT EXISTS order_events (
    event_id          VARCHAR NOT NULL,
    event_type        VARCHAR NOT NULL,
    event_time        TIMESTAMP NOT NULL,
    schema_version    BIGINT NOT NULL,
    order_id          VARCHAR NOT NULL,
    customer_id       VARCHAR,
    store_id          VARCHAR NOT NULL,
    status            VARCHAR,
    items             JSON NOT NULL,
    shipping_address  JSON,
    payment_method    VARCHAR,
    currency          VARCHAR,
    total_amount      DECIMAL(12, 2) NOT NULL,
    subscription_name VARCHAR,
    message_id        VARCHAR,
    publish_time      TIMESTAMP,
    attributes        JSON
);

CREATE TABLE IF NOT EXISTS inventory_events (
    event_id          VARCHAR NOT NULL,
    event_type        VARCHAR NOT NULL,
    event_time        TIMESTAMP NOT NULL,
    schema_version    BIGINT NOT NULL,
    store_id          VARCHAR NOT NULL,
    product_id        VARCHAR NOT NULL,
    quantity_change   BIGINT NOT NULL,
    reason            VARCHAR NOT NULL,
    subscription_name VARCHAR,
    message_id        VARCHAR,
    publish_time      TIMESTAMP,
    attributes        JSON
);

CREATE TABLE IF NOT EXISTS user_activity_events (
    event_id          VARCHAR NOT NULL,
    event_type        VARCHAR NOT NULL,
    event_time        TIMESTAMP NOT NULL,
    schema_version    BIGINT NOT NULL,
    session_id        VARCHAR NOT NULL,
    customer_id       VARCHAR,
    activity_type     VARCHAR NOT NULL,
    page              VARCHAR,
    product_id        VARCHAR,
    search_query      VARCHAR,
    metadata          JSON,
    subscription_name VARCHAR,
    message_id        VARCHAR,
    publish_time      TIMESTAMP,
    attributes        JSON
);

-- What no event table takes: malformed payloads, messages without an event_type attribute or
-- with an unknown one. Deployed, the catch-all and dead-letter subscriptions write data and
-- metadata only; the dead_letters view derives their reason.
CREATE TABLE IF NOT EXISTS dead_letter_events (
    data              VARCHAR,
    reason            VARCHAR,
    detail            VARCHAR,
    subscription_name VARCHAR,
    message_id        VARCHAR,
    publish_time      TIMESTAMP,
    attributes        JSON
);

-- Seed 001's cleaned shape of streamed sales: one row per order (the first delivery of each
-- event_id) with its item count and average item price, beside order_events kept as received.
CREATE OR REPLACE VIEW order_events_clean AS
WITH orders AS (
    SELECT * FROM order_events
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY publish_time NULLS LAST, message_id) = 1
),
items AS (
    SELECT o.event_id, sum(CAST(i.item ->> 'quantity' AS INTEGER)) AS total_items
    FROM orders o, unnest(CAST(o.items AS JSON[])) AS i(item)
    GROUP BY o.event_id
)
SELECT
    o.order_id,
    o.event_time,
    CAST(o.event_time AS DATE) AS event_date,
    o.store_id,
    o.customer_id,
    o.payment_method,
    o.total_amount,
    CAST(items.total_items AS INTEGER) AS total_items,
    CAST(o.total_amount / nullif(items.total_items, 0) AS DECIMAL(12, 2)) AS avg_item_price
FROM orders o
JOIN items USING (event_id);

-- Every dead letter once (by message_id), with its reason: the subscriber's own where it
-- wrote one, else what the delivering subscription implies (deployed, the catch-all takes
-- messages without a known event_type; the dead-letter topic's subscription takes messages a
-- table's subscription could not write, named in CloudPubSubDeadLetterSourceSubscription).
CREATE OR REPLACE VIEW dead_letters AS
SELECT
    publish_time,
    coalesce(reason,
        CASE
            WHEN attributes ->> 'CloudPubSubDeadLetterSourceSubscription' IS NOT NULL THEN 'rejected_by_table'
            WHEN attributes ->> 'event_type' IS NULL THEN 'missing_event_type'
            ELSE 'unknown_event_type'
        END) AS reason,
    coalesce(detail, attributes ->> 'CloudPubSubDeadLetterSourceSubscription') AS detail,
    data,
    attributes,
    subscription_name,
    message_id
FROM dead_letter_events
QUALIFY row_number() OVER (PARTITION BY coalesce(message_id, md5(coalesce(data, ''))) ORDER BY publish_time NULLS LAST) = 1;
