-- The raw rows of 05_pubsub_raw_tables.sql read as the warehouse's tables: each view has
-- exactly the columns, names and types of its table (03_event_tables.sql, and
-- negative_inventory_alerts of 02_managed_tables.sql), parsed from the JSON the service
-- publishes (src/generate/events/, NegativeStockAlert). Pub/Sub delivers at least once and
-- the service republishes an hour's alerts when it regenerates the hour, so a view keeps one
-- row per event_id / alert_id: the copy published first (then the smallest message_id, so
-- the choice is stable). Every copy of an id carries the same JSON, so only the ingestion time
-- depends on that choice; it is the copy's publish_time, the nearest the subscription records
-- to when the row arrived.
-- SAFE_CAST, not CAST: a value of the wrong type reads as NULL instead of failing every query
-- over the view; rows without an id are left out (they cannot be deduplicated).
-- Only functions that both BigQuery and bqemulator run: JSON_VALUE, JSON_QUERY, SAFE_CAST,
-- DATE, QUALIFY with ROW_NUMBER.

CREATE OR REPLACE VIEW `${project}.${dataset}.order_events_from_pubsub` AS
SELECT
    JSON_VALUE(data, '$.event_id') AS event_id,
    JSON_VALUE(data, '$.event_type') AS event_type,
    SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP) AS event_time,
    DATE(SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP)) AS event_date,
    SAFE_CAST(JSON_VALUE(data, '$.schema_version') AS INT64) AS schema_version,
    JSON_VALUE(data, '$.order_id') AS order_id,
    JSON_VALUE(data, '$.customer_id') AS customer_id,
    JSON_VALUE(data, '$.store_id') AS store_id,
    JSON_VALUE(data, '$.status') AS status,
    JSON_QUERY(data, '$.items') AS items,
    JSON_QUERY(data, '$.shipping_address') AS shipping_address,
    JSON_VALUE(data, '$.payment_method') AS payment_method,
    JSON_VALUE(data, '$.currency') AS currency,
    SAFE_CAST(JSON_VALUE(data, '$.total_amount') AS NUMERIC) AS total_amount,
    publish_time AS ingestion_time
FROM `${project}.${dataset}.order_events_pubsub`
WHERE JSON_VALUE(data, '$.event_id') IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY JSON_VALUE(data, '$.event_id') ORDER BY publish_time, message_id
) = 1;

CREATE OR REPLACE VIEW `${project}.${dataset}.inventory_events_from_pubsub` AS
SELECT
    JSON_VALUE(data, '$.event_id') AS event_id,
    JSON_VALUE(data, '$.event_type') AS event_type,
    SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP) AS event_time,
    DATE(SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP)) AS event_date,
    SAFE_CAST(JSON_VALUE(data, '$.schema_version') AS INT64) AS schema_version,
    JSON_VALUE(data, '$.store_id') AS store_id,
    JSON_VALUE(data, '$.product_id') AS product_id,
    SAFE_CAST(JSON_VALUE(data, '$.quantity_change') AS INT64) AS quantity_change,
    JSON_VALUE(data, '$.reason') AS reason,
    publish_time AS ingestion_time
FROM `${project}.${dataset}.inventory_events_pubsub`
WHERE JSON_VALUE(data, '$.event_id') IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY JSON_VALUE(data, '$.event_id') ORDER BY publish_time, message_id
) = 1;

CREATE OR REPLACE VIEW `${project}.${dataset}.user_activity_events_from_pubsub` AS
SELECT
    JSON_VALUE(data, '$.event_id') AS event_id,
    JSON_VALUE(data, '$.event_type') AS event_type,
    SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP) AS event_time,
    DATE(SAFE_CAST(JSON_VALUE(data, '$.event_time') AS TIMESTAMP)) AS event_date,
    SAFE_CAST(JSON_VALUE(data, '$.schema_version') AS INT64) AS schema_version,
    JSON_VALUE(data, '$.session_id') AS session_id,
    JSON_VALUE(data, '$.customer_id') AS customer_id,
    JSON_VALUE(data, '$.activity_type') AS activity_type,
    JSON_VALUE(data, '$.page') AS page,
    JSON_VALUE(data, '$.product_id') AS product_id,
    JSON_VALUE(data, '$.search_query') AS search_query,
    JSON_QUERY(data, '$.metadata') AS metadata,
    publish_time AS ingestion_time
FROM `${project}.${dataset}.user_activity_events_pubsub`
WHERE JSON_VALUE(data, '$.event_id') IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY JSON_VALUE(data, '$.event_id') ORDER BY publish_time, message_id
) = 1;

-- Keyed by the row's alert_id, which the service also sets as the message's alert_id
-- attribute (the subscriber dead-letters a message where the two differ).
CREATE OR REPLACE VIEW `${project}.${dataset}.negative_inventory_alerts_from_pubsub` AS
SELECT
    JSON_VALUE(data, '$.alert_id') AS alert_id,
    SAFE_CAST(JSON_VALUE(data, '$.date') AS DATE) AS date,
    SAFE_CAST(JSON_VALUE(data, '$.hour') AS INT64) AS hour,
    JSON_VALUE(data, '$.store_id') AS store_id,
    JSON_VALUE(data, '$.product_id') AS product_id,
    SAFE_CAST(JSON_VALUE(data, '$.opening_stock') AS INT64) AS opening_stock,
    SAFE_CAST(JSON_VALUE(data, '$.restocked') AS INT64) AS restocked,
    SAFE_CAST(JSON_VALUE(data, '$.returned') AS INT64) AS returned,
    SAFE_CAST(JSON_VALUE(data, '$.units_sold') AS INT64) AS units_sold,
    SAFE_CAST(JSON_VALUE(data, '$.closing_stock') AS INT64) AS closing_stock,
    SAFE_CAST(JSON_VALUE(data, '$.detected_at') AS TIMESTAMP) AS detected_at,
    publish_time AS ingested_at
FROM `${project}.${dataset}.negative_inventory_alerts_pubsub`
WHERE JSON_VALUE(data, '$.alert_id') IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY JSON_VALUE(data, '$.alert_id') ORDER BY publish_time, message_id
) = 1;
