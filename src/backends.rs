//! The backends named by the configuration, opened once where the app (or a CLI command) is
//! wired: the lake's store, the bus, the warehouse and how streamed messages reach the
//! subscriber. Everything else sees only the traits.

use crate::bus::{EventSink, LocalBus, Publisher, Subscriber, Topics};
use crate::config::{Backend, Config};
use crate::lake::{BlobStore, Lake, LocalDirStore};
use crate::warehouse::Warehouse;
use anyhow::Context;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The warehouse, and the sink that lands streamed events in its tables.
pub type OpenedWarehouse = (Option<Arc<dyn Warehouse>>, Option<Arc<dyn EventSink>>);

/// The topic names: the configured Pub/Sub topics, or the embedded bus's defaults.
pub fn topics(config: &Config) -> Topics {
    match &config.gcp {
        Some(g) => Topics {
            alerts: g.alerts_topic.clone(),
            events: g.events_topic.clone(),
        },
        None => Topics::default(),
    }
}

/// How published messages reach the in-process subscriber.
#[derive(Debug)]
pub enum Feed {
    /// The embedded bus delivers to its subscriptions.
    Local(Arc<LocalBus>),
    /// Pull subscriptions on Pub/Sub (emulators; deployed, BigQuery subscriptions do this
    /// work and no feed runs): (topic, subscription) pairs.
    #[cfg(feature = "gcp")]
    PubSub(Arc<crate::bus::PubSubBus>, Vec<(String, String)>),
    /// Nothing in this process consumes the topics.
    None,
}

impl Feed {
    /// Starts delivering every topic's messages to `subscriber` until `stop` fires.
    pub fn spawn(
        &self,
        topics: &Topics,
        subscriber: &Arc<Subscriber>,
        stop: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        match self {
            Self::Local(bus) => [topics.alerts.as_str(), topics.events.as_str()]
                .into_iter()
                .map(|topic| {
                    crate::bus::spawn_subscriber(
                        subscriber.clone(),
                        bus.subscribe(topic),
                        stop.clone(),
                    )
                })
                .collect(),
            #[cfg(feature = "gcp")]
            Self::PubSub(bus, subscriptions) => subscriptions
                .iter()
                .map(|(topic, sub)| {
                    bus.spawn_pull(sub.clone(), topic.clone(), subscriber.clone(), stop.clone())
                })
                .collect(),
            Self::None => Vec::new(),
        }
    }
}

/// The lake's store: the data directory's `lake/`, or the bucket.
pub async fn open_lake(config: &Config) -> anyhow::Result<Lake> {
    let store: Arc<dyn BlobStore> = match config.backend {
        Backend::Local => {
            Arc::new(LocalDirStore::open(config.lake_dir()).with_context(|| {
                format!("cannot write to data dir {}", config.data_dir.display())
            })?)
        }
        Backend::Gcp => gcp::lake_store(config, None).await?,
    };
    Ok(Lake::new(store))
}

/// Where streamed rows are written beside the lake (not in its tables).
pub async fn open_stream_store(config: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(match config.backend {
        Backend::Local => Arc::new(LocalDirStore::open(config.data_dir.join("stream"))?),
        Backend::Gcp => gcp::lake_store(config, Some("_stream")).await?,
    })
}

/// The bus and the feed that delivers its topics to this process's subscriber.
pub async fn open_bus(
    config: &Config,
    topics: &Topics,
) -> anyhow::Result<(Arc<dyn Publisher>, Feed)> {
    match config.backend {
        Backend::Local => {
            let bus = Arc::new(LocalBus::default());
            Ok((bus.clone(), Feed::Local(bus)))
        }
        Backend::Gcp => gcp::bus(config, topics).await,
    }
}

/// The warehouse: the DuckDB file in the data directory, or the BigQuery dataset.
pub async fn open_warehouse(config: &Config) -> anyhow::Result<OpenedWarehouse> {
    match config.backend {
        Backend::Local => local_warehouse(config).await,
        Backend::Gcp => gcp::warehouse(config).await,
    }
}

#[cfg(feature = "duckdb")]
async fn local_warehouse(config: &Config) -> anyhow::Result<OpenedWarehouse> {
    use crate::warehouse::duckdb::{DuckDbEventSink, DuckDbWarehouse};
    let w = Arc::new(DuckDbWarehouse::open(config.warehouse_file(), config.lake_dir()).await?);
    w.set_memory_limit(config.warehouse_memory_mib).await?;
    if config.long_running {
        w.release_freed_memory().await?;
    }
    let sink: Arc<dyn EventSink> = Arc::new(DuckDbEventSink::new(w.clone()));
    Ok((Some(w), Some(sink)))
}

#[cfg(not(feature = "duckdb"))]
async fn local_warehouse(_config: &Config) -> anyhow::Result<OpenedWarehouse> {
    Ok((None, None))
}

#[cfg(not(feature = "gcp"))]
mod gcp {
    use super::*;
    const NO_GCP: &str = "this build has no Google Cloud backends; rebuild with the `gcp` feature";

