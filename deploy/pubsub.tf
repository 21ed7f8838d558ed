# Alerts and events, and a dead-letter topic for what the BigQuery subscriptions cannot write.
resource "google_pubsub_topic" "alerts" {
  name                       = var.alerts_topic
  message_retention_duration = "86400s"
}

resource "google_pubsub_topic" "events" {
  name                       = var.events_topic
  message_retention_duration = "86400s"
}

resource "google_pubsub_topic" "dead_letter" {
  name                       = "${var.events_topic}-dead-letter"
  message_retention_duration = "604800s"
}

# Alerts straight into BigQuery, without the service in the path. Keyed by the message's
# `alert_id` attribute downstream (duplicates are possible: delivery is at least once).
resource "google_pubsub_subscription" "alerts_to_bigquery" {
  name  = "${var.alerts_topic}-to-bigquery"
  topic = google_pubsub_topic.alerts.id

  bigquery_config {
    table          = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.alerts_stream.table_id}"
    write_metadata = true
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# One subscription per event type, filtered on the `event_type` attribute the service sets.
resource "google_pubsub_subscription" "events_to_bigquery" {
  for_each = toset(local.event_types)
  name     = "${var.events_topic}-${replace(each.key, "_", "-")}-to-bigquery"
  topic    = google_pubsub_topic.events.id
  filter   = "attributes.event_type = \"${each.key}\""

  bigquery_config {
    table          = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.event_stream[each.key].table_id}"
    write_metadata = true
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# Dead letters land in their own raw table too, so nothing is lost.
resource "google_pubsub_subscription" "dead_letter_to_bigquery" {
  name  = "${google_pubsub_topic.dead_letter.name}-to-bigquery"
  topic = google_pubsub_topic.dead_letter.id

  bigquery_config {
    table          = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.dead_letter_stream.table_id}"
    write_metadata = true
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# Pub/Sub's service agent moves undeliverable messages to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = toset(concat(["alerts"], local.event_types))
  subscription = each.key == "alerts" ? google_pubsub_subscription.alerts_to_bigquery.id : google_pubsub_subscription.events_to_bigquery[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
