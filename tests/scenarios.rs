//! The scenario runner sends exactly its number of events at its rate (checked on tokio's
//! paused clock, so minutes pass in milliseconds), stops promptly on cancel keeping its counts,
//! and feeds the subscriber so that every event ends as a row.

mod common;

use common::local_bus::SubscribedBus;
use retail_pipeline::bus::{
    LocalBus, MemorySink, Message, Publisher, Subscriber, SubscriberConfig, DEFAULT_EVENTS_TOPIC,
};
use retail_pipeline::generate::events::{
    parse_event, EventGenerator, EventPools, EventTime, EventType,
};
use retail_pipeline::generate::World;
use retail_pipeline::jobs::scenario::{
    CustomScenario, Pacing, RunOptions, ScenarioProgress, ScenarioRunError, ScenarioRunner,
    ScenarioSpec, ScenarioSummary,
};
use retail_pipeline::lake::{BlobStore, LocalDirStore};
use retail_pipeline::model::{Scale, ScaleName};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Runs `spec` to its end with the default options, never cancelled; with its progress.
async fn run_uncancelled(
    runner: &ScenarioRunner,
    spec: &ScenarioSpec,
    run_key: &str,
) -> (
    Result<ScenarioSummary, ScenarioRunError>,
    Arc<ScenarioProgress>,
) {
    let progress = ScenarioProgress::new();
    let cancel = CancellationToken::new();
    let result = runner
        .run(spec, run_key, RunOptions::default(), &progress, &cancel)
        .await;
    (result, progress)
}

fn pools() -> Arc<EventPools> {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    Arc::new(EventPools::new(world))
}

/// When a message arrived (since the start) and its data.
type Arrival = (Duration, Vec<u8>);

/// A consumer that records when each message arrived and how many arrived together.
struct Recorder {
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    batches: Arc<Mutex<Vec<usize>>>,
}

fn record(bus: &LocalBus, start: Instant) -> Recorder {
    let mut sub = bus.subscribe(DEFAULT_EVENTS_TOPIC);
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let batches = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (arrivals.clone(), batches.clone());
    tokio::spawn(async move {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if sub.recv_many(&mut buf, 10_000).await == 0 {
                return;
            }
            let at = Instant::now() - start;
            b.lock().unwrap().push(buf.len());
            a.lock()
                .unwrap()
                .extend(buf.iter().map(|m| (at, m.data.to_vec())));
            sub.ack(buf.len());
        }
    });
    Recorder { arrivals, batches }
}

async fn run(
    spec: &ScenarioSpec,
    pacing: Pacing,
) -> (
    Result<retail_pipeline::jobs::scenario::ScenarioSummary, ScenarioRunError>,
    Recorder,
    Arc<ScenarioProgress>,
) {
    let bus = LocalBus::new(256);
    let start = Instant::now();
    let recorder = record(&bus, start);
    let runner = ScenarioRunner::new(pools(), Arc::new(bus.clone()), DEFAULT_EVENTS_TOPIC);
    let progress = ScenarioProgress::new();
    let options = RunOptions {
        pacing,
        base_time: Some(EventTime::parse("2026-11-22T05:00:00Z").unwrap()),
    };
    let result = runner
        .run(spec, "job-1", options, &progress, &CancellationToken::new())
        .await;
    bus.flush().await.unwrap();
    (result, recorder, progress)
}

/// A custom run of `events_per_minute` for `seconds`, of `types` (`None`: every type).
fn custom(events_per_minute: u32, seconds: u64, types: Option<Vec<String>>) -> ScenarioSpec {
    CustomScenario {
        events_per_minute,
        duration_seconds: Some(seconds),
        event_types: types,
        ..Default::default()
    }
    .validate()
    .unwrap()
}

/// Runs `spec`, which must send exactly `events` and have each arrive: what was recorded.
async fn run_exactly(spec: &ScenarioSpec, pacing: Pacing, events: u64) -> Recorder {
    let (result, recorder, _) = run(spec, pacing).await;
    assert_eq!(result.unwrap().sent, events);
    assert_eq!(recorder.arrivals.lock().unwrap().len() as u64, events);
    recorder
}

