variable "project_id" {
  description = "Google Cloud project that runs the pipeline."
  type        = string
}

variable "region" {
  description = "Region of Cloud Run, Cloud Scheduler, Artifact Registry and the bucket."
  type        = string
  default     = "us-central1"
}

variable "bucket_name" {
  description = "Cloud Storage bucket of the lake (globally unique)."
  type        = string
}

variable "dataset_id" {
  description = "BigQuery dataset of the warehouse (the service's --bq-dataset)."
  type        = string
  default     = "retail_ds"
}

variable "bq_location" {
  description = "BigQuery location of the dataset (the service's --bq-location)."
  type        = string
  default     = "US"
}

variable "alerts_topic" {
  description = "Pub/Sub topic of negative-stock alerts (the service's --alerts-topic)."
  type        = string
  default     = "inventory-updates"
}

variable "events_topic" {
  description = "Pub/Sub topic of streamed events (the service's --events-topic)."
  type        = string
  default     = "retail-events"
}

variable "service_name" {
  description = "Cloud Run service name (cloudbuild.yaml's _SERVICE)."
  type        = string
  default     = "retail-pipeline"
}

variable "repository" {
  description = "Artifact Registry repository of the image (cloudbuild.yaml's _REPO)."
  type        = string
  default     = "retail-pipeline"
}

variable "image" {
  description = "Container image to run; empty means REGION-docker.pkg.dev/PROJECT/REPO/retail-pipeline:latest."
  type        = string
  default     = ""
}

variable "seed" {
  description = "Seed of the generated world (RP_SEED): the same seed gives the same data."
  type        = number
  default     = 42
}

variable "scale" {
  description = "Size of the shop (RP_SCALE): small, default or large."
  type        = string
  default     = "default"
}

variable "lake_format" {
  description = "Format of the lake's data files (RP_LAKE_FORMAT): csv or parquet. A lake keeps the format it was first written with."
  type        = string
  default     = "csv"
  validation {
    condition     = contains(["csv", "parquet"], var.lake_format)
    error_message = "lake_format must be csv or parquet."
  }
}

variable "lake_retention_days" {
  description = "Lake objects older than this are deleted (seed 003 kept 90 days); 0 keeps them."
  type        = number
  default     = 90
}

variable "table_partition_expiration_days" {
  description = "BigQuery partitions older than this expire; 0 keeps them."
  type        = number
  default     = 0
}

variable "min_instances" {
  description = "Cloud Run minimum instances (1 keeps the internal schedule alive)."
  type        = number
  default     = 0
}

variable "max_instances" {
  description = "Cloud Run maximum instances."
  type        = number
  default     = 3
}

variable "concurrency" {
  description = "Requests one instance serves at once."
  type        = number
  default     = 80
}

variable "internal_schedule" {
  description = "Run the service's own hourly schedule (RP_SCHEDULE) instead of Cloud Scheduler; then CPU stays allocated and one instance is kept."
  type        = bool
  default     = false
}

variable "generate_schedule" {
  description = "Cron of POST /generate (Cloud Scheduler)."
  type        = string
  default     = "0 * * * *"
}

variable "refresh_schedule" {
  description = "Cron of POST /bq/refresh (Cloud Scheduler)."
  type        = string
  default     = "15 * * * *"
}

variable "time_zone" {
  description = "Time zone of the Cloud Scheduler crons."
  type        = string
  default     = "Etc/UTC"
}

variable "backfill_tasks" {
  description = "Tasks of the backfill Cloud Run Job; each takes whole anchor weeks (Monday to Sunday) of the range."
  type        = number
  default     = 10
}

variable "oidc_audience" {
  description = "Audience of Cloud Scheduler's OIDC tokens: a custom audience of the service, so the service can check it without knowing its own URL."
  type        = string
  default     = "retail-pipeline-scheduler"
}

variable "alert_email" {
  description = "Where alert policies send email (failed jobs, dead letters, failed scheduler runs, warehouse lag); empty: the policies exist without a channel."
  type        = string
  default     = ""
}

variable "alert_lag_hours" {
  description = "Alert when a refresh leaves the warehouse more than this many hours behind the last generated hour."
  type        = number
  default     = 2
}
