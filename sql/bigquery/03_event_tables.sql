-- Streamed events, written as they arrive, each once by its id (BigQueryEventSink stages a
-- batch by a load job and inserts the rows whose id is new). Columns are those of
-- sql/duckdb/03_event_tables.sql; nested parts (items, addresses, session metadata,
-- attributes) are JSON. Partitioning and clustering follow
-- seed 004: orders by date, clustered by status and customer; inventory by date, clustered by
-- product and location (store_id here, warehouse_id there); user activity by date, clustered
-- by user (customer_id) and activity type.

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.order_events` (
    event_id         STRING NOT NULL,
    event_type       STRING NOT NULL,
    event_time       TIMESTAMP NOT NULL,
    event_date       DATE NOT NULL,
    schema_version   INT64 NOT NULL,
    order_id         STRING NOT NULL,
    customer_id      STRING,
    store_id         STRING NOT NULL,
    status           STRING,
    items            JSON NOT NULL,
    shipping_address JSON,
    payment_method   STRING,
    currency         STRING,
    total_amount     NUMERIC(12, 2) NOT NULL,
    ingestion_time   TIMESTAMP NOT NULL
)
PARTITION BY event_date
CLUSTER BY status, customer_id;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.inventory_events` (
    event_id        STRING NOT NULL,
    event_type      STRING NOT NULL,
    event_time      TIMESTAMP NOT NULL,
    event_date      DATE NOT NULL,
    schema_version  INT64 NOT NULL,
    store_id        STRING NOT NULL,
    product_id      STRING NOT NULL,
    quantity_change INT64 NOT NULL,
    reason          STRING NOT NULL,
    ingestion_time  TIMESTAMP NOT NULL
)
PARTITION BY event_date
CLUSTER BY product_id, store_id;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.user_activity_events` (
    event_id       STRING NOT NULL,
    event_type     STRING NOT NULL,
    event_time     TIMESTAMP NOT NULL,
    event_date     DATE NOT NULL,
    schema_version INT64 NOT NULL,
    session_id     STRING NOT NULL,
    customer_id    STRING,
    activity_type  STRING NOT NULL,
    page           STRING,
    product_id     STRING,
    search_query   STRING,
    metadata       JSON,
    ingestion_time TIMESTAMP NOT NULL
)
PARTITION BY event_date
CLUSTER BY customer_id, activity_type;

-- Messages that could not be parsed or routed, kept for audit and replay.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.dead_letter_events` (
    dead_letter_id STRING NOT NULL,
    topic          STRING NOT NULL,
    received_at    TIMESTAMP NOT NULL,
    reason         STRING NOT NULL,
    detail         STRING,
    attributes     JSON,
    payload        STRING,
    ingestion_time TIMESTAMP NOT NULL
)
PARTITION BY DATE(received_at)
CLUSTER BY topic, reason;
