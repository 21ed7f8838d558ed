# What the project needs enabled, and the alerts an operator wants by email (seeds 000 and 003
# alert by email): failed jobs, messages on the dead-letter topic, failed scheduler runs, and a
# warehouse that falls behind the lake.

resource "google_project_service" "apis" {
  for_each = toset([
    "run.googleapis.com",
    "cloudscheduler.googleapis.com",
    "pubsub.googleapis.com",
    "bigquery.googleapis.com",
    "storage.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
  ])
  service = each.key
  # Other workloads of the project may use them too.
  disable_on_destroy = false
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email != "" ? 1 : 0
  display_name = "${var.service_name} operators"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
  depends_on = [google_project_service.apis]
}

locals {
  notification_channels = google_monitoring_notification_channel.email[*].id
}

# A job (generate, refresh, scenario, backfill) that ends failed logs "... failed" at ERROR
# with its job id (structured JSON in Cloud Logging); the backfill Cloud Run Job's failed
# executions log the same way.
resource "google_monitoring_alert_policy" "failed_jobs" {
  display_name          = "${var.service_name}: a job failed"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "an ERROR line with a job id"
    condition_matched_log {
      filter = "((resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.service_name}\") OR (resource.type=\"cloud_run_job\" AND resource.labels.job_name=\"${var.service_name}-backfill\")) AND severity>=ERROR"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "300s"
    }
  }
  depends_on = [google_project_service.apis]
}

# Anything on the dead-letter topic: a message an event table refused.
resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "${var.service_name}: messages on the dead-letter topic"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "messages published to ${google_pubsub_topic.dead_letter.name}"
    condition_threshold {
      filter          = "resource.type = \"pubsub_topic\" AND resource.labels.topic_id = \"${google_pubsub_topic.dead_letter.name}\" AND metric.type = \"pubsub.googleapis.com/topic/send_message_operation_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
  depends_on = [google_project_service.apis]
}

# A Cloud Scheduler run that did not reach the service or got an error back.
resource "google_monitoring_alert_policy" "failed_scheduler_runs" {
  display_name          = "${var.service_name}: a scheduled run failed"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "a scheduler job logged an error"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND (resource.labels.job_id=\"${google_cloud_scheduler_job.generate.name}\" OR resource.labels.job_id=\"${google_cloud_scheduler_job.refresh.name}\") AND severity>=ERROR"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
  }
  depends_on = [google_project_service.apis]
}

# The warehouse's lag behind the lake, from each refresh's "refresh ended" line (`lag_hours`:
# the last generated hour minus the watermark; -1 while nothing is loaded).
resource "google_logging_metric" "warehouse_lag" {
  name   = "${var.service_name}-warehouse-lag-hours"
  filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.service_name}\" AND jsonPayload.message=\"refresh ended\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "h"
  }
  value_extractor = "EXTRACT(jsonPayload.lag_hours)"
  bucket_options {
    explicit_buckets {
      bounds = [0, 1, 2, 3, 6, 12, 24]
    }
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "warehouse_behind" {
  display_name          = "${var.service_name}: the warehouse falls behind the lake"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "refresh lag above ${var.alert_lag_hours} hours"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.warehouse_lag.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_lag_hours
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
  depends_on = [google_project_service.apis]
}
