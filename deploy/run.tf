# The service, called by Cloud Scheduler (and people with the invoker role).
resource "google_cloud_run_v2_service" "pipeline" {
  name     = var.service_name
  location = var.region
  ingress  = "INGRESS_TRAFFIC_ALL"

  # Cloud Scheduler's tokens carry this audience; the service checks it too.
  custom_audiences = [var.oidc_audience]

  template {
    service_account                  = google_service_account.runtime.email
    max_instance_request_concurrency = var.concurrency
    # Cloud Run allows 10 s after SIGTERM; the service drains in 7.
    timeout = "3600s"

    scaling {
      # The internal schedule needs an instance that stays up.
      min_instance_count = var.internal_schedule ? max(var.min_instances, 1) : var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = local.image
      args  = ["serve"]

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "2"
          memory = "2Gi"
        }
        # CPU always allocated only when the service schedules itself; otherwise CPU only
        # while a request (Cloud Scheduler's) runs, which costs less.
        cpu_idle          = !var.internal_schedule
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.service_env
        content {
          name  = env.key
          value = env.value
        }
      }

      # /health and /ready, not /healthz: Cloud Run reserves some paths ending in `z`.
      startup_probe {
        http_get {
          path = "/health"
        }
        period_seconds    = 2
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/health"
        }
        period_seconds = 30
      }
    }
  }

  # At start the service creates its views over the Pub/Sub landing tables, and the tables
  # when missing: Terraform creates them first, or its own create would find them there.
  depends_on = [google_bigquery_table.stream, google_bigquery_table.alerts_stream]
}

# Long backfills: a Cloud Run Job whose tasks split the range by whole anchor weeks
# (CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT, read by `retail-pipeline backfill`).
# Run it with:
#   gcloud run jobs execute retail-pipeline-backfill --region REGION \
#     --args=backfill,--from,2026-10-01T00,--to,2026-10-31T23
resource "google_cloud_run_v2_job" "backfill" {
  name     = "${var.service_name}-backfill"
  location = var.region

  template {
    task_count  = var.backfill_tasks
    parallelism = var.backfill_tasks

    template {
      service_account = google_service_account.runtime.email
      timeout         = "3600s"
      max_retries     = 3

      containers {
        image = local.image
        args  = ["backfill", "--from", "2026-01-01T00", "--to", "2026-01-01T23"]

        resources {
          limits = {
            cpu    = "2"
            memory = "2Gi"
          }
        }

        dynamic "env" {
          for_each = { for k, v in local.service_env : k => v if !startswith(k, "RP_OIDC") && k != "RP_SCHEDULE" }
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }
}
