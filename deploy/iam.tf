# One service account per role, each with only what it needs.

# The service and the backfill job: write the lake, publish alerts and events, run BigQuery
# jobs and edit the dataset's tables.
resource "google_service_account" "runtime" {
  account_id   = "retail-pipeline-run"
  display_name = "retail-pipeline service and backfill job"
}

resource "google_storage_bucket_iam_member" "runtime_lake" {
  bucket = google_storage_bucket.lake.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_pubsub_topic_iam_member" "runtime_publishes" {
  for_each = {
    alerts = google_pubsub_topic.alerts.id
    events = google_pubsub_topic.events.id
  }
  topic  = each.value
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_bigquery_dataset_iam_member" "runtime_dataset" {
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.runtime.email}"
}

# Load jobs and queries run as jobs in the project.
resource "google_project_iam_member" "runtime_jobs" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.runtime.email}"
}

# Cloud Scheduler calls the service with an OIDC token of this account; it may invoke the
# service and nothing else.
resource "google_service_account" "scheduler" {
  account_id   = "retail-pipeline-scheduler"
  display_name = "Cloud Scheduler caller of retail-pipeline"
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes" {
  name     = google_cloud_run_v2_service.pipeline.name
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# Cloud Build deploys: builds, pushes to Artifact Registry, deploys the service as the
# runtime account.
resource "google_service_account" "deployer" {
  account_id   = "retail-pipeline-deploy"
  display_name = "Cloud Build deployer of retail-pipeline"
}

resource "google_artifact_registry_repository_iam_member" "deployer_pushes" {
  location   = var.region
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_cloud_run_v2_service_iam_member" "deployer_deploys" {
  name     = google_cloud_run_v2_service.pipeline.name
  location = var.region
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_project_iam_member" "deployer_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.deployer.email}"
}
