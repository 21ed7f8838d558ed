//! Event-path benchmarks, for `retail-pipeline bench` and the notes: events per second
//! generated, pushed through the local bus unthrottled, and landed by the subscriber; and how
//! closely a scheduled run keeps its rate on the real clock.

use super::{CustomScenario, Pacing, RunOptions, ScenarioProgress, ScenarioRunner, ScenarioSpec};
use crate::bus::{
    spawn_subscriber, LakeEventSink, LocalBus, Publisher, Subscriber, SubscriberConfig,
};
use crate::generate::events::{EventGenerator, EventPools, EventTime};
use crate::lake::BlobStore;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "bench-events";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    pub events: u64,
    pub bytes: u64,
    pub secs: f64,
    pub events_per_sec: f64,
}

impl Throughput {
    fn new(events: u64, bytes: u64, elapsed: Duration) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        Self {
            events,
            bytes,
            secs,
            events_per_sec: events as f64 / secs,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventBenchFigures {
    /// Generation and JSON encoding on one thread, nothing else.
    pub generate_one_thread: Throughput,
    /// The unthrottled runner into the local bus, drained by a consumer that only acknowledges.
    pub runner_to_bus: Throughput,
    /// The unthrottled runner through the bus and the subscriber (parse, archive, JSONL rows
    /// in the lake), timed until `flush` returns. `None` without a store.
    pub runner_to_lake: Option<Throughput>,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench scenario: {0}")]
    Spec(#[from] super::ScenarioError),
    #[error("bench run: {0}")]
    Run(#[from] super::ScenarioRunError),
    #[error("bench bus: {0}")]
    Bus(#[from] crate::bus::BusError),
    /// A task of the bench panicked or was cancelled.
    #[error("a bench task failed")]
    Task(#[source] tokio::task::JoinError),
    /// The run ended without the figures it measures.
    #[error("bench run: {0}")]
    Incomplete(String),
}

/// Measures the event path with `events` events (at least 1,000 gives stable figures). With
/// `store`, also lands them in that lake (archive and JSONL tables): use a scratch store.
pub async fn bench_events(
    pools: Arc<EventPools>,
    events: u64,
    store: Option<Arc<dyn BlobStore>>,
) -> Result<EventBenchFigures, BenchError> {
    let events = events.clamp(1, super::MAX_EVENTS);
    let generate_one_thread = {
        let pools = pools.clone();
        tokio::task::spawn_blocking(move || {
            let generator = EventGenerator::new(pools, "bench-generate", &[]);
            let at = EventTime::from_millis(1_790_000_000_000);
            let started = Instant::now();
            let mut bytes = 0u64;
            let mut buf = Vec::with_capacity(1024);
            for i in 0..events {
                buf.clear();
                generator.event(i, at).write_json(&mut buf);
                bytes += buf.len() as u64;
            }
            Throughput::new(events, bytes, started.elapsed())
        })
        .await
        .map_err(BenchError::Task)?
    };

    // Enough minutes at the top rate to hold `events`; unthrottled ignores the rate anyway.
    let spec = CustomScenario {
        events_per_minute: super::MAX_EVENTS_PER_MINUTE,
        duration_seconds: Some(events.div_ceil(1_000).max(1)),
        ..CustomScenario::default()
    }
    .validate()?;

    let runner_to_bus = {
        let bus = LocalBus::default();
        let mut sub = bus.subscribe(TOPIC);
        let bytes = Arc::new(Mutex::new(0u64));
        let counted = bytes.clone();
        let drain = tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let mut total = 0u64;
            while sub.recv_many(&mut buf, 1024).await > 0 {
                total += buf.iter().map(|m| m.data.len() as u64).sum::<u64>();
                sub.ack(buf.len());
                buf.clear();
            }
            if let Ok(mut b) = counted.lock() {
                *b = total;
            }
        });
        let started = Instant::now();
        let sent = unthrottled(&pools, &bus, &spec).await?;
        bus.flush().await?;
        let elapsed = started.elapsed();
        drop(bus);
        drain.await.map_err(BenchError::Task)?;
        let bytes = bytes.lock().map(|b| *b).unwrap_or(0);
        Throughput::new(sent, bytes, elapsed)
    };

    let runner_to_lake = match store {
        None => None,
        Some(store) => {
            let bus = LocalBus::default();
            let subscriber = Subscriber::new(
                store.clone(),
                Arc::new(LakeEventSink::new(store)),
                SubscriberConfig::default(),
            );
            let cancel = CancellationToken::new();
            let task = spawn_subscriber(subscriber.clone(), bus.subscribe(TOPIC), cancel.clone());
            let started = Instant::now();
            let sent = unthrottled(&pools, &bus, &spec).await?;
            bus.flush().await?;
            let elapsed = started.elapsed();
            cancel.cancel();
            task.await.map_err(BenchError::Task)?;
            let stats = subscriber.stats().snapshot();
            if !stats.reconciles() || stats.rows() != sent {
                return Err(BenchError::Incomplete(format!(
                    "subscriber lost track: sent {sent}, {stats:?}"
                )));
            }
            Some(Throughput::new(sent, 0, elapsed))
        }
    };
    Ok(EventBenchFigures {
        generate_one_thread,
        runner_to_bus,
        runner_to_lake,
    })
}

async fn unthrottled(
    pools: &Arc<EventPools>,
    bus: &LocalBus,
    spec: &ScenarioSpec,
) -> Result<u64, BenchError> {
    let runner = ScenarioRunner::new(pools.clone(), Arc::new(bus.clone()), TOPIC);
    let options = RunOptions {
        pacing: Pacing::Unthrottled,
        base_time: None,
    };
    let progress = ScenarioProgress::new();
    let summary = runner
        .run(spec, "bench", options, &progress, &CancellationToken::new())
        .await?;
    Ok(summary.sent)
}

/// How closely a scheduled run keeps its rate on the real clock, seen by the receiver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateAccuracy {
    pub scenario: String,
    pub target_per_minute: u32,
    pub events: u64,
    pub secs: f64,
    /// `(events - 1)` intervals over the span from the first to the last arrival.
    pub measured_per_minute: f64,
    pub error_pct: f64,
    /// Latest arrival relative to its scheduled time.
    pub max_late_ms: f64,
}

/// Runs `spec` at its rate for at most `limit` of real time (a shortened copy of it) into a
/// local bus and measures arrival times at the subscriber end.
pub async fn bench_rate_accuracy(
    pools: Arc<EventPools>,
    spec: &ScenarioSpec,
    limit: Duration,
) -> Result<RateAccuracy, BenchError> {
    let shortened = ScenarioSpec {
        duration_seconds: spec.duration_seconds.min(limit.as_secs().max(1)),
        ..spec.clone()
    };
    let bus = LocalBus::default();
    let mut sub = bus.subscribe(TOPIC);
    let arrivals = Arc::new(Mutex::new(Vec::with_capacity(
        usize::try_from(shortened.total_events()).unwrap_or(0),
    )));
    let recorded = arrivals.clone();
    let started = tokio::time::Instant::now();
    let drain = tokio::spawn(async move {
        let mut buf = Vec::new();
        while sub.recv_many(&mut buf, 1024).await > 0 {
            let at = tokio::time::Instant::now() - started;
            if let Ok(mut a) = recorded.lock() {
                a.extend(std::iter::repeat_n(at, buf.len()));
            }
            sub.ack(buf.len());
            buf.clear();
        }
    });
    let runner = ScenarioRunner::new(pools, Arc::new(bus.clone()), TOPIC);
    let progress = ScenarioProgress::new();
    runner
        .run(
            &shortened,
            "bench-rate",
            RunOptions::default(),
            &progress,
            &CancellationToken::new(),
        )
        .await?;
    bus.flush().await?;
    // The drain ends when the last handle on the bus is gone.
    drop((runner, bus));
    drain.await.map_err(BenchError::Task)?;
    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let n = arrivals.len() as u64;
    let (first, last) = match (arrivals.first(), arrivals.last()) {
        (Some(f), Some(l)) => (*f, *l),
        _ => return Err(BenchError::Incomplete("no event arrived".into())),
    };
    let span = (last - first).as_secs_f64();
    let measured = if n > 1 && span > 0.0 {
        (n - 1) as f64 * 60.0 / span
    } else {
        f64::from(shortened.events_per_minute)
    };
    let max_late = arrivals
        .iter()
        .enumerate()
        .map(|(i, at)| at.saturating_sub(shortened.offset(i as u64)).as_secs_f64() * 1e3)
        .fold(0.0, f64::max);
    let target = f64::from(shortened.events_per_minute);
    Ok(RateAccuracy {
        scenario: spec.name.clone(),
        target_per_minute: shortened.events_per_minute,
        events: n,
        secs: span,
        measured_per_minute: measured,
        error_pct: (measured - target) / target * 100.0,
        max_late_ms: max_late,
    })
}
