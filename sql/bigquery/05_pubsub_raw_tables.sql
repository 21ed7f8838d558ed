-- The landing tables the Pub/Sub BigQuery subscriptions of deploy/pubsub.tf write into, with
-- `write_metadata = true` and no schema mapping: one row per delivered message, its JSON
-- payload in `data` and its attributes (event_type, schema_version, alert_id) in `attributes`.
-- In deployment Terraform (deploy/bigquery.tf) owns them and creates them first; they are
-- created here only IF NOT EXISTS, so that the views of 06_pubsub_views.sql can be created
-- wherever the service runs (an emulator, a dataset without Terraform) and an existing table is
-- never changed. Columns, partitioning and clustering are Terraform's (tests/deploy.rs checks
-- they agree): a table made here first is one Terraform could import as it is.
-- dead_letter_pubsub is left to Terraform: no view reads it.

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.order_events_pubsub` (
    subscription_name STRING,
    message_id        STRING,
    publish_time      TIMESTAMP,
    data              JSON,
    attributes        JSON
)
PARTITION BY DATE(publish_time)
CLUSTER BY message_id;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.inventory_events_pubsub` (
    subscription_name STRING,
    message_id        STRING,
    publish_time      TIMESTAMP,
    data              JSON,
    attributes        JSON
)
PARTITION BY DATE(publish_time)
CLUSTER BY message_id;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.user_activity_events_pubsub` (
    subscription_name STRING,
    message_id        STRING,
    publish_time      TIMESTAMP,
    data              JSON,
    attributes        JSON
)
PARTITION BY DATE(publish_time)
CLUSTER BY message_id;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.negative_inventory_alerts_pubsub` (
    subscription_name STRING,
    message_id        STRING,
    publish_time      TIMESTAMP,
    data              JSON,
    attributes        JSON
)
PARTITION BY DATE(publish_time);