    pub async fn lake_store(_: &Config, _: Option<&str>) -> anyhow::Result<Arc<dyn BlobStore>> {
        anyhow::bail!(NO_GCP)
    }
    pub async fn bus(_: &Config, _: &Topics) -> anyhow::Result<(Arc<dyn Publisher>, Feed)> {
        anyhow::bail!(NO_GCP)
    }
    pub async fn warehouse(_: &Config) -> anyhow::Result<OpenedWarehouse> {
        anyhow::bail!(NO_GCP)
    }
}

#[cfg(feature = "gcp")]
mod gcp {
    use super::*;
    use crate::bus::{PubSubBus, PubSubConfig};
    use crate::config::GcpConfig;
    use crate::gcp::{Credentials, GcpHttp};
    use crate::lake::GcsStore;
    use std::time::Duration;

    /// Long enough for a load job's upload of a large hour and a Pub/Sub long poll.
    const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

    fn settings(config: &Config) -> anyhow::Result<&GcpConfig> {
        config
            .gcp
            .as_ref()
            .context("--backend gcp without its configuration")
    }

    /// Anonymous against an emulator, so that nothing asks a metadata server or a token
    /// endpoint; Application Default Credentials against the real service, read once and
    /// shared by every backend so that they share one cached token.
    fn http(emulator: &Option<String>) -> anyhow::Result<GcpHttp> {
        if emulator.is_some() {
            return Ok(GcpHttp::new(Credentials::Anonymous, REQUEST_TIMEOUT)?);
        }
        static ADC: std::sync::Mutex<Option<GcpHttp>> = std::sync::Mutex::new(None);
        let mut adc = ADC.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(http) = adc.as_ref() {
            return Ok(http.clone());
        }
        let http = GcpHttp::new(Credentials::application_default()?, REQUEST_TIMEOUT)?;
        *adc = Some(http.clone());
        Ok(http)
    }

    /// The bucket (under `--gcs-prefix`, then `sub`). Against an emulator the bucket is
    /// created when missing; deployed, Terraform creates it and the service may not.
    pub async fn lake_store(
        config: &Config,
        sub: Option<&str>,
    ) -> anyhow::Result<Arc<dyn BlobStore>> {
        let g = settings(config)?;
        let prefix = match (&g.prefix, sub) {
            (Some(p), Some(s)) => Some(format!("{p}/{s}")),
            (Some(p), None) => Some(p.clone()),
            (None, s) => s.map(str::to_string),
        };
        let store = GcsStore::new(
            http(&g.storage_emulator)?,
            g.storage_emulator.clone(),
            g.bucket.clone(),
            prefix,
        );
        if g.storage_emulator.is_some() {
            store
                .ensure_bucket(&g.project)
                .await
                .with_context(|| format!("creating bucket {} on the emulator", g.bucket))?;
        }
        Ok(Arc::new(store))
    }

    /// Pub/Sub. Against the emulator the topics and one pull subscription each are created and
    /// this process subscribes (the emulator has no BigQuery subscriptions); deployed,
    /// Terraform's BigQuery subscriptions land the messages and no feed runs here.
    pub async fn bus(
        config: &Config,
        topics: &Topics,
    ) -> anyhow::Result<(Arc<dyn Publisher>, Feed)> {
        let g = settings(config)?;
        let bus = Arc::new(PubSubBus::new(
            http(&g.pubsub_emulator)?,
            g.pubsub_emulator.clone(),
            g.project.clone(),
            PubSubConfig::default(),
        ));
        if g.pubsub_emulator.is_none() {
            return Ok((bus, Feed::None));
        }
        let mut subscriptions = Vec::new();
        for topic in [&topics.alerts, &topics.events] {
            let sub = format!("{topic}-retail-pipeline");
            bus.ensure_topic(topic)
                .await
                .with_context(|| format!("creating topic {topic} on the emulator"))?;
            bus.ensure_subscription(topic, &sub)
                .await
                .with_context(|| format!("creating subscription {sub} on the emulator"))?;
            subscriptions.push((topic.clone(), sub));
        }
        Ok((bus.clone(), Feed::PubSub(bus, subscriptions)))
    }

    pub async fn warehouse(config: &Config) -> anyhow::Result<OpenedWarehouse> {
        use crate::warehouse::bigquery::{BigQueryEventSink, BigQueryWarehouse};
        let g = settings(config)?;
        let w = BigQueryWarehouse::open(
            http(&g.bigquery_emulator)?,
            g.bigquery_emulator.clone(),
            g.project.clone(),
            g.dataset.clone(),
            g.location.clone(),
        )
        .await
        .with_context(|| format!("opening BigQuery dataset {}.{}", g.project, g.dataset))?;
        let w = Arc::new(w);
        let sink = Arc::new(BigQueryEventSink::new(w.clone()));
        Ok((Some(w), Some(sink)))
    }
}
