//! The application: the handles of every part of the pipeline (backends, job registry,
//! configuration, metrics), opened once from the configuration and shared by the HTTP handlers,
//! the schedule and the CLI. What the pipeline does with them lives in `crate::service`.

use crate::backends::{open_bus, open_lake, open_stream_store, open_warehouse};
use crate::bus::{
    EventSink, LakeEventSink, Publisher, Subscriber, SubscriberConfig, TeeSink, Topics,
};
use crate::config::Config;
use crate::generate::events::EventPools;
use crate::generate::World;
use crate::jobs::{Freshness, JobRegistry};
use crate::lake::{Lake, LakeError, LakeIdentity};
use crate::metrics::Metrics;
use crate::model::PartitionHour;
use crate::warehouse::Warehouse;
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Settings of the running service (beyond the shared configuration). `Debug` redacts the token.
#[derive(Clone)]
pub struct ServiceSettings {
    /// Bearer token required on mutating endpoints, when set. Never logged or shown.
    pub api_token: Option<String>,
    /// Google-signed OIDC tokens accepted on mutating endpoints (Cloud Scheduler's calls).
    #[cfg(feature = "gcp")]
    pub oidc: Option<Arc<crate::auth::OidcVerifier>>,
    /// Require the same authentication on read endpoints too (not on /healthz and /readyz).
    pub protect_reads: bool,
    /// Run the internal hourly schedule (generate at :00, refresh at :15).
    pub schedule: bool,
    /// Most jobs running at once; more are refused with 429.
    pub max_jobs: usize,
    /// Generation workers per generate job.
    pub jobs_per_generate: usize,
}

impl std::fmt::Debug for ServiceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSettings")
            .field("api_token", &self.api_token.as_ref().map(|_| "<redacted>"))
            .field("oidc", &self.oidc_audience())
            .field("protect_reads", &self.protect_reads)
            .field("schedule", &self.schedule)
            .field("max_jobs", &self.max_jobs)
            .field("jobs_per_generate", &self.jobs_per_generate)
            .finish()
    }
}

impl Default for ServiceSettings {
    /// Open endpoints, no schedule, 16 jobs, one generation worker: what tests start from.
    fn default() -> Self {
        Self {
            api_token: None,
            #[cfg(feature = "gcp")]
            oidc: None,
            protect_reads: false,
            schedule: false,
            max_jobs: 16,
            jobs_per_generate: 1,
        }
    }
}

impl ServiceSettings {
    /// Whether any authentication is configured.
    pub fn has_auth(&self) -> bool {
        self.api_token.is_some() || self.oidc_audience().is_some()
    }

    /// The OIDC audience checked, if OIDC is on (safe to show).
    pub fn oidc_audience(&self) -> Option<&str> {
        #[cfg(feature = "gcp")]
        return self.oidc.as_ref().map(|v| v.config().audience.as_str());
        #[cfg(not(feature = "gcp"))]
        None
    }
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub settings: ServiceSettings,
    pub world: Arc<World>,
    pub lake: Lake,
    pub identity: LakeIdentity,
    pub jobs: JobRegistry,
    pub metrics: Metrics,
    /// The warehouse, when this build has one (the `duckdb` feature).
    pub warehouse: Option<Arc<dyn Warehouse>>,
    /// The bus (the in-process one, or Pub/Sub) and its topic names.
    pub bus: Arc<dyn Publisher>,
    pub topics: Topics,
    /// Fake-data pools for events, drawn once from the world.
    pub pools: Arc<EventPools>,
    /// Plays Dataflow's part: bus to raw archive, stream tables and dead letters.
    pub subscriber: Arc<Subscriber>,
    subscriber_stop: CancellationToken,
    subscriber_tasks: Mutex<Vec<JoinHandle<()>>>,
    pub started_at: DateTime<Utc>,
    /// The newest complete hour and the cached warehouse view, updated as jobs end.
    pub freshness: Freshness,
}

/// The state handlers receive: cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// Opens the backends named by the configuration and builds the world.
    pub async fn build(config: Config, settings: ServiceSettings) -> anyhow::Result<Self> {
        let lake = open_lake(&config).await?;
        let identity = config.identity();
        lake.ensure_identity(&identity).await?;
        let (seed, scale) = (config.seed, config.scale.clone());
        let world = tokio::task::spawn_blocking(move || Arc::new(World::new(seed, &scale))).await?;
        let last = latest_complete_hour(&lake, Utc::now()).await?;
        let (warehouse, warehouse_sink) = open_warehouse(&config).await?;
        let pools = {
            let world = world.clone();
            Arc::new(tokio::task::spawn_blocking(move || EventPools::new(world)).await?)
        };
        let topics = crate::backends::topics(&config);
        let (bus, feed) = open_bus(&config, &topics).await?;
        // Streamed rows live beside the lake, not in it: the lake's tables hold only the
        // generator's CSV partitions.
        let stream = open_stream_store(&config).await?;
        let mut sinks: Vec<Arc<dyn EventSink>> = vec![Arc::new(LakeEventSink::new(stream))];
        sinks.extend(warehouse_sink);
        let subscriber = Subscriber::new(
            lake.store().clone(),
            Arc::new(TeeSink::new(sinks)),
            SubscriberConfig::default(),
        );
        let subscriber_stop = CancellationToken::new();
        let subscriber_tasks = feed.spawn(&topics, &subscriber, &subscriber_stop);
        Ok(Self {
            warehouse,
            bus,
            topics,
            pools,
            subscriber,
            subscriber_stop,
            subscriber_tasks: Mutex::new(subscriber_tasks),
            jobs: JobRegistry::new(settings.max_jobs),
            config,
            settings,
            world,
            lake,
            identity,
            metrics: Metrics::default(),
            started_at: Utc::now(),
            freshness: Freshness::new(last),
        })
    }

    /// Lets the subscriber drain the bus (up to `within`), then stops it.
    pub async fn stop_streaming(&self, within: std::time::Duration) {
        if tokio::time::timeout(within, self.bus.flush())
            .await
            .is_err()
        {
            tracing::warn!("the bus did not drain in time; undelivered messages are lost");
        }
        self.subscriber_stop.cancel();
        let tasks = std::mem::take(
            &mut *self
                .subscriber_tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Looks back up to a week for the newest complete hour: enough for status at start-up,
/// without listing the whole history.
async fn latest_complete_hour(
    lake: &Lake,
    now: DateTime<Utc>,
) -> Result<Option<PartitionHour>, LakeError> {
    for back in 0..8 {
        let date = (now - Duration::days(back)).date_naive();
        if let Some(hour) = lake.complete_hours(date).await?.last() {
            return Ok(PartitionHour::new(date, *hour).ok());
        }
    }
    Ok(None)
}
