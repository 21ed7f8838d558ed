-- The landing table the alerts' Pub/Sub BigQuery subscription of deploy/pubsub.tf writes into,
-- with `write_metadata = true` and no schema mapping: one row per delivered message, its JSON
-- payload in `data` and its attributes (event_type, schema_version, alert_id) in `attributes`.
-- (The events' subscriptions write their typed tables directly: sql/bigquery/schemas/.)
-- In deployment Terraform (deploy/bigquery.tf) owns it and creates it first; it is created
-- here only IF NOT EXISTS, so that the view of 06_pubsub_views.sql can be created wherever the
-- service runs (an emulator, a dataset without Terraform) and an existing table is never
-- changed. Columns and partitioning are Terraform's (tests/deploy.rs checks they agree).

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.negative_inventory_alerts_pubsub` (
    subscription_name STRING,
    message_id        STRING,
    publish_time      TIMESTAMP,
    data              JSON,
    attributes        JSON
)
PARTITION BY DATE(publish_time);
