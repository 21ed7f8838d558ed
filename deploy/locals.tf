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
    RP_LOG_FORMAT   = "json"
    RP_SCHEDULE     = tostring(var.internal_schedule)
    # Cloud Run checks the invoker role; the service checks the token again itself.
    RP_OIDC_AUDIENCE         = var.oidc_audience
    RP_OIDC_SERVICE_ACCOUNTS = google_service_account.scheduler.email
  }

  # Streamed events: one BigQuery subscription per event type, filtered on the message's
  # `event_type` attribute, into a raw landing table (see bigquery.tf).
  event_types = ["order", "inventory", "user_activity"]
}
