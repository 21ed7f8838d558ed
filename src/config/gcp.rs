//! The Google Cloud configuration area: which project, bucket, dataset and topics, and the
//! emulators to use instead of the real services (tests, laptops).

use super::ConfigError;
use serde::Serialize;

/// Where the pipeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded parts: a lake directory, the in-process bus, a DuckDB warehouse.
    Local,
    /// Cloud Storage, Pub/Sub and BigQuery.
    Gcp,
}

/// Flags of the Google Cloud backends, read only with `--backend gcp`.
#[derive(clap::Args, Debug, Clone)]
pub struct GcpArgs {
    /// Google Cloud project (also read from GOOGLE_CLOUD_PROJECT).
    #[arg(long, env = "RP_GCP_PROJECT", global = true)]
    pub gcp_project: Option<String>,
    /// Cloud Storage bucket holding the lake.
    #[arg(long, env = "RP_GCS_BUCKET", global = true)]
    pub gcs_bucket: Option<String>,
    /// Object prefix of the lake inside the bucket (default: the bucket's root).
    #[arg(long, env = "RP_GCS_PREFIX", global = true)]
    pub gcs_prefix: Option<String>,
    /// BigQuery dataset of the warehouse.
    #[arg(
        long,
        env = "RP_BQ_DATASET",
        default_value = "retail_ds",
        global = true
    )]
    pub bq_dataset: String,
    /// BigQuery location of the dataset.
    #[arg(long, env = "RP_BQ_LOCATION", default_value = "US", global = true)]
    pub bq_location: String,
    /// Pub/Sub topic of the negative-stock alerts.
    #[arg(long, env = "RP_ALERTS_TOPIC", default_value = crate::bus::DEFAULT_ALERTS_TOPIC, global = true)]
    pub alerts_topic: String,
    /// Pub/Sub topic of the streamed events.
    #[arg(long, env = "RP_EVENTS_TOPIC", default_value = crate::bus::DEFAULT_EVENTS_TOPIC, global = true)]
    pub events_topic: String,
    /// fake-gcs-server (or another Cloud Storage emulator): `host:port` or a URL.
    #[arg(
        long,
        env = "STORAGE_EMULATOR_HOST",
        global = true,
        hide_env_values = true
    )]
    pub storage_emulator_host: Option<String>,
    /// The Pub/Sub emulator: `host:port`.
    #[arg(long, env = "PUBSUB_EMULATOR_HOST", global = true)]
    pub pubsub_emulator_host: Option<String>,
    /// bqemulator (or another BigQuery emulator): `host:port` or a URL.
    #[arg(long, env = "BIGQUERY_EMULATOR_HOST", global = true)]
    pub bigquery_emulator_host: Option<String>,
}

/// The validated Google Cloud configuration. Holds no secrets: credentials come from
/// Application Default Credentials (or none, against emulators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcpConfig {
    pub project: String,
    pub bucket: String,
    pub prefix: Option<String>,
    pub dataset: String,
    pub location: String,
    pub alerts_topic: String,
    pub events_topic: String,
    /// Emulator endpoints as URLs (`http://host:port`); `None` means the real service.
    pub storage_emulator: Option<String>,
    pub pubsub_emulator: Option<String>,
    pub bigquery_emulator: Option<String>,
}

impl GcpConfig {
    /// Validates the flags for `--backend gcp`; every message names its flag.
    pub fn from_args(args: &GcpArgs) -> Result<Self, ConfigError> {
        let project = args
            .gcp_project
            .clone()
            .or_else(|| std::env::var("GOOGLE_CLOUD_PROJECT").ok())
            .filter(|p| !p.is_empty())
            .ok_or(ConfigError::Missing {
                flag: "--gcp-project",
                env: "RP_GCP_PROJECT",
            })?;
        check_project(&project)?;
        let bucket = args.gcs_bucket.clone().ok_or(ConfigError::Missing {
            flag: "--gcs-bucket",
            env: "RP_GCS_BUCKET",
        })?;
        check_bucket(&bucket)?;
        let prefix = match args.gcs_prefix.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => None,
            Some(p) => {
                crate::lake::BlobPath::new(p).map_err(|_| ConfigError::Malformed {
                    flag: "--gcs-prefix",
                    value: p.to_string(),
                    expected: "a valid object prefix",
                })?;
                Some(p.to_string())
            }
        };
        check_dataset(&args.bq_dataset)?;
        check_topic("--alerts-topic", &args.alerts_topic)?;
        check_topic("--events-topic", &args.events_topic)?;
        if args.alerts_topic == args.events_topic {
            return Err(ConfigError::Same {
                flag: "--events-topic",
                other: "--alerts-topic",
            });
        }
        Ok(Self {
            project,
            bucket,
            prefix,
            dataset: args.bq_dataset.clone(),
            location: args.bq_location.clone(),
            alerts_topic: args.alerts_topic.clone(),
            events_topic: args.events_topic.clone(),
            storage_emulator: emulator_url("STORAGE_EMULATOR_HOST", &args.storage_emulator_host)?,
            pubsub_emulator: emulator_url("PUBSUB_EMULATOR_HOST", &args.pubsub_emulator_host)?,
            bigquery_emulator: emulator_url(
                "BIGQUERY_EMULATOR_HOST",
                &args.bigquery_emulator_host,
            )?,
        })
    }
}

