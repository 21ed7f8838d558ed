//! The application: every part of the pipeline wired once from the configuration, shared by
//! the HTTP handlers, the internal schedule and the CLI.

use crate::backends::{open_bus, open_lake, open_stream_store, open_warehouse};
use crate::bus::{
    EventSink, LakeEventSink, Publisher, Subscriber, SubscriberConfig, TeeSink, Topics,
};
use crate::config::Config;
use crate::generate::events::EventPools;
use crate::generate::World;
use crate::jobs::scenario::{
    fresh_seed, run_key, RunOptions, ScenarioProgress, ScenarioRunner, ScenarioSpec,
};
use crate::jobs::{publish_pending_alerts, AlertPublisher, Republished, RunTarget};
use crate::jobs::{
    run_hours, Admission, Admitted, Counters, Job, JobKind, JobRegistry, JobState, RegistryError,
    RunProgress,
};
use crate::lake::{Lake, LakeError, LakeIdentity};
use crate::metrics::Metrics;
use crate::model::{HourRange, PartitionHour, Table};
use crate::warehouse::Warehouse;
use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
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
    last_generated: Mutex<Option<PartitionHour>>,
    /// Refresh jobs ended in this process: part of `warehouse_view`'s cache key.
    refreshes_ended: AtomicU64,
    warehouse_view: tokio::sync::Mutex<Option<CachedView>>,
}

/// What `/status` shows of the warehouse.
#[derive(Debug, Clone, Default)]
pub struct WarehouseView {
    pub watermark: Option<PartitionHour>,
    pub stream_rows: Vec<(String, u64)>,
}

/// A `WarehouseView`, when it was read, and the counters it was read under.
#[derive(Debug)]
struct CachedView {
    key: [u64; 4],
    at: std::time::Instant,
    view: WarehouseView,
}

/// Longest a cached `WarehouseView` is served: another instance (or process) may refresh the
/// same BigQuery dataset without this one knowing.
const WAREHOUSE_VIEW_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(5);

