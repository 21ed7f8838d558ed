//! The scenario runner: exactly `total_events` events, event `i` published at
//! `start + offset(i)` on tokio's monotonic clock (so tests can pause time), with progress in
//! atomics and prompt cancellation that keeps the counts.

use super::{IncidentReport, RunPlan, ScenarioError, ScenarioSpec};
use crate::bus::{BusError, Message, Publisher};
use crate::generate::events::{EventGenerator, EventPools, EventTime};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Most events in one publish of a scheduled run (only reached when catching up).
const MAX_SCHEDULED_BATCH: u64 = 64;
/// Below this interval, events due within one tick go out together rather than one wake-up
/// per event: at 1,000 events a second that is batches of about ten.
const MIN_TICK: Duration = Duration::from_millis(10);
/// Events per publish in unthrottled mode.
const UNTHROTTLED_BATCH: u64 = 500;
/// Most generator threads of an unthrottled run: past the cores, more only add switching.
const MAX_UNTHROTTLED_THREADS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pacing {
    /// Event `i` at `start + offset(i)`.
    #[default]
    Scheduled,
    /// As fast as generation and the bus allow: for benchmarks.
    Unthrottled,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub pacing: Pacing,
    /// `event_time` of event 0; event `i` is stamped `base_time + offset(i)`. `None`: now.
    /// Giving the same base time and run key replays a run byte for byte.
    pub base_time: Option<EventTime>,
}

/// Live counters of one run, shared with status readers. All reads are lock-free.
#[derive(Debug, Default)]
pub struct ScenarioProgress {
    target: AtomicU64,
    sent: AtomicU64,
    target_per_minute: AtomicU64,
    unthrottled: AtomicBool,
    started: OnceLock<Instant>,
    /// Nanoseconds from the start to the first and the latest publish; `finished` is set once
    /// the run ends (0 while running).
    first_nanos: AtomicU64,
    last_nanos: AtomicU64,
    finished_nanos: AtomicU64,
    /// The run's seed, once known: shown so that a run can be replayed with it.
    seed: OnceLock<u64>,
    /// When the last slot is due, in nanoseconds from the start.
    last_due_nanos: AtomicU64,
    /// What the run's incidents were resolved to.
    incidents: OnceLock<Vec<IncidentReport>>,
}

/// A copy of the progress for `/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressSnapshot {
    pub sent: u64,
    pub target: u64,
    pub target_per_minute: u64,
    pub elapsed_secs: f64,
    /// Events per minute actually sent: over the span between the first and the latest event
    /// (scheduled), or since the start (unthrottled). `None` until there is a span.
    pub measured_per_minute: Option<f64>,
    /// Time until the last event is due (scheduled) or expected (unthrottled).
    pub eta_secs: Option<f64>,
    pub finished: bool,
    /// The run's seed, when the run was given or drew one (`POST` again with it to replay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The run's incidents with the ids chosen for them and their exact effects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<IncidentReport>,
}

impl ScenarioProgress {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Progress of the run seeded `seed` (shown in its snapshot).
    pub fn seeded(seed: u64) -> Arc<Self> {
        let progress = Self::default();
        let _ = progress.seed.set(seed);
        Arc::new(progress)
    }

    /// Shows `plan`'s target and incidents before the run starts (`begin` does it too).
    pub fn prepare(&self, plan: &RunPlan) {
        let total = plan.total_events();
        self.target.store(total, Ordering::Release);
        self.target_per_minute
            .store(u64::from(plan.spec().events_per_minute), Ordering::Release);
        let last = plan.offset(total.saturating_sub(1)).as_nanos();
        self.last_due_nanos
            .store(u64::try_from(last).unwrap_or(u64::MAX), Ordering::Release);
        let _ = self.incidents.set(plan.reports().to_vec());
    }

    fn begin(&self, plan: &RunPlan, pacing: Pacing) -> Instant {
        self.prepare(plan);
        self.unthrottled
            .store(pacing == Pacing::Unthrottled, Ordering::Release);
        *self.started.get_or_init(Instant::now)
    }

    fn record(&self, start: Instant, n: u64) {
        let at = (Instant::now() - start).as_nanos().max(1) as u64;
        let _ = self
            .first_nanos
            .compare_exchange(0, at, Ordering::AcqRel, Ordering::Acquire);
        self.last_nanos.store(at, Ordering::Release);
        self.sent.fetch_add(n, Ordering::AcqRel);
    }