#[tokio::test(start_paused = true)]
async fn quick_sample_sends_twelve_events_five_seconds_apart() {
    let spec = ScenarioSpec::named("quick_sample").unwrap();
    let (result, recorder, progress) = run(&spec, Pacing::Scheduled).await;
    let summary = result.unwrap();
    assert_eq!(
        (summary.sent, summary.target, summary.cancelled),
        (12, 12, false)
    );
    let arrivals = recorder.arrivals.lock().unwrap();
    let times: Vec<Duration> = arrivals.iter().map(|a| a.0).collect();
    let expected: Vec<Duration> = (0..12).map(|i| Duration::from_secs(5 * i)).collect();
    assert_eq!(times, expected, "event i at exactly 5 i seconds");
    let rate = summary.measured_per_minute.unwrap();
    assert!((rate - 12.0).abs() / 12.0 < 0.01, "rate {rate}");
    // Event times follow the schedule too, and each event is valid.
    for (i, (_, data)) in arrivals.iter().enumerate() {
        let event = parse_event(data).unwrap();
        let want = EventTime::parse("2026-11-22T05:00:00Z")
            .unwrap()
            .plus_millis(5_000 * i as i64);
        assert_eq!(event.event_time(), want);
    }
    let snap = progress.snapshot();
    assert!(snap.finished && snap.eta_secs.is_none());
    assert!((snap.elapsed_secs - 55.0).abs() < 0.001, "{snap:?}");
}

#[tokio::test(start_paused = true)]
async fn burst_test_is_exact_in_count_and_rate() {
    let spec = ScenarioSpec::named("burst_test").unwrap();
    let (result, recorder, _) = run(&spec, Pacing::Scheduled).await;
    let summary = result.unwrap();
    assert_eq!(summary.sent, 900);
    let arrivals = recorder.arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 900);
    for (i, (at, _)) in arrivals.iter().enumerate() {
        assert_eq!(*at, spec.offset(i as u64), "event {i}");
    }
    let rate = summary.measured_per_minute.unwrap();
    assert!((rate - 300.0).abs() / 300.0 < 0.01, "rate {rate}");
}

