-- The raw alert rows of 05_pubsub_raw_tables.sql read as the warehouse's table
-- negative_inventory_alerts (02_managed_tables.sql): exactly its columns, names and types,
-- parsed from the JSON the service publishes (NegativeStockAlert). Pub/Sub delivers at least
-- once and the service republishes an hour's alerts when it regenerates the hour, so the view
-- keeps one row per alert_id: the copy published first (then the smallest message_id, so the
-- choice is stable). Every copy carries the same JSON, so only the ingestion time depends on
-- that choice; it is the copy's publish_time.
-- SAFE_CAST, not CAST: a value of the wrong type reads as NULL instead of failing every query
-- over the view; rows without an id are left out (they cannot be deduplicated).
-- Only functions that both BigQuery and bqemulator run: JSON_VALUE, SAFE_CAST, QUALIFY with
-- ROW_NUMBER.

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