    fn finish(&self, start: Instant) {
        let at = (Instant::now() - start).as_nanos().max(1) as u64;
        self.finished_nanos.store(at, Ordering::Release);
    }

    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    pub fn target(&self) -> u64 {
        self.target.load(Ordering::Acquire)
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let sent = self.sent();
        let target = self.target();
        let per_minute = self.target_per_minute.load(Ordering::Acquire);
        let finished_nanos = self.finished_nanos.load(Ordering::Acquire);
        let elapsed = match (self.started.get(), finished_nanos) {
            (None, _) => Duration::ZERO,
            (Some(_), n) if n > 0 => Duration::from_nanos(n),
            (Some(start), _) => Instant::now() - *start,
        };
        let secs = |n: u64| n as f64 / 1e9;
        let unthrottled = self.unthrottled.load(Ordering::Acquire);
        let measured = if unthrottled {
            (sent > 0 && !elapsed.is_zero()).then(|| sent as f64 * 60.0 / elapsed.as_secs_f64())
        } else {
            let span = self
                .last_nanos
                .load(Ordering::Acquire)
                .saturating_sub(self.first_nanos.load(Ordering::Acquire));
            (sent > 1 && span > 0).then(|| (sent - 1) as f64 * 60.0 / secs(span))
        };
        let finished = finished_nanos > 0;
        let eta = if finished || target == 0 {
            None
        } else if unthrottled {
            measured.map(|rate| (target - sent) as f64 * 60.0 / rate)
        } else {
            let last_due = secs(self.last_due_nanos.load(Ordering::Acquire));
            Some((last_due - elapsed.as_secs_f64()).max(0.0))
        };
        ProgressSnapshot {
            sent,
            target,
            target_per_minute: per_minute,
            elapsed_secs: elapsed.as_secs_f64(),
            measured_per_minute: measured,
            eta_secs: eta,
            finished,
            seed: self.seed.get().copied(),
            incidents: self.incidents.get().cloned().unwrap_or_default(),
        }
    }
}

