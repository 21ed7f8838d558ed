//! `PubSubBus` against Google's Pub/Sub emulator (`PUBSUB_EMULATOR_HOST`; scripts/emulators.sh
//! starts it): exact round trips, ordering keys, bounded in-flight messages, the pull loop into
//! the subscriber, and a cut connection (through a proxy in the test, the emulator is shared).

#![cfg(feature = "gcp")]

mod common;

use retail_pipeline::bus::{
    alert_messages, BusError, MemorySink, Message, PubSubBus, PubSubConfig, Publisher, Subscriber,
    SubscriberConfig,
};
use retail_pipeline::gcp::{Credentials, GcpHttp, RetryPolicy};
use retail_pipeline::generate::events::{EventGenerator, EventPools, EventTime};
use retail_pipeline::generate::{hour_alerts, World};
use retail_pipeline::lake::{BlobPath, BlobStore, LocalDirStore};
use retail_pipeline::model::{Scale, ScaleName};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The emulator's address, or a loud skip (a failure under `CI=true`).
fn emulator() -> Option<String> {
    match std::env::var("PUBSUB_EMULATOR_HOST") {
        Ok(host) if !host.is_empty() => Some(host),
        _ => {
            common::skip_or_fail(
                "PUBSUB_EMULATOR_HOST not set (scripts/emulators.sh starts the emulator)",
            );
            None
        }
    }
}

/// A name no other test or process uses (the emulator is shared).
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn http(retry: RetryPolicy) -> GcpHttp {
    GcpHttp::new(Credentials::Anonymous, Duration::from_secs(30))
        .unwrap()
        .with_retry(retry)
}

fn bus(endpoint: &str, project: &str, config: PubSubConfig) -> Arc<PubSubBus> {
    Arc::new(PubSubBus::new(
        http(RetryPolicy::default()),
        Some(endpoint.to_string()),
        project,
        config,
    ))
}

/// A project with one topic and one ordered pull subscription on it.
async fn setup(host: &str, config: PubSubConfig) -> (Arc<PubSubBus>, String, String) {
    let bus = bus(host, &unique("proj"), config);
    let (topic, sub) = (unique("topic"), unique("sub"));
    bus.ensure_topic(&topic).await.unwrap();
    bus.ensure_subscription(&topic, &sub).await.unwrap();
    (bus, topic, sub)
}

fn events(run: &str, n: u64) -> Vec<Message> {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let generator = EventGenerator::new(Arc::new(EventPools::new(world)), run, &[]);
    let start = EventTime::parse("2026-11-22T05:00:00Z").unwrap();
    (0..n)
        .map(|i| Message::event(&generator.event(i, start.plus_millis(i as i64 * 50))))
        .collect()
}

fn event_id(m: &Message) -> String {
    let v: serde_json::Value = serde_json::from_slice(&m.data).unwrap();
    v["event_id"].as_str().unwrap().to_string()
}

/// Pulls and acknowledges until `until` holds for what was received (or `within` passes),
/// then a few more pulls to catch extras.
async fn collect(
    bus: &PubSubBus,
    sub: &str,
    within: Duration,
    until: impl Fn(&[Message]) -> bool,
) -> Vec<Message> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut extra_pulls = 0;
    while Instant::now() < deadline && extra_pulls < 3 {
        let pulled = bus.pull(sub).await.unwrap();
        if pulled.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ids: Vec<String> = pulled.iter().map(|p| p.ack_id.clone()).collect();
        got.extend(pulled.into_iter().map(|p| p.message));
        bus.acknowledge(sub, &ids).await.unwrap();
        if until(&got) {
            extra_pulls += 1;
        }
    }
    got
}

