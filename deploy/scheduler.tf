# The hourly pipeline: generate at minute 0, merge into BigQuery at minute 15. Both calls carry
# an OIDC token of the scheduler account with the service's custom audience.
resource "google_cloud_scheduler_job" "generate" {
  name             = "${var.service_name}-generate"
  region           = var.region
  schedule         = var.generate_schedule
  time_zone        = var.time_zone
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloud_run_v2_service.pipeline.uri}/generate"
    headers     = { "Content-Type" = "application/json" }
    # The rolling window: every missing hour up to the last complete one.
    body = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = var.oidc_audience
    }
  }
}

resource "google_cloud_scheduler_job" "refresh" {
  name             = "${var.service_name}-refresh"
  region           = var.region
  schedule         = var.refresh_schedule
  time_zone        = var.time_zone
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloud_run_v2_service.pipeline.uri}/bq/refresh"

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = var.oidc_audience
    }
  }
}