/// How a run ended (short of an error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSummary {
    pub sent: u64,
    pub target: u64,
    pub elapsed_secs: f64,
    pub measured_per_minute: Option<f64>,
    /// True when a cancel stopped the run before its last event; `sent` says how far it got.
    pub cancelled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioRunError {
    #[error("publishing failed after {sent} of {target} events: {source}")]
    Publish {
        sent: u64,
        target: u64,
        #[source]
        source: BusError,
    },
    /// A producer task panicked or was cancelled.
    #[error("the event generator failed")]
    Generator(#[source] tokio::task::JoinError),
    #[error("the run's incidents cannot be planned")]
    Plan(#[source] ScenarioError),
}

/// A run planned once, before it starts: its slots and incidents and the generator they were
/// resolved with (the run's ids come from it, so the two travel together).
#[derive(Debug, Clone)]
pub struct PlannedRun {
    plan: Arc<RunPlan>,
    generator: Arc<EventGenerator>,
}

impl PlannedRun {
    pub fn plan(&self) -> &RunPlan {
        &self.plan
    }
}

/// Runs scenarios: generates their events and publishes them to one topic.
#[derive(Debug, Clone)]
pub struct ScenarioRunner {
    pools: Arc<EventPools>,
    publisher: Arc<dyn Publisher>,
    topic: String,
}

impl ScenarioRunner {
    pub fn new(pools: Arc<EventPools>, publisher: Arc<dyn Publisher>, topic: &str) -> Self {
        Self {
            pools,
            publisher,
            topic: topic.to_string(),
        }
    }

    /// Plans `spec`'s run as the run `run_key` (see `run_key`: it makes the run's ids and
    /// payloads) from `base`, the event time of its first slot. CPU work: resolving a flash
    /// sale looks at up to `MAX_FLASH_WINDOW_EVENTS` events, so async callers do it on a
    /// blocking thread. Fails on incidents the world cannot take.
    pub fn plan(
        &self,
        spec: &ScenarioSpec,
        run_key: &str,
        base: EventTime,
    ) -> Result<PlannedRun, ScenarioError> {
        let generator = Arc::new(EventGenerator::new(
            self.pools.clone(),
            run_key,
            &spec.event_types,
        ));
        let plan = Arc::new(RunPlan::new(spec, &generator, base)?);
        Ok(PlannedRun { plan, generator })
    }

    /// Plans `spec` (on this thread: for tests and benches, whose plans are small) and runs it;
    /// see `run_planned`.
    pub async fn run(
        &self,
        spec: &ScenarioSpec,
        run_key: &str,
        options: RunOptions,
        progress: &ScenarioProgress,
        cancel: &CancellationToken,
    ) -> Result<ScenarioSummary, ScenarioRunError> {
        let base = options.base_time.unwrap_or_else(EventTime::now);
        let planned = self
            .plan(spec, run_key, base)
            .map_err(ScenarioRunError::Plan)?;
        self.run_planned(planned, options.pacing, progress, cancel)
            .await
    }

    /// Runs a planned run. Returns when every event is published, or promptly after `cancel`
    /// fires (the batch in flight completes, so `sent` is exact), or on the first publish
    /// error. `progress` is updated throughout and stays readable afterwards.
    pub async fn run_planned(
        &self,
        planned: PlannedRun,
        pacing: Pacing,
        progress: &ScenarioProgress,
        cancel: &CancellationToken,
    ) -> Result<ScenarioSummary, ScenarioRunError> {
        let PlannedRun { plan, generator } = planned;
        let start = progress.begin(&plan, pacing);
        let result = match pacing {
            Pacing::Scheduled => {
                self.scheduled(&plan, &generator, start, progress, cancel)
                    .await
            }
            Pacing::Unthrottled => {
                self.unthrottled(plan, generator, start, progress, cancel)
                    .await
            }
        };
        progress.finish(start);
        result?;
        let snap = progress.snapshot();
        Ok(ScenarioSummary {
            sent: snap.sent,
            target: snap.target,
            elapsed_secs: snap.elapsed_secs,
            measured_per_minute: snap.measured_per_minute,
            cancelled: snap.sent < snap.target,
        })
    }

    async fn scheduled(
        &self,
        plan: &RunPlan,
        generator: &EventGenerator,
        start: Instant,
        progress: &ScenarioProgress,
        cancel: &CancellationToken,
    ) -> Result<(), ScenarioRunError> {
        let total = plan.total_events();
        let tick = if plan.spec().offset(1) < MIN_TICK {
            MIN_TICK
        } else {
            Duration::ZERO
        };
        let mut next = 0u64;
        let mut last_wake: Option<Instant> = None;
        while next < total {
            // Every deadline comes from the one start instant: a late wake-up shortens the
            // next wait instead of pushing every later event back.
            let due = start + plan.offset(next);
            let wake = last_wake.map_or(due, |w| due.max(w + tick));
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Ok(()),
                () = tokio::time::sleep_until(wake) => {}
            }
            let now = Instant::now();
            last_wake = Some(now);
            let elapsed = now - start;
            let mut end = next + 1;
            while end < total && end - next < MAX_SCHEDULED_BATCH && plan.offset(end) <= elapsed {
                end += 1;
            }
            // At most 64 events: tens of microseconds of generation, fine on this thread.
            let messages = (next..end).map(|i| plan.message(generator, i)).collect();
            self.publish(messages, progress, start, total).await?;
            next = end;
        }
        Ok(())
    }

    async fn unthrottled(
        &self,
        plan: Arc<RunPlan>,
        generator: Arc<EventGenerator>,
        start: Instant,
        progress: &ScenarioProgress,
        cancel: &CancellationToken,
    ) -> Result<(), ScenarioRunError> {
        let total = plan.total_events();
        // Generation (CPU) on blocking threads, publishing here: they overlap. Generation is
        // nine tenths of an event's cost and each event is a pure function of its number, so
        // several threads take turns at batches (thread `w` makes batches `w`, `w + n`, ...)
        // and the batches are published strictly in order: the same messages in the same
        // order as one thread would send, only sooner.
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_UNTHROTTLED_THREADS);
        let batches = total.div_ceil(UNTHROTTLED_BATCH);
        let mut queues = Vec::with_capacity(threads);
        let mut producers = Vec::with_capacity(threads);
        for w in 0..threads as u64 {
            let (tx, rx) = mpsc::channel::<Vec<Message>>(2);
            queues.push(rx);
            let (gen_cancel, gen_plan, generator) =
                (cancel.clone(), plan.clone(), generator.clone());
            let stride = threads as u64;
            producers.push(tokio::task::spawn_blocking(move || {
                let mut batch = w;
                while batch < batches && !gen_cancel.is_cancelled() {
                    let next = batch * UNTHROTTLED_BATCH;
                    let end = (next + UNTHROTTLED_BATCH).min(total);
                    let messages = (next..end)
                        .map(|i| gen_plan.message(&generator, i))
                        .collect();
                    if tx.blocking_send(messages).is_err() {
                        return; // the publisher stopped
                    }
                    batch += stride;
                }
            }));
        }
        let mut outcome = Ok(());
        for batch in 0..batches {
            let Some(queue) = queues.get_mut((batch % threads as u64) as usize) else {
                break;
            };
            let messages = tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                messages = queue.recv() => messages,
            };
            // A queue ends early only if its producer panicked: stop, and report it below.
            let Some(messages) = messages else { break };
            if let Err(e) = self.publish(messages, progress, start, total).await {
                outcome = Err(e);
                break;
            }
        }
        drop(queues);
        for producer in producers {
            producer.await.map_err(ScenarioRunError::Generator)?;
        }
        outcome
    }

    async fn publish(
        &self,
        messages: Vec<Message>,
        progress: &ScenarioProgress,
        start: Instant,
        total: u64,
    ) -> Result<(), ScenarioRunError> {
        let n = messages.len() as u64;
        self.publisher
            .publish(&self.topic, messages)
            .await
            .map_err(|source| ScenarioRunError::Publish {
                sent: progress.sent(),
                target: total,
                source,
            })?;
        progress.record(start, n);
        Ok(())
    }
}

impl crate::jobs::registry::JobProgress for ScenarioProgress {
    fn done(&self) -> u64 {
        self.sent()
    }

    fn target(&self) -> u64 {
        ScenarioProgress::target(self)
    }

    fn detail(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self.snapshot()).ok()
    }
}