/// Messages as a sorted multiset of (data, attributes).
fn multiset(messages: &[Message]) -> Vec<(Vec<u8>, BTreeMap<String, String>)> {
    let mut v: Vec<_> = messages
        .iter()
        .map(|m| (m.data.to_vec(), m.attributes.clone()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn ten_thousand_events_in_one_call_come_back_exact() {
    let Some(host) = emulator() else { return };
    let (bus, topic, sub) = setup(&host, PubSubConfig::default()).await;
    let sent = events("ps-exact", 10_000);
    let started = Instant::now();
    bus.publish(&topic, sent.clone()).await.unwrap();
    bus.flush().await.unwrap();
    let stats = bus.stats();
    eprintln!("published 10,000 in {:?}: {stats:?}", started.elapsed());
    assert!(stats.requests >= 10, "{stats:?}");
    assert_eq!((stats.accepted, stats.in_flight), (10_000, 0));
    let got = collect(&bus, &sub, Duration::from_secs(60), |g| {
        g.len() >= sent.len()
    })
    .await;
    assert_eq!(got.len(), sent.len(), "no message lost, none doubled");
    assert_eq!(multiset(&got), multiset(&sent));
    assert!(got.iter().all(|m| m.ordering_key.is_none()));
    assert!(bus.describe().contains(&format!("emulator http://{host}")));
}

#[tokio::test]
async fn each_ordering_key_arrives_in_publish_order() {
    let Some(host) = emulator() else { return };
    let config = PubSubConfig {
        max_batch_messages: 40,
        ..PubSubConfig::default()
    };
    let (bus, topic, sub) = setup(&host, config).await;
    // 8 keys x 150 messages, interleaved, in 12 calls of 100 (3 requests each).
    let sent: Vec<Message> = (0..1_200)
        .map(|i| {
            let (key, seq) = (i % 8, i / 8);
            Message::new(format!("{key}:{seq}")).with_ordering_key(format!("key-{key}"))
        })
        .collect();
    for call in sent.chunks(100) {
        bus.publish(&topic, call.to_vec()).await.unwrap();
    }
    assert_eq!(bus.stats().requests, 36);
    let got = collect(&bus, &sub, Duration::from_secs(60), |g| g.len() >= 1_200).await;
    assert_eq!(got.len(), 1_200);
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in &got {
        let text = String::from_utf8(m.data.to_vec()).unwrap();
        let (key, seq) = text.split_once(':').unwrap();
        assert_eq!(
            m.ordering_key.as_deref(),
            Some(format!("key-{key}").as_str())
        );
        by_key
            .entry(key.to_string())
            .or_default()
            .push(seq.parse().unwrap());
    }
    assert_eq!(by_key.len(), 8);
    for (key, seqs) in by_key {
        assert_eq!(seqs, (0..150).collect::<Vec<_>>(), "key {key}");
    }
}

#[tokio::test]
async fn in_flight_messages_never_exceed_the_bound() {
    let Some(host) = emulator() else { return };
    let config = PubSubConfig {
        max_in_flight: 25,
        ..PubSubConfig::default()
    };
    let (bus, topic, sub) = setup(&host, config).await;
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (bus, done) = (bus.clone(), done.clone());
        tokio::spawn(async move {
            let mut max_seen = 0;
            while !done.load(Ordering::Acquire) {
                max_seen = max_seen.max(bus.stats().in_flight);
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            max_seen
        })
    };
    // 16 publishers x 5 calls x 30 messages: each call is a request of 25 and one of 5.
    let publishers: Vec<_> = (0..16)
        .map(|p| {
            let (bus, topic) = (bus.clone(), topic.clone());
            tokio::spawn(async move {
                for call in 0..5 {
                    let batch = (0..30)
                        .map(|i| Message::new(format!("{p}/{call}/{i}")))
                        .collect();
                    bus.publish(&topic, batch).await.unwrap();
                }
            })
        })
        .collect();
    for p in publishers {
        p.await.unwrap();
    }
    done.store(true, Ordering::Release);
    let max_seen = watcher.await.unwrap();
    let stats = bus.stats();
    assert_eq!(stats.peak_in_flight, 25, "{stats:?}");
    assert!(max_seen <= 25 && max_seen > 0, "watcher saw {max_seen}");
    assert_eq!(
        (stats.accepted, stats.requests, stats.in_flight),
        (2_400, 160, 0)
    );
    let got = collect(&bus, &sub, Duration::from_secs(60), |g| g.len() >= 2_400).await;
    let distinct: BTreeSet<_> = got.iter().map(|m| m.data.clone()).collect();
    assert_eq!((got.len(), distinct.len()), (2_400, 2_400));
}

#[tokio::test]
async fn the_pull_loop_lands_alerts_and_events_in_the_subscriber() {
    let Some(host) = emulator() else { return };
    let bus = bus(&host, &unique("proj"), PubSubConfig::default());
    let (alerts_topic, events_topic) = (unique("alerts"), unique("events"));
    let (alerts_sub, events_sub) = (unique("alerts-sub"), unique("events-sub"));
    for (topic, sub) in [(&alerts_topic, &alerts_sub), (&events_topic, &events_sub)] {
        bus.ensure_topic(topic).await.unwrap();
        bus.ensure_subscription(topic, sub).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = MemorySink::new();
    let subscriber = Subscriber::new(store.clone(), sink.clone(), SubscriberConfig::default());
    let stop = CancellationToken::new();
    let pulls = [
        bus.spawn_pull(
            alerts_sub,
            alerts_topic.clone(),
            subscriber.clone(),
            stop.clone(),
        ),
        bus.spawn_pull(
            events_sub,
            events_topic.clone(),
            subscriber.clone(),
            stop.clone(),
        ),
    ];

    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let mut alert_ids = BTreeSet::new();
    for hour in ["2026-11-20T17", "2026-11-20T18", "2026-11-20T19"] {
        let alerts = hour_alerts(&world, hour.parse().unwrap());
        alert_ids.extend(alerts.iter().map(|a| a.alert_id.clone()));
        bus.publish(&alerts_topic, alert_messages(&alerts))
            .await
            .unwrap();
    }
    let sent = events("ps-e2e", 3_000);
    bus.publish(&events_topic, sent.clone()).await.unwrap();
    bus.flush().await.unwrap();
    stop.cancel();
    for pull in pulls {
        tokio::time::timeout(Duration::from_secs(60), pull)
            .await
            .expect("the pull loop drains and returns after stop")
            .unwrap();
    }

    let stats = subscriber.stats().snapshot();
    let total = (alert_ids.len() + sent.len()) as u64;
    assert!(!alert_ids.is_empty());
    assert!(stats.reconciles(), "{stats:?}");
    assert_eq!(stats.received, total, "{stats:?}");
    assert_eq!(
        (stats.rows(), stats.dead_letters, stats.failed),
        (total, 0, 0)
    );
    assert_eq!(stats.alerts, alert_ids.len() as u64);
    let rows = sink.rows();
    // Alerts parse only with a matching alert_id attribute: none was dead-lettered.
    let got_ids: BTreeSet<_> = rows.alerts.iter().map(|a| a.alert_id.clone()).collect();
    assert_eq!(got_ids, alert_ids);
    // Each shelf's alerts arrive in hour order (ordering key store/product).
    let mut last: BTreeMap<(String, String), (String, u32)> = BTreeMap::new();
    for a in &rows.alerts {
        let at = (a.date.clone(), u32::from(a.hour));
        if let Some(prev) = last.insert((a.store_id.clone(), a.product_id.clone()), at.clone()) {
            assert!(prev < at, "{prev:?} then {at:?}");
        }
    }
    let event_ids: BTreeSet<String> = rows
        .orders
        .iter()
        .map(|e| e.event_id.clone())
        .chain(rows.inventory.iter().map(|e| e.event_id.clone()))
        .chain(rows.user_activity.iter().map(|e| e.event_id.clone()))
        .collect();
    assert_eq!(event_ids, sent.iter().map(event_id).collect());
    let archived = store.list(&BlobPath::new("events").unwrap()).await.unwrap();
    assert_eq!(stats.archive_files, archived.len() as u64);
    assert!(!archived.is_empty());
}

#[tokio::test]
async fn a_cut_connection_fails_fast_and_a_republish_delivers_everything() {
    let Some(host) = emulator() else { return };
    let project = unique("proj");
    let direct = bus(&host, &project, PubSubConfig::default());
    let (topic, sub) = (unique("topic"), unique("sub"));
    direct.ensure_topic(&topic).await.unwrap();
    direct.ensure_subscription(&topic, &sub).await.unwrap();

    let proxy = common::proxy::Proxy::start(host.clone()).await;
    let retry = RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    };
    let config = PubSubConfig {
        max_batch_messages: 100,
        ..PubSubConfig::default()
    };
    let proxied = PubSubBus::new(
        http(retry),
        Some(format!("http://{}", proxy.addr)),
        &project,
        config,
    );
    let sent = events("ps-fault", 1_000);
    let (first, second) = sent.split_at(500);
    proxied.publish(&topic, first.to_vec()).await.unwrap();

    proxy.cut();
    let started = Instant::now();
    let err = proxied.publish(&topic, second.to_vec()).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("failed after {took:?}: {err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let BusError::Partial {
        topic: t,
        accepted,
        total,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((t, *accepted, *total), (&topic, 0, 500));
    // The cause is kept: the service gave no answer, and its text names the topic.
    let BusError::Service { source: cause, .. } = source.as_ref() else {
        panic!("{source:?}")
    };
    assert!(cause.is_transient(), "{cause:?}");
    assert!(
        retail_pipeline::error_chain(&err).contains(&format!("topics/{topic}")),
        "{err}"
    );
    proxied.flush().await.unwrap();
    assert_eq!(proxied.stats().in_flight, 0);

    proxy.reopen();
    proxied.publish(&topic, second.to_vec()).await.unwrap();
    let expected: BTreeSet<String> = sent.iter().map(event_id).collect();
    let got = collect(&direct, &sub, Duration::from_secs(60), |g| {
        g.iter().map(event_id).collect::<BTreeSet<_>>().len() >= expected.len()
    })
    .await;
    let distinct: BTreeSet<String> = got.iter().map(event_id).collect();
    assert_eq!(
        distinct, expected,
        "every event arrives (duplicates allowed)"
    );
}

#[tokio::test]
async fn unknown_topics_and_unsubscribed_topics_are_refused_and_setup_is_idempotent() {
    let Some(host) = emulator() else { return };
    let (bus, topic, sub) = setup(&host, PubSubConfig::default()).await;
    // Idempotent.
    bus.ensure_topic(&topic).await.unwrap();
    bus.ensure_subscription(&topic, &sub).await.unwrap();
    // The same subscription name on another topic is refused.
    let other = unique("topic");
    bus.ensure_topic(&other).await.unwrap();
    let err = bus.ensure_subscription(&other, &sub).await.unwrap_err();
    assert!(
        matches!(&err, BusError::Misconfigured { problem, .. } if problem.contains("another topic")),
        "{err:?}"
    );

    let missing = unique("missing");
    let started = Instant::now();
    let err = bus
        .publish(&missing, vec![Message::new("x")])
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "not retried");
    let BusError::NoTopic { topic: t, name } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (t, name.ends_with(&format!("topics/{missing}"))),
        (&missing, true)
    );
    assert!(err.to_string().contains("does not exist"), "{err}");

    let err = bus
        .publish(&other, vec![Message::new("x")])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BusError::NoSubscription { topic } if *topic == other),
        "{err:?}"
    );
    bus.publish(&topic, Vec::new()).await.unwrap();
}

