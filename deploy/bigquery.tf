# The warehouse dataset. The service creates its managed and state tables and its views itself
# at start from sql/bigquery/ (each statement idempotent); Terraform owns the dataset and the
# tables the Pub/Sub BigQuery subscriptions write into, which must exist before them: the
# typed stream tables (their columns: sql/bigquery/schemas/*.json, which the service also
# creates them from when missing) and the alerts' landing table.
resource "google_bigquery_dataset" "warehouse" {
  dataset_id  = var.dataset_id
  location    = var.bq_location
  description = "retail-pipeline warehouse: managed tables merged hourly from the lake, streamed events from Pub/Sub"

  default_partition_expiration_ms = var.table_partition_expiration_days > 0 ? var.table_partition_expiration_days * 86400000 : null
}

# order_events, inventory_events, user_activity_events and dead_letter_events: a message's
# JSON fields are the columns (use_table_schema), plus the subscription's metadata columns.
# Partitioned on a time the message itself carries (a subscription cannot compute a column).
resource "google_bigquery_table" "stream" {
  for_each            = local.stream_tables
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = each.key
  description         = each.value.description
  schema              = file("${path.module}/../sql/bigquery/schemas/${each.key}.json")
  deletion_protection = true

  time_partitioning {
    type  = "DAY"
    field = each.value.partition_by
  }
  clustering = each.value.cluster_by
}

# The columns a BigQuery subscription writes with write_metadata and no schema mapping: the
# message's JSON payload in `data`, its attributes (event_type, schema_version, alert_id).
resource "google_bigquery_table" "alerts_stream" {
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "negative_inventory_alerts_pubsub"
  description         = "Negative-stock alerts as published; the view negative_inventory_alerts_from_pubsub keeps one row per alert_id."
  deletion_protection = true
  schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE" },
    { name = "message_id", type = "STRING", mode = "NULLABLE" },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE" },
    { name = "data", type = "JSON", mode = "NULLABLE" },
    { name = "attributes", type = "JSON", mode = "NULLABLE" },
  ])

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }
}

# Seed 000's external tables over the lake: Hive partitioning on the `date=`/`hour=`
# directories, each over its own table's prefix only, so the manifests (`_manifests/`) and
# `_lake.json` are never read as data. Console users query them as seed 000 did; the service
# never reads them (refresh loads the bytes it checked against the manifests).
# Over a Parquet lake (var.lake_format) the files carry their own columns and types, so no
# schema is given; the alert files' own date and hour columns then keep their names, which
# rules out Hive partition keys of the same names on that one table.
resource "google_bigquery_table" "lake_external" {
  for_each            = local.lake_tables
  dataset_id          = google_bigquery_dataset.warehouse.dataset_id
  table_id            = "${each.key}_ext"
  description         = "The lake's ${each.key} files, read in place (partition columns date, hour)."
  deletion_protection = false

  external_data_configuration {
    source_format = upper(var.lake_format)
    autodetect    = false
    source_uris   = ["gs://${google_storage_bucket.lake.name}/${each.key}/*"]
    schema        = var.lake_format == "csv" ? jsonencode([for c in each.value : { name = c[0], type = c[1], mode = "NULLABLE" }]) : null

    dynamic "csv_options" {
      for_each = var.lake_format == "csv" ? [1] : []
      content {
        quote             = "\""
        skip_leading_rows = 1
      }
    }

    dynamic "hive_partitioning_options" {
      for_each = var.lake_format == "csv" || !contains([for c in each.value : c[0]], "alert_date") ? [1] : []
      content {
        mode              = "CUSTOM"
        source_uri_prefix = "gs://${google_storage_bucket.lake.name}/${each.key}/{date:DATE}/{hour:INTEGER}"
      }
    }
  }
}

# Pub/Sub's service agent writes the subscriptions' tables (and nothing else).
resource "google_bigquery_table_iam_member" "pubsub_writes_streams" {
  for_each = merge(
    { for t, table in google_bigquery_table.stream : t => table.table_id },
    { alerts = google_bigquery_table.alerts_stream.table_id },
  )
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${local.pubsub_agent}"
}

# The seeds' compatibility views (sql/bigquery/08_seed_compat.sql): a dataset of their own,
# because seed 000's table names are the warehouse's managed tables' names. The service makes
# the views at start, as it makes the warehouse's; it needs the dataset to exist (creating
# datasets is a project-wide permission the runtime account does not have) and to own its
# tables. Reading a view there takes read access to the warehouse dataset too.
resource "google_bigquery_dataset" "seed_compat" {
  dataset_id  = "${var.dataset_id}_seed_compat"
  location    = var.bq_location
  description = "retail-pipeline: views under the seed projects' table names over ${var.dataset_id}"
}

resource "google_bigquery_dataset_iam_member" "runtime_seed_compat" {
  dataset_id = google_bigquery_dataset.seed_compat.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.runtime.email}"
}
