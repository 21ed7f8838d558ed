# The lake: <table>/date=YYYY-MM-DD/hour=HH/part-00000.csv, manifests under _manifests/, raw
# events under events/. Uniform access, no public access, old objects deleted.
resource "google_storage_bucket" "lake" {
  name                        = var.bucket_name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  dynamic "lifecycle_rule" {
    for_each = var.lake_retention_days > 0 ? [1] : []
    content {
      condition {
        age = var.lake_retention_days
      }
      action {
        type = "Delete"
      }
    }
  }

  # Uploads that died midway leave nothing visible, but their parts cost money.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }
}

# The archive subscriptions write objects and read the bucket's metadata as Pub/Sub's agent.
resource "google_storage_bucket_iam_member" "pubsub_writes_archive" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.legacyBucketReader"])
  bucket   = google_storage_bucket.lake.name
  role     = each.key
  member   = "serviceAccount:${local.pubsub_agent}"
}

resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = var.repository
  format        = "DOCKER"
  description   = "retail-pipeline images, pushed by cloudbuild.yaml"
}
