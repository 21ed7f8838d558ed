//! The alert outbox on real parts (a lake directory, the in-process bus): an hour sealed while
//! the bus refuses its alerts stays owed, nothing else is tried once the bus is down, and the
//! next pass publishes exactly the owed alerts, once, with the ids the lake holds.

use retail_pipeline::bus::{LocalBus, Message, Publisher, Subscription, DEFAULT_ALERTS_TOPIC};
use retail_pipeline::generate::{hour_alerts, World, GENERATOR_VERSION};
use retail_pipeline::jobs::{
    publish_pending_alerts, run_hours, AlertPublisher, Republished, RunError, RunProgress,
    RunSummary, RunTarget,
};
use retail_pipeline::lake::{Lake, LakeIdentity, LocalDirStore};
use retail_pipeline::model::{PartitionHour, Scale, ScaleName};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

fn hours(list: &[&str]) -> Vec<PartitionHour> {
    list.iter().map(|h| h.parse().expect("hour")).collect()
}

/// The parts of a run that owes alerts: a small-scale lake (seed 42) in a directory, its world
/// and identity, and an alert publisher on an in-process bus nobody subscribes to yet.
struct Outbox {
    lake: Lake,
    world: Arc<World>,
    identity: LakeIdentity,
    bus: Arc<LocalBus>,
    to: AlertPublisher,
}

impl Outbox {
    fn new(dir: &Path) -> Self {
        let scale = Scale::preset(ScaleName::Small);
        let bus = Arc::new(LocalBus::new(100_000));
        Outbox {
            lake: Lake::new(Arc::new(LocalDirStore::open(dir).expect("open"))),
            world: Arc::new(World::new(42, &scale)),
            identity: LakeIdentity::new(42, &scale, GENERATOR_VERSION),
            to: AlertPublisher {
                publisher: bus.clone() as Arc<dyn Publisher>,
                topic: DEFAULT_ALERTS_TOPIC.to_string(),
            },
            bus,
        }
    }

    /// Writes `hours` with `jobs` workers, publishing each hour's alerts.
    async fn run(&self, hours: Vec<PartitionHour>, jobs: usize) -> Result<RunSummary, RunError> {
        let target = RunTarget {
            lake: &self.lake,
            world: self.world.clone(),
            identity: &self.identity,
            jobs,
            alerts: Some(&self.to),
        };
        run_hours(target, hours, RunProgress::new(), CancellationToken::new()).await
    }
}

/// What a subscription holds, taken until none comes for 200 ms.
async fn drain(sub: &mut Subscription) -> Vec<Message> {
    let mut received = Vec::new();
    while let Ok(Some(m)) =
        tokio::time::timeout(std::time::Duration::from_millis(200), sub.recv()).await
    {
        received.push(m);
    }
    received
}

#[tokio::test]
async fn alerts_refused_by_the_bus_stay_owed_until_a_later_pass_publishes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Outbox::new(dir.path());
    let (lake, world, bus, to) = (&o.lake, &o.world, &o.bus, &o.to);
    lake.ensure_identity(&o.identity).await.expect("identity");
    // Evening hours: the small scale oversells then, so every hour has alerts.
    let evening = hours(&["2026-11-20T17", "2026-11-20T18", "2026-11-20T19"]);
    let expected: BTreeSet<String> = evening
        .iter()
        .flat_map(|&h| hour_alerts(world, h))
        .map(|a| a.alert_id)
        .collect();
    assert!(evening.iter().all(|&h| !hour_alerts(world, h).is_empty()));

    // No subscription yet: the bus refuses the first hour's alerts, and the run goes on.
    let summary = o
        .run(evening.clone(), 1)
        .await
        .expect("the hours are written even though the bus refuses");
    assert_eq!(summary.hours, 3);
    assert_eq!(summary.alerts_published, 0);
    assert_eq!(summary.alert_publish_errors, 3);
    assert_eq!(lake.pending_alert_hours().await.expect("list"), evening);

    // An hour marked but never sealed is left to the run that writes it.
    let unsealed: PartitionHour = "2026-11-21T18".parse().expect("hour");
    lake.mark_alerts_pending(unsealed, 1).await.expect("mark");

    // The bus is back: the owed alerts go out once, exactly the lake's.
    let mut sub = bus.subscribe(DEFAULT_ALERTS_TOPIC);
    let done = publish_pending_alerts(lake, world, to)
        .await
        .expect("republish");
    assert_eq!(
        done,
        Republished {
            hours: 3,
            alerts: expected.len() as u64,
            still_pending: 1,
        }
    );
    let received: Vec<String> = drain(&mut sub)
        .await
        .into_iter()
        .map(|m| m.attributes["alert_id"].clone())
        .collect();
    assert_eq!(received.len(), expected.len(), "each owed alert once");
    assert_eq!(received.into_iter().collect::<BTreeSet<_>>(), expected);
    assert_eq!(
        lake.pending_alert_hours().await.expect("list"),
        vec![unsealed]
    );

    // Nothing owed is published twice.
    let again = publish_pending_alerts(lake, world, to)
        .await
        .expect("second pass");
    assert_eq!((again.hours, again.alerts), (0, 0));
}

#[tokio::test]
async fn a_published_hour_owes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Outbox::new(dir.path());
    let mut sub = o.bus.subscribe(DEFAULT_ALERTS_TOPIC);
    let evening = hours(&["2026-11-20T18", "2026-11-20T19"]);
    let summary = o.run(evening, 2).await.expect("run");
    assert!(summary.alerts_published > 0 && summary.alert_publish_errors == 0);
    assert!(o.lake.pending_alert_hours().await.expect("list").is_empty());
    assert_eq!(drain(&mut sub).await.len() as u64, summary.alerts_published);
}