#[tokio::test(start_paused = true)]
async fn high_rates_go_out_in_small_batches_on_schedule() {
    let spec = custom(60_000, 5, Some(vec!["inventory".into()]));
    let recorder = run_exactly(&spec, Pacing::Scheduled, 5_000).await;
    let arrivals = recorder.arrivals.lock().unwrap();
    // Never early, never more than a tick late.
    for (i, (at, _)) in arrivals.iter().enumerate() {
        let due = spec.offset(i as u64);
        assert!(
            *at >= due && *at <= due + Duration::from_millis(10),
            "event {i} at {at:?}, due {due:?}"
        );
    }
    let batches = recorder.batches.lock().unwrap();
    assert!(
        batches.len() < 600 && batches.iter().all(|&n| n <= 64),
        "{} batches",
        batches.len()
    );
    assert!(arrivals
        .iter()
        .all(|(_, d)| parse_event(d).unwrap().event_type() == EventType::Inventory));
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_promptly_and_keeps_counts() {
    let spec = ScenarioSpec::named("light_demo").unwrap(); // 30 a minute: one every 2 s
    let bus = LocalBus::new(64);
    let start = Instant::now();
    let recorder = record(&bus, start);
    let runner = ScenarioRunner::new(pools(), Arc::new(bus.clone()), DEFAULT_EVENTS_TOPIC);
    let progress = ScenarioProgress::new();
    let cancel = CancellationToken::new();
    let task = {
        let (progress, cancel, spec) = (progress.clone(), cancel.clone(), spec.clone());
        tokio::spawn(async move {
            runner
                .run(&spec, "job-c", RunOptions::default(), &progress, &cancel)
                .await
        })
    };
    tokio::time::sleep(Duration::from_secs(61)).await;
    let mid = progress.snapshot();
    assert_eq!(mid.sent, 31, "events at 0, 2, ..., 60 s");
    assert!(
        (mid.eta_secs.unwrap() - (298.0 - 61.0)).abs() < 0.01,
        "{mid:?}"
    );
    cancel.cancel();
    let summary = tokio::time::timeout(Duration::from_millis(1), task)
        .await
        .expect("a cancelled run returns at once")
        .unwrap()
        .unwrap();
    assert!(summary.cancelled);
    assert_eq!((summary.sent, summary.target), (31, 150));
    bus.flush().await.unwrap();
    assert_eq!(recorder.arrivals.lock().unwrap().len(), 31);
    let after = progress.snapshot();
    assert_eq!((after.sent, after.target, after.finished), (31, 150, true));
    assert!((after.measured_per_minute.unwrap() - 30.0).abs() < 0.01);
}

#[tokio::test]
async fn a_publish_failure_ends_the_run_with_its_counts() {
    let bus = LocalBus::new(8); // nobody subscribes
    let runner = ScenarioRunner::new(pools(), Arc::new(bus), DEFAULT_EVENTS_TOPIC);
    let spec = ScenarioSpec::named("quick_sample").unwrap();
    let (err, progress) = run_uncancelled(&runner, &spec, "job-e").await;
    let err = err.unwrap_err();
    assert!(
        matches!(
            err,
            ScenarioRunError::Publish {
                sent: 0,
                target: 12,
                ..
            }
        ),
        "{err}"
    );
    assert!(progress.snapshot().finished);
}

#[tokio::test]
async fn unthrottled_runs_send_exactly_the_target() {
    let spec = custom(60_000, 3, None);
    let recorder = run_exactly(&spec, Pacing::Unthrottled, 3_000).await;
    let arrivals = recorder.arrivals.lock().unwrap();
    let ids: std::collections::HashSet<String> = arrivals
        .iter()
        .map(|(_, d)| parse_event(d).unwrap().event_id().to_string())
        .collect();
    assert_eq!(ids.len(), 3_000, "ids are unique within a run");
    // Several threads generate an unthrottled run; what arrives is still exactly the run's
    // events in sequence order, as one thread would make them.
    let generator = EventGenerator::new(pools(), "job-1", &spec.event_types);
    let base = EventTime::parse("2026-11-22T05:00:00Z").unwrap();
    for (i, (_, data)) in arrivals.iter().enumerate() {
        let at = base.plus_millis(spec.offset(i as u64).as_millis() as i64);
        let expected = Message::event(&generator.event(i as u64, at));
        assert_eq!(data, &expected.data, "event {i}");
    }
}

#[tokio::test]
async fn a_run_through_the_subscriber_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = MemorySink::new();
    let subscriber = Subscriber::new(
        store,
        sink.clone(),
        SubscriberConfig {
            linger: Duration::from_millis(20),
            ..SubscriberConfig::default()
        },
    );
    let subscribed = SubscribedBus::new(32, &subscriber, &[DEFAULT_EVENTS_TOPIC]);
    let bus = subscribed.bus.clone();
    let runner = ScenarioRunner::new(pools(), Arc::new(bus), DEFAULT_EVENTS_TOPIC);
    let spec = custom(6_000, 2, None);
    let (summary, _) = run_uncancelled(&runner, &spec, "job-s").await;
    let summary = summary.unwrap();
    subscribed.drain().await;
    let stats = subscriber.stats().snapshot();
    assert_eq!(summary.sent, 200);
    assert_eq!(stats.received, 200);
    assert!(stats.reconciles() && stats.dead_letters == 0, "{stats:?}");
    let rows = sink.rows();
    assert_eq!(
        rows.orders.len() + rows.inventory.len() + rows.user_activity.len(),
        200
    );
}

/// A publisher that takes `delay` per call before handing the batch to the local bus.
#[derive(Debug)]
struct SlowPublisher {
    inner: LocalBus,
    delay: Duration,
}

#[async_trait::async_trait]
impl Publisher for SlowPublisher {
    async fn publish(
        &self,
        topic: &str,
        messages: Vec<retail_pipeline::bus::Message>,
    ) -> Result<(), retail_pipeline::bus::BusError> {
        tokio::time::sleep(self.delay).await;
        self.inner.publish(topic, messages).await
    }