/// `host:port` or `http(s)://host:port` as a URL without a trailing slash.
fn emulator_url(name: &'static str, value: &Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let url = if value.starts_with("http://") || value.starts_with("https://") {
        value.trim_end_matches('/').to_string()
    } else {
        format!("http://{}", value.trim_end_matches('/'))
    };
    let host = url.split_once("://").map(|(_, h)| h).unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(malformed(name, value, "host:port or a URL"));
    }
    Ok(Some(url))
}

/// Project ids: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter.
fn malformed(flag: &'static str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::Malformed {
        flag,
        value: value.to_string(),
        expected,
    }
}

fn check_project(p: &str) -> Result<(), ConfigError> {
    let ok = (6..=30).contains(&p.len())
        && p.starts_with(|c: char| c.is_ascii_lowercase())
        && !p.ends_with('-')
        && p.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(())
        .ok_or_else(|| malformed("--gcp-project", p, "a project id (6-30 of a-z, 0-9, -)"))
}

/// Bucket names: 3-63 characters of a-z, 0-9, `-`, `_` and `.`, starting and ending with a
/// letter or digit.
fn check_bucket(b: &str) -> Result<(), ConfigError> {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=63).contains(&b.len())
        && b.starts_with(edge)
        && b.ends_with(edge)
        && b.chars().all(|c| edge(c) || matches!(c, '-' | '_' | '.'));
    ok.then_some(()).ok_or_else(|| {
        malformed(
            "--gcs-bucket",
            b,
            "a bucket name (3-63 of a-z, 0-9, -, _, .)",
        )
    })
}

/// Dataset ids: letters, digits and underscores, at most 1,024.
fn check_dataset(d: &str) -> Result<(), ConfigError> {
    let ok =
        (1..=1024).contains(&d.len()) && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(())
        .ok_or_else(|| malformed("--bq-dataset", d, "a dataset id (letters, digits, _)"))
}

/// Topic ids: 3-255 characters, starting with a letter, of letters, digits and `-_.~+%`, not
/// starting with `goog`.
fn check_topic(flag: &'static str, t: &str) -> Result<(), ConfigError> {
    let ok = (3..=255).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_alphabetic())
        && !t.to_ascii_lowercase().starts_with("goog")
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c));
    ok.then_some(())
        .ok_or_else(|| malformed(flag, t, "a Pub/Sub topic id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> GcpArgs {
        GcpArgs {
            gcp_project: Some("retail-demo".into()),
            gcs_bucket: Some("retail-lake".into()),
            gcs_prefix: None,
            bq_dataset: "retail_ds".into(),
            bq_location: "US".into(),
            alerts_topic: "inventory-updates".into(),
            events_topic: "retail-events".into(),
            storage_emulator_host: Some("127.0.0.1:4443".into()),
            pubsub_emulator_host: None,
            bigquery_emulator_host: Some("http://127.0.0.1:9050/".into()),
        }
    }

    #[test]
    fn accepts_a_full_configuration() {
        let c = GcpConfig::from_args(&args()).unwrap();
        assert_eq!(c.storage_emulator.as_deref(), Some("http://127.0.0.1:4443"));
        assert_eq!(
            c.bigquery_emulator.as_deref(),
            Some("http://127.0.0.1:9050")
        );
        assert_eq!(c.pubsub_emulator, None);
    }

    #[test]
    fn names_the_flag_at_fault() {
        type Change = fn(&mut GcpArgs);
        let cases: [(Change, &str); 7] = [
            (|a| a.gcs_bucket = None, "--gcs-bucket"),
            (|a| a.gcs_bucket = Some("Upper".into()), "--gcs-bucket"),
            (|a| a.gcp_project = Some("x".into()), "--gcp-project"),
            (|a| a.bq_dataset = "bad-name".into(), "--bq-dataset"),
            (|a| a.alerts_topic = "goog-x".into(), "--alerts-topic"),
            (
                |a| a.events_topic = "inventory-updates".into(),
                "--events-topic",
            ),
            (|a| a.gcs_prefix = Some("a/../b".into()), "--gcs-prefix"),
        ];
        for (change, flag) in cases {
            let mut a = args();
            change(&mut a);
            let err = GcpConfig::from_args(&a).unwrap_err();
            assert_eq!(err.flag(), flag, "{err}");
            assert!(err.to_string().contains(flag), "{err}");
        }
    }
}
