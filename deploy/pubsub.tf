# Alerts and events, and a dead-letter topic for what a subscription cannot write.
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

# Each event type straight into its typed table: the message's JSON fields are the columns
# (use_table_schema; an unknown field fails the write rather than being dropped, so a change of
# shape shows as a dead letter, not as silently missing data), plus subscription_name,
# message_id, publish_time and attributes (write_metadata). Filtered on the `event_type`
# attribute the service sets. A message the table refuses goes, after 10 attempts, to the
# dead-letter topic.
resource "google_pubsub_subscription" "events_to_bigquery" {
  for_each = local.event_tables
  name     = "${var.events_topic}-${replace(each.key, "_", "-")}-to-bigquery"
  topic    = google_pubsub_topic.events.id
  filter   = "attributes.event_type = \"${each.key}\""

  bigquery_config {
    table               = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.stream[each.value].table_id}"
    use_table_schema    = true
    write_metadata      = true
    drop_unknown_fields = false
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# Everything no event table takes (no event_type attribute, as from `gcloud pubsub topics
# publish` or a seed's own simulator, or a type with no table) lands in dead_letter_events,
# where the dead_letters view names the reason: nothing is acknowledged into nothing. Seeds 003
# and 004's bodies, which the service's own subscriber maps to typed rows, land here too: a
# BigQuery subscription cannot rename their fields (README, "Coming from the seeds").
resource "google_pubsub_subscription" "events_unrouted" {
  name   = "${var.events_topic}-unrouted-to-bigquery"
  topic  = google_pubsub_topic.events.id
  filter = local.unrouted_filter

  bigquery_config {
    table          = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.stream["dead_letter_events"].table_id}"
    write_metadata = true
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# What the table subscriptions could not write, into dead_letter_events too (Pub/Sub names the
# source subscription in the CloudPubSubDeadLetterSourceSubscription attribute).
resource "google_pubsub_subscription" "dead_letter_to_bigquery" {
  name  = "${google_pubsub_topic.dead_letter.name}-to-bigquery"
  topic = google_pubsub_topic.dead_letter.id

  bigquery_config {
    table          = "${var.project_id}.${google_bigquery_dataset.warehouse.dataset_id}.${google_bigquery_table.stream["dead_letter_events"].table_id}"
    write_metadata = true
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes_streams]
}

# The raw archive (seeds 003 and 004 keep one): each event type's messages as JSON lines in the
# lake bucket under events/<type>/YYYY/MM/DD/HH/MM/, the layout the local archive uses.
resource "google_pubsub_subscription" "events_to_archive" {
  for_each = local.event_tables
  name     = "${var.events_topic}-${replace(each.key, "_", "-")}-to-archive"
  topic    = google_pubsub_topic.events.id
  filter   = "attributes.event_type = \"${each.key}\""

  cloud_storage_config {
    bucket                   = google_storage_bucket.lake.name
    filename_prefix          = "events/${each.key}/"
    filename_datetime_format = "YYYY/MM/DD/hh/mm/"
    filename_suffix          = ".jsonl"
    max_duration             = "60s"
    max_bytes                = 10000000
  }

  depends_on = [google_storage_bucket_iam_member.pubsub_writes_archive]
}

# Pub/Sub's service agent moves undeliverable messages to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${local.pubsub_agent}"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = toset(concat(["alerts"], keys(local.event_tables)))
  subscription = each.key == "alerts" ? google_pubsub_subscription.alerts_to_bigquery.id : google_pubsub_subscription.events_to_bigquery[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${local.pubsub_agent}"
}