    async fn flush(&self) -> Result<(), retail_pipeline::bus::BusError> {
        self.inner.flush().await
    }

    fn describe(&self) -> String {
        "slow".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_bus_does_not_push_the_schedule_back() {
    let spec = ScenarioSpec::named("quick_sample").unwrap();
    // With 12 s per publish: batches start at 0, 12, 24, 36, 48, 60 s, the last lands at 72 s.
    for (delay, want_last) in [(3, 58), (12, 72)] {
        let bus = LocalBus::new(64);
        let start = Instant::now();
        let recorder = record(&bus, start);
        let slow = SlowPublisher {
            inner: bus.clone(),
            delay: Duration::from_secs(delay),
        };
        let runner = ScenarioRunner::new(pools(), Arc::new(slow), DEFAULT_EVENTS_TOPIC);
        let (summary, _) = run_uncancelled(&runner, &spec, "job-slow").await;
        let summary = summary.unwrap();
        assert_eq!(summary.sent, 12);
        bus.flush().await.unwrap();
        let arrivals = recorder.arrivals.lock().unwrap();
        assert_eq!(arrivals.len(), 12);
        // Sleeping 5 s after each publish would put the last event at 11 * (5 + delay) + delay.
        // The absolute schedule starts each publish when due, or at once when late, and sends
        // what has fallen due together.
        assert_eq!(
            arrivals.last().unwrap().0,
            Duration::from_secs(want_last),
            "delay {delay}"
        );
        if delay < 5 {
            for (i, (at, _)) in arrivals.iter().enumerate() {
                assert_eq!(*at, Duration::from_secs(5 * i as u64 + delay));
            }
        }
    }
}

#[tokio::test]
async fn the_event_bench_measures_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let figures = retail_pipeline::jobs::scenario::bench::bench_events(pools(), 2_000, Some(store))
        .await
        .unwrap();
    assert_eq!(figures.generate_one_thread.events, 2_000);
    assert_eq!(figures.runner_to_bus.events, 2_000);
    assert!(figures.runner_to_bus.bytes > 2_000 * 150, "{figures:?}");
    assert_eq!(
        figures.runner_to_lake.as_ref().map(|t| t.events),
        Some(2_000)
    );
    assert!(figures.runner_to_bus.events_per_sec > 0.0);
}

/// Figures for the notes: `cargo test --release --test scenarios event_figures -- --ignored
/// --nocapture` (takes about two minutes of real time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn event_figures() {
    use retail_pipeline::jobs::scenario::bench::{bench_events, bench_rate_accuracy};
    use retail_pipeline::jobs::scenario::SCENARIOS;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Default)));
    let pools = Arc::new(EventPools::new(world));
    let figures = bench_events(pools.clone(), 200_000, Some(store))
        .await
        .unwrap();
    println!("{}", serde_json::to_string_pretty(&figures).unwrap());
    for s in SCENARIOS.iter().filter(|s| s.event_types.len() == 3) {
        let spec = ScenarioSpec::named(s.name).unwrap();
        let accuracy = bench_rate_accuracy(pools.clone(), &spec, Duration::from_secs(20))
            .await
            .unwrap();
        println!("{}", serde_json::to_string(&accuracy).unwrap());
    }
}

#[tokio::test(start_paused = true)]
async fn rate_accuracy_is_measured_at_the_receiver() {
    let spec = ScenarioSpec::named("burst_test").unwrap();
    let accuracy = tokio::time::timeout(
        Duration::from_secs(60),
        retail_pipeline::jobs::scenario::bench::bench_rate_accuracy(
            pools(),
            &spec,
            Duration::from_secs(10),
        ),
    )
    .await
    .expect("the measurement ends")
    .unwrap();
    // 300 a minute for 10 s: 50 events, 0.2 s apart, on a paused (exact) clock.
    assert_eq!(accuracy.events, 50);
    assert!(accuracy.error_pct.abs() < 1e-9, "{accuracy:?}");
    assert_eq!(accuracy.max_late_ms, 0.0);
}
