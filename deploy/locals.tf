locals {
  image = var.image != "" ? var.image : "${var.region}-docker.pkg.dev/${var.project_id}/${var.repository}/retail-pipeline:latest"

  # The service's configuration: the same names as `retail-pipeline --help` lists
  # (tests/deploy.rs checks every one against the binary).
  service_env = {
    RP_BACKEND      = "gcp"
    RP_GCP_PROJECT  = var.project_id
    RP_GCS_BUCKET   = google_storage_bucket.lake.name
    RP_BQ_DATASET   = google_bigquery_dataset.warehouse.dataset_id
    RP_BQ_LOCATION  = var.bq_location
    RP_ALERTS_TOPIC = google_pubsub_topic.alerts.name
    RP_EVENTS_TOPIC = google_pubsub_topic.events.name
    RP_SEED         = tostring(var.seed)
    RP_SCALE        = var.scale
    RP_LAKE_FORMAT  = var.lake_format
    RP_LOG_FORMAT   = "json"
    RP_SCHEDULE     = tostring(var.internal_schedule)
    # Cloud Run checks the invoker role; the service checks the token again itself.
    RP_OIDC_AUDIENCE         = var.oidc_audience
    RP_OIDC_SERVICE_ACCOUNTS = google_service_account.scheduler.email
  }

  # Streamed events: per event type (the message's `event_type` attribute), its typed table.
  event_tables = {
    order         = "order_events"
    inventory     = "inventory_events"
    user_activity = "user_activity_events"
  }

  # What no event table's subscription takes: no event_type attribute, or another value.
  unrouted_filter = "NOT attributes:event_type OR NOT (${join(" OR ", [for t in keys(local.event_tables) : "attributes.event_type = \"${t}\""])})"

  # The stream tables' partitioning and clustering (the service creates them the same way
  # when missing: src/warehouse/stream_tables.rs; tests/deploy.rs checks the two agree).
  stream_tables = {
    order_events = {
      partition_by = "event_time"
      cluster_by   = ["status", "customer_id"]
      description  = "Streamed orders, one row per delivery (readers take one per event_id: order_events_clean)."
    }
    inventory_events = {
      partition_by = "event_time"
      cluster_by   = ["product_id", "store_id"]
      description  = "Streamed stock changes, one row per delivery (one per event_id to read)."
    }
    user_activity_events = {
      partition_by = "event_time"
      cluster_by   = ["customer_id", "activity_type"]
      description  = "Streamed shopper activity, one row per delivery (one per event_id to read)."
    }
    dead_letter_events = {
      partition_by = "publish_time"
      cluster_by   = ["subscription_name", "reason"]
      description  = "Messages no table took, with their metadata; the view dead_letters names each one's reason."
    }
  }

  # The lake's tables as seed 000's external tables read them: each file's columns in order
  # (the partition columns date and hour come from the directories; the alert files' own date
  # and hour columns are named alert_date and alert_hour so as not to clash with them).
  lake_tables = {
    product_catalog = [
      ["product_id", "STRING"], ["name", "STRING"], ["category", "STRING"], ["brand", "STRING"],
      ["unit_price", "NUMERIC"], ["list_price", "NUMERIC"], ["cost_price", "NUMERIC"],
      ["supplier_id", "STRING"], ["supplier_name", "STRING"],
    ]
    stores = [
      ["store_id", "STRING"], ["store_name", "STRING"], ["city", "STRING"], ["state", "STRING"],
      ["format", "STRING"], ["size_sqft", "INTEGER"], ["manager", "STRING"], ["opened_on", "DATE"],
    ]
    sales_data = [
      ["transaction_id", "STRING"], ["line_number", "INTEGER"], ["sold_at", "TIMESTAMP"],
      ["store_id", "STRING"], ["product_id", "STRING"], ["customer_id", "STRING"],
      ["quantity", "INTEGER"], ["unit_price", "NUMERIC"], ["total_amount", "NUMERIC"],
      ["payment_method", "STRING"],
    ]
    inventory_data = [
      ["store_id", "STRING"], ["product_id", "STRING"], ["opening_stock", "INTEGER"],
      ["restocked", "INTEGER"], ["returned", "INTEGER"], ["adjusted", "INTEGER"],
      ["units_sold", "INTEGER"], ["closing_stock", "INTEGER"], ["par_level", "INTEGER"],
    ]
    negative_inventory_alerts = [
      ["alert_id", "STRING"], ["alert_date", "DATE"], ["alert_hour", "INTEGER"],
      ["store_id", "STRING"], ["product_id", "STRING"], ["opening_stock", "INTEGER"],
      ["restocked", "INTEGER"], ["returned", "INTEGER"], ["units_sold", "INTEGER"],
      ["closing_stock", "INTEGER"], ["detected_at", "TIMESTAMP"],
    ]
  }

  # The Pub/Sub service agent: writes the subscriptions' tables and archive, moves dead letters.
  pubsub_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
