output "service_url" {
  description = "The service: /docs for the API, /dashboard for the charts."
  value       = google_cloud_run_v2_service.pipeline.uri
}

output "bucket" {
  value = google_storage_bucket.lake.name
}

output "dataset" {
  value = google_bigquery_dataset.warehouse.dataset_id
}

output "runtime_service_account" {
  value = google_service_account.runtime.email
}

output "scheduler_service_account" {
  value = google_service_account.scheduler.email
}

output "image" {
  value = local.image
}