/// Reads a pull subscription for the shared contract suite.
struct PullReader {
    bus: Arc<PubSubBus>,
    subscription: String,
}

#[async_trait::async_trait]
impl retail_pipeline::bus::contract::Reader for PullReader {
    async fn read(&mut self, n: usize, within: Duration) -> Vec<Message> {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < deadline {
            let pulled = self.bus.pull(&self.subscription).await.expect("pull");
            if pulled.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            let ids: Vec<String> = pulled.iter().map(|p| p.ack_id.clone()).collect();
            self.bus
                .acknowledge(&self.subscription, &ids)
                .await
                .expect("acknowledge");
            got.extend(pulled.into_iter().map(|p| p.message));
        }
        got
    }
}

#[tokio::test]
async fn pubsub_keeps_the_publisher_contract() {
    let Some(host) = emulator() else { return };
    let project = unique("proj");
    let bus = bus(&host, &project, PubSubConfig::default());
    let (topic, sub, unread) = (unique("topic"), unique("sub"), unique("unread"));
    bus.ensure_topic(&topic).await.unwrap();
    bus.ensure_subscription(&topic, &sub).await.unwrap();
    bus.ensure_topic(&unread).await.unwrap();
    let mut reader = PullReader {
        bus: bus.clone(),
        subscription: sub,
    };
    retail_pipeline::bus::contract::run_all(bus.as_ref(), &topic, &mut reader, &unread).await;
}