/// The state handlers receive: cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("scenario job {0} is running; cancel it first or wait for it to end")]
    ScenarioRunning(String),
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
        let topics = match &config.gcp {
            Some(g) => Topics {
                alerts: g.alerts_topic.clone(),
                events: g.events_topic.clone(),
            },
            None => Topics::default(),
        };
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
            last_generated: Mutex::new(last),
            refreshes_ended: AtomicU64::new(0),
            warehouse_view: tokio::sync::Mutex::new(None),
        })
    }

    /// The newest hour known to be complete in the lake.
    pub fn last_generated_hour(&self) -> Option<PartitionHour> {
        *self
            .last_generated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn saw_hour(&self, hour: PartitionHour) {
        let mut last = self
            .last_generated
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|l| hour > l) {
            *last = Some(hour);
        }
    }

    /// Starts (or joins) a generate job for `range`. Returns the job and whether it was already
    /// running: a repeated request for the same work joins it instead of doing it twice.
    pub fn start_generate(
        self: &Arc<Self>,
        range: HourRange,
        force: bool,
    ) -> Result<(Arc<Job>, bool), StartError> {
        let name = format!(
            "{}..{}{}",
            range.from(),
            range.to(),
            if force { " (force)" } else { "" }
        );
        let progress = RunProgress::new();
        let job = match self.jobs.admit(
            JobKind::Generate,
            name,
            "hours",
            progress.clone(),
            Admission::JoinSameName,
        )? {
            Admitted::New(job) => job,
            Admitted::Joined(job) | Admitted::Busy(job) => return Ok((job, true)),
        };
        let (app, task_job) = (self.clone(), job.clone());
        spawn_job(&job, async move {
            let outcome = app.generate(range, force, progress, &task_job).await;
            match outcome {
                Ok((summary, skipped, republished)) => {
                    let state = if summary.cancelled {
                        JobState::Cancelled
                    } else {
                        JobState::Completed
                    };
                    let result = serde_json::json!({
                        "alerts_published": summary.alerts_published,
                        "alert_publish_errors": summary.alert_publish_errors,
                        "alerts_republished": republished.alerts,
                        "hours_still_owing_alerts": republished.still_pending
                            + summary.alert_publish_errors,
                        "hours_written": summary.hours,
                        "hours_already_complete": skipped,
                        "rows": summary.rows.iter().sum::<u64>(),
                        "sales_lines": summary.rows[Table::SalesData.index()],
                        "alerts": summary.rows[Table::NegativeInventoryAlerts.index()],
                        "bytes": summary.bytes,
                    });
                    tracing::info!(job = %task_job.id, hours = summary.hours, skipped, ?state, "generate job ended");
                    task_job.finish(state, None, Some(result));
                }
                Err(e) => {
                    tracing::error!(job = %task_job.id, error = %e, "generate job failed");
                    task_job.finish(JobState::Failed, Some(e.to_string()), None);
                }
            }
        });
        Ok((job, false))
    }

    /// Starts (or joins) the incremental refresh of the warehouse. One refresh runs at a time:
    /// a request while one runs joins it. `None` when this build has no warehouse.
    pub fn start_refresh(self: &Arc<Self>) -> Result<Option<(Arc<Job>, bool)>, StartError> {
        let Some(warehouse) = self.warehouse.clone() else {
            return Ok(None);
        };
        let name = "warehouse".to_string();
        let progress = Arc::new(Counters::default());
        let job = match self.jobs.admit(
            JobKind::Refresh,
            name,
            "hours",
            progress.clone(),
            Admission::JoinSameName,
        )? {
            Admitted::New(job) => job,
            Admitted::Joined(job) | Admitted::Busy(job) => return Ok(Some((job, true))),
        };
        let (app, task_job) = (self.clone(), job.clone());
        spawn_job(&job, async move {
            let outcome = warehouse.refresh(&app.lake).await;
            // Before the job is seen to end, so a status read after it sees the new state.
            app.refreshes_ended.fetch_add(1, Ordering::AcqRel);
            match outcome {
                Ok(report) => {
                    let loaded = report.hours_loaded.len() as u64;
                    progress.target.store(loaded, Ordering::Relaxed);
                    progress.done.store(loaded, Ordering::Relaxed);
                    app.metrics.add_refresh(&report);
                    let failed = !report.failures.is_empty();
                    let error = failed.then(|| {
                        report
                            .failures
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    });
                    // Hours the warehouse is behind the lake: what the deployed alert policy on
                    // the watermark reads from this line (deploy/operations.tf).
                    let lag_hours = match (app.last_generated_hour(), report.watermark_after) {
                        (Some(last), Some(mark)) => last.index() - mark.index(),
                        (Some(_), None) => -1,
                        _ => 0,
                    };
                    tracing::info!(job = %task_job.id, hours = loaded, failures = report.failures.len(), lag_hours, "refresh ended");
                    let state = if failed {
                        JobState::Failed
                    } else {
                        JobState::Completed
                    };
                    task_job.finish(state, error, serde_json::to_value(&report).ok());
                }
                Err(e) => {
                    tracing::error!(job = %task_job.id, error = %e, "refresh failed");
                    task_job.finish(JobState::Failed, Some(e.to_string()), None);
                }
            }
        });
        Ok(Some((job, false)))
    }

    fn alert_publisher(&self) -> AlertPublisher {
        AlertPublisher {
            publisher: self.bus.clone(),
            topic: self.topics.alerts.clone(),
        }
    }

    /// Starts a scenario: exactly its events, at its rate, to the events topic. One scenario
    /// runs at a time, so a rate asked for is the rate sent. Its ids come from `seed` (replayable)
    /// or, without one, from a seed drawn from the OS: never from the job id, which restarts at
    /// `scn-1` in every process.
    pub fn start_scenario(
        self: &Arc<Self>,
        spec: ScenarioSpec,
        seed: Option<u64>,
    ) -> Result<Arc<Job>, StartError> {
        let seed = seed.unwrap_or_else(fresh_seed);
        let progress = ScenarioProgress::seeded(seed);
        let job = match self.jobs.admit(
            JobKind::Scenario,
            spec.name.clone(),
            "events",
            progress.clone(),
            Admission::OnePerKind,
        )? {
            Admitted::New(job) => job,
            Admitted::Joined(running) | Admitted::Busy(running) => {
                return Err(StartError::ScenarioRunning(running.id.clone()))
            }
        };
        let runner = ScenarioRunner::new(self.pools.clone(), self.bus.clone(), &self.topics.events);
        let task_job = job.clone();
        spawn_job(&job, async move {
            let outcome = runner
                .run(
                    &spec,
                    &run_key(seed),
                    RunOptions::default(),
                    &progress,
                    &task_job.cancel,
                )
                .await;
            match outcome {
                Ok(summary) => {
                    let state = if summary.cancelled {
                        JobState::Cancelled
                    } else {
                        JobState::Completed
                    };
                    tracing::info!(job = %task_job.id, sent = summary.sent, ?state, "scenario ended");
                    task_job.finish(state, None, serde_json::to_value(&summary).ok());
                }
                Err(e) => {
                    tracing::error!(job = %task_job.id, error = %e, "scenario failed");
                    task_job.finish(JobState::Failed, Some(e.to_string()), None);
                }
            }
        });
        Ok(job)
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

    /// The warehouse's watermark and stream-table rows for status pages. Re-read only when
    /// something in this process may have changed them (a refresh ended, the subscriber took or
    /// wrote a batch) or after `WAREHOUSE_VIEW_MAX_AGE`: `/status` is polled by dashboards,
    /// probes and load tests, and BigQuery's two queries take a round trip each. DuckDB answers
    /// both from memory, so with it a re-read costs nothing.
    pub async fn warehouse_view(&self) -> WarehouseView {
        let Some(warehouse) = &self.warehouse else {
            return WarehouseView::default();
        };
        let stats = self.subscriber.stats();
        // Read before the queries: a change during them makes the next call read again.
        let key = [
            self.refreshes_ended.load(Ordering::Acquire),
            stats.received.load(Ordering::Acquire),
            stats.batches.load(Ordering::Acquire),
            stats.failed.load(Ordering::Acquire),
        ];
        let mut cached = self.warehouse_view.lock().await;
        if let Some(c) = cached.as_ref() {
            if c.key == key && c.at.elapsed() < WAREHOUSE_VIEW_MAX_AGE {
                return c.view.clone();
            }
        }
        let view = WarehouseView {
            watermark: self.warehouse_watermark().await,
            stream_rows: warehouse.stream_rows().await.unwrap_or_default(),
        };
        *cached = Some(CachedView {
            key,
            at: std::time::Instant::now(),
            view: view.clone(),
        });
        view
    }

    /// The warehouse's watermark, if there is a warehouse and it answers.
    pub async fn warehouse_watermark(&self) -> Option<PartitionHour> {
        match &self.warehouse {
            Some(w) => w.watermark().await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the warehouse watermark");
                None
            }),
            None => None,
        }
    }

    async fn generate(
        &self,
        range: HourRange,
        force: bool,
        progress: Arc<RunProgress>,
        job: &Job,
    ) -> anyhow::Result<(crate::jobs::RunSummary, usize, Republished)> {
        let hours: Vec<PartitionHour> = if force {
            range.hours().collect()
        } else {
            self.lake.missing_hours(range.hours()).await?
        };
        let skipped = range.len() - hours.len();
        let alerts = self.alert_publisher();
        // Alerts owed by earlier runs (the bus was down, or the process stopped before
        // publishing) go out first; a failure here must not stop the new hours.
        let republished = publish_pending_alerts(&self.lake, &self.world, &alerts)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot publish owed alerts");
                Republished::default()
            });
        self.metrics.add_republished(&republished);
        let target = RunTarget {
            lake: &self.lake,
            world: self.world.clone(),
            identity: &self.identity,
            jobs: self.settings.jobs_per_generate,
            alerts: Some(&alerts),
        };
        let summary = run_hours(target, hours, progress, job.cancel.clone()).await?;
        self.metrics.add_run(&summary);
        if !summary.cancelled {
            // Every hour of the range is complete now.
            self.saw_hour(range.to());
        }
        Ok((summary, skipped, republished))
    }
}

/// Runs a job's task inside its `job` span. Created here, in the caller's context, the span is
/// a child of the request (or schedule tick) that started the job, so the job's logs and its
/// trace span group under the caller's trace. A failed job's span ends with an error status.
fn spawn_job(job: &Arc<Job>, task: impl std::future::Future<Output = ()> + Send + 'static) {
    let kind = crate::metrics::json_name(&job.kind);
    let span = tracing::info_span!(
        "job",
        job = %job.id,
        kind = %kind,
        name = %job.name,
        otel.status_description = tracing::field::Empty,
    );
    crate::telemetry::link_logs(&span);
    let job = job.clone();
    let task = async move {
        task.await;
        if job.state() == JobState::Failed {
            let error = job.view().error.unwrap_or_else(|| "job failed".into());
            tracing::Span::current().record("otel.status_description", error.as_str());
        }
    };
    tokio::spawn(tracing::Instrument::instrument(task, span));
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
