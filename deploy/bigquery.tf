# The warehouse dataset. The service creates its managed, state and event tables itself at
# start from sql/bigquery/ (each statement idempotent); Terraform owns the dataset and the raw
# landing tables that the Pub/Sub BigQuery subscriptions write into, which must exist first.
# The service's views over those tables need them too, so it creates the four they read when
# missing (sql/bigquery/05_pubsub_raw_tables.sql, CREATE TABLE IF NOT EXISTS, this schema;
# tests/deploy.rs checks the two agree) and never alters them.
resource "google_bigquery_dataset" "warehouse" {
  dataset_id  = var.dataset_id
  location    = var.bq_location
  description = "retail-pipeline warehouse: managed tables merged hourly from the lake"

  default_partition_expiration_ms = var.table_partition_expiration_days > 0 ? var.table_partition_expiration_days * 86400000 : null
}

# The columns a BigQuery subscription writes with write_metadata and no schema mapping: the
# message's JSON payload in `data`, its attributes (event_type, schema_version, alert_id).
locals {
  pubsub_raw_schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE" },
    { name = "message_id", type = "STRING", mode = "NULLABLE" },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE" },
    { name = "data", type = "JSON", mode = "NULLABLE" },
    { name = "attributes", type = "JSON", mode = "NULLABLE" },
  ])
}

resource "google_bigquery_table" "event_stream" {
  for_each            = toset(local.event_types)
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "${each.key}_events_pubsub"
  description         = "Raw ${each.key} events as Pub/Sub delivers them; the view ${each.key}_events_from_pubsub reads them as ${each.key}_events, one row per event_id."
  schema              = local.pubsub_raw_schema
  deletion_protection = true

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }
  clustering = ["message_id"]
}

resource "google_bigquery_table" "alerts_stream" {
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "negative_inventory_alerts_pubsub"
  description         = "Negative-stock alerts as published; the view negative_inventory_alerts_from_pubsub keeps one row per alert_id."
  schema              = local.pubsub_raw_schema
  deletion_protection = true

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }
}

resource "google_bigquery_table" "dead_letter_stream" {
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "dead_letter_pubsub"
  description         = "Messages the BigQuery subscriptions could not write."
  schema              = local.pubsub_raw_schema
  deletion_protection = true

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }
}

# Pub/Sub's service agent writes the raw tables (and nothing else).
resource "google_bigquery_table_iam_member" "pubsub_writes_streams" {
  for_each = merge(
    { for t, table in google_bigquery_table.event_stream : t => table.table_id },
    {
      alerts      = google_bigquery_table.alerts_stream.table_id
      dead_letter = google_bigquery_table.dead_letter_stream.table_id
    },
  )
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