/// Foreign messages on the events topic end, through the emulator, as dead letters with their
/// reasons and their Pub/Sub metadata: deployed the catch-all and dead-letter subscriptions
/// take them the same way. (The seeds' real payloads become typed rows: tests/seed_payloads.rs.)
#[tokio::test]
async fn foreign_and_attribute_less_messages_end_as_dead_letters_with_reasons() {
    let Some(host) = emulator() else { return };
    let (bus, topic, sub) = setup(&host, PubSubConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = MemorySink::new();
    let subscriber = Subscriber::new(store, sink.clone(), SubscriberConfig::default());
    let stop = CancellationToken::new();
    let pull = bus.spawn_pull(sub, topic.clone(), subscriber.clone(), stop.clone());
    // An order in seed 003's shape (order_date, price inside items) lacking its
    // shipping_address and product names, with an event_type attribute; an event of a type no
    // table holds; and a message with no attributes that is in no known shape.
    let seed_003 = Message::new(
        r#"{"event_type":"order","order_id":"ORD-20240115-001","customer_id":"CUST-001","order_date":"2024-01-15T10:30:00Z","items":[{"product_id":"PROD-001","quantity":2,"price":29.99}],"total_amount":59.98,"status":"pending"}"#,
    )
    .with_attribute("event_type", "order");
    let seed_004 = Message::new(
        r#"{"event_id":"evt-1","event_type":"order_created","timestamp":"2024-01-15T10:30:00Z","user_id":"u-1","metadata":{"session_id":"s-1","platform":"web"}}"#,
    )
    .with_attribute("event_type", "order_created");
    let bare = Message::new(r#"{"order_id":"X-1","total":10}"#);
    bus.publish(&topic, vec![seed_003, seed_004, bare])
        .await
        .unwrap();
    bus.flush().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while subscriber.stats().snapshot().received < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(60), pull)
        .await
        .expect("the pull loop returns")
        .unwrap();
    let stats = subscriber.stats().snapshot();
    assert_eq!(
        (stats.received, stats.dead_letters, stats.rows()),
        (3, 3, 0),
        "{stats:?}"
    );
    let by_reason: BTreeMap<&str, u64> = stats.dead_by_reason.iter().copied().collect();
    assert_eq!(by_reason["missing_field"], 1, "incomplete order: {stats:?}");
    assert_eq!(
        by_reason["unknown_event_type"], 1,
        "a type with no table: {stats:?}"
    );
    assert_eq!(
        by_reason["missing_event_type"], 1,
        "no attributes: {stats:?}"
    );
    let rows = sink.rows();
    assert_eq!(rows.dead_letters.len(), 3);
    for dead in &rows.dead_letters {
        assert!(!dead.data.is_empty() && !dead.detail.is_empty(), "{dead:?}");
        let id = dead.meta.message_id.as_deref().unwrap_or_default();
        assert!(!id.is_empty(), "Pub/Sub's message id is kept: {dead:?}");
        assert!(dead.meta.publish_time.is_some(), "{dead:?}");
    }
}
