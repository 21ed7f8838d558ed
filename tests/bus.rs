//! The local bus and the subscriber: bounded back-pressure, flush, alerts with their ordering
//! key, and reconciliation (events in = rows + dead letters) with every kind of bad message.

mod common;

use bytes::Bytes;
use common::local_bus::SubscribedBus;
use retail_pipeline::bus::{
    alert_messages, publish_alerts, BusError, Delivery, LakeEventSink, LocalBus, MemorySink,
    Message, Publisher, Subscriber, SubscriberConfig, ATTR_ALERT_ID, ATTR_EVENT_TYPE,
    DEFAULT_ALERTS_TOPIC, DEFAULT_EVENTS_TOPIC,
};
use retail_pipeline::generate::events::{EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::{hour_alerts, World};
use retail_pipeline::lake::{BlobPath, BlobStore, LocalDirStore};
use retail_pipeline::model::{Scale, ScaleName};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

fn pools() -> Arc<EventPools> {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    Arc::new(EventPools::new(world))
}

fn msg(i: usize) -> Message {
    Message::new(i.to_string())
}

#[tokio::test]
async fn a_slow_subscriber_holds_publishers_back_within_capacity() {
    let bus = LocalBus::new(4);
    let mut sub = bus.subscribe("t");
    let publisher = bus.clone();
    let task =
        tokio::spawn(async move { publisher.publish("t", (0..100).map(msg).collect()).await });
    // Give the publisher every chance to run ahead.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert!(!task.is_finished(), "publish must wait for room");
    assert_eq!(sub.queued(), 4, "the queue holds exactly its capacity");
    let mut got = Vec::new();
    while got.len() < 100 {
        let m = sub.recv().await.expect("message");
        got.push(String::from_utf8(m.data.to_vec()).unwrap());
        assert!(sub.queued() <= 4);
    }
    task.await.unwrap().unwrap();
    // Publish order is kept.
    assert_eq!(got, (0..100).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn publishing_nowhere_is_refused_not_dropped() {
    let bus = LocalBus::new(8);
    let err = bus.publish("nobody", vec![msg(1)]).await.unwrap_err();
    assert!(
        matches!(&err, BusError::NoSubscription { topic } if topic == "nobody"),
        "{err:?}"
    );
    let sub = bus.subscribe("nobody");
    drop(sub);
    assert!(
        bus.publish("nobody", vec![msg(1)]).await.is_err(),
        "closed subscriptions do not count"
    );
}

#[tokio::test]
async fn flush_waits_for_acknowledgement() {
    let bus = LocalBus::new(8);
    let mut sub = bus.subscribe("t");
    bus.publish("t", vec![msg(1), msg(2)]).await.unwrap();
    let flusher = bus.clone();
    let flush = tokio::spawn(async move { flusher.flush().await });
    let _ = sub.recv().await;
    let _ = sub.recv().await;
    sub.ack(1);
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!flush.is_finished(), "one message is still unacknowledged");
    assert_eq!(sub.backlog(), 1);
    sub.ack(1);
    tokio::time::timeout(Duration::from_secs(5), flush)
        .await
        .expect("flush returns once all are acknowledged")
        .unwrap()
        .unwrap();
    assert_eq!(bus.stats()[0].backlog, 0);
}

#[test]
fn alert_messages_carry_id_and_ordering_key() {
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let alerts = hour_alerts(&world, "2026-11-20T18".parse().unwrap());
    assert!(!alerts.is_empty());
    let messages = alert_messages(&alerts);
    assert_eq!(messages.len(), alerts.len());
    for (m, a) in messages.iter().zip(&alerts) {
        assert_eq!(m.attribute(ATTR_ALERT_ID), Some(a.alert_id.as_str()));
        assert_eq!(
            m.attribute(ATTR_EVENT_TYPE),
            Some("negative_inventory_alert")
        );
        assert_eq!(
            m.ordering_key.as_deref(),
            Some(format!("{}/{}", a.store_id, a.product_id).as_str())
        );
        let row: Value = serde_json::from_slice(&m.data).unwrap();
        assert_eq!(row["closing_stock"], json!(a.closing_stock));
    }
}

/// A bad copy of a good event for each reason the subscriber can give.
fn malformed(pools: &Arc<EventPools>) -> Vec<(Message, &'static str)> {
    let generator = EventGenerator::new(pools.clone(), "bad", &[]);
    let at = EventTime::from_millis(1_790_000_000_000);
    let value = |ty| -> Value {
        serde_json::from_slice(&generator.event_of(ty, 9, at).to_json_bytes()).unwrap()
    };
    // Routed as the service routes them, by their `event_type` attribute: the payload is
    // what is wrong.
    let with = |v: &Value, f: &dyn Fn(&mut Value)| {
        let ty = v["event_type"].as_str().unwrap().to_string();
        let mut v = v.clone();
        f(&mut v);
        Message::new(v.to_string()).with_attribute(ATTR_EVENT_TYPE, ty)
    };
    let order = value(EventType::Order);
    let inventory = value(EventType::Inventory);
    let total = order["total_amount"].as_f64().unwrap();
    vec![
        (
            Message::new("{\"event_type\": \"order\",").with_attribute(ATTR_EVENT_TYPE, "order"),
            "invalid_json",
        ),
        // What no event table's subscription takes: no attribute, or a type with no table.
        (Message::new(order.to_string()), "missing_event_type"),
        (
            Message::new(order.to_string()).with_attribute(ATTR_EVENT_TYPE, "refund"),
            "unknown_event_type",
        ),
        (
            with(&order, &|v| v["event_type"] = json!("refund")),
            "unknown_event_type",
        ),
        (
            with(&order, &|v| {
                v.as_object_mut().unwrap().remove("items");
            }),
            "missing_field",
        ),
        (
            with(&order, &|v| v["items"] = json!("none")),
            "invalid_field",
        ),
        (
            with(&order, &|v| v["schema_version"] = json!(7)),
            "unsupported_schema_version",
        ),
        (
            with(&order, &|v| v["total_amount"] = json!(total + 1.0)),
            "total_mismatch",
        ),
        (
            with(&inventory, &|v| {
                v["reason"] = json!("damage");
                v["quantity_change"] = json!(3);
            }),
            "sign_mismatch",
        ),
        (
            Message::event(&generator.event_of(EventType::Order, 10, at))
                .with_attribute(ATTR_EVENT_TYPE, "inventory"),
            "attribute_mismatch",
        ),
        (
            Message::new(vec![0xff, 0xfe, 0x00]).with_attribute(ATTR_EVENT_TYPE, "user_activity"),
            "invalid_json",
        ),
    ]
}

#[tokio::test]
async fn every_message_becomes_a_row_or_a_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = MemorySink::new();
    let subscriber = Subscriber::new(
        store.clone(),
        sink.clone(),
        SubscriberConfig {
            max_batch: 64,
            linger: Duration::from_millis(5),
            ..SubscriberConfig::default()
        },
    );
    let subscribed = SubscribedBus::new(
        16,
        &subscriber,
        &[DEFAULT_EVENTS_TOPIC, DEFAULT_ALERTS_TOPIC],
    );
    let bus = subscribed.bus.clone();

    let pools = pools();
    let generator = EventGenerator::new(pools.clone(), "reconcile", &[]);
    let start = EventTime::parse("2026-11-22T05:00:30Z").unwrap();
    let good: Vec<Message> = (0..300)
        .map(|i| Message::event(&generator.event(i, start.plus_millis(i as i64 * 200))))
        .collect();
    let bad = malformed(&pools);
    let mut all = good.clone();
    // Bad messages spread among the good ones.
    for (i, (m, _)) in bad.iter().enumerate() {
        all.insert(i * 30, m.clone());
    }
    for chunk in all.chunks(37) {
        bus.publish(DEFAULT_EVENTS_TOPIC, chunk.to_vec())
            .await
            .unwrap();
    }
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let alerts = hour_alerts(&world, "2026-11-20T18".parse().unwrap());
    let published = publish_alerts(&bus, DEFAULT_ALERTS_TOPIC, &alerts)
        .await
        .unwrap();
    // A forged alert: its attribute names another id.
    let mut forged = alert_messages(&alerts[..1]);
    forged[0]
        .attributes
        .insert(ATTR_ALERT_ID.into(), "NEG-other".into());
    bus.publish(DEFAULT_ALERTS_TOPIC, forged).await.unwrap();

    subscribed.drain().await;

    let stats = subscriber.stats().snapshot();
    let rows = sink.rows();
    assert_eq!(stats.received, (all.len() + published + 1) as u64);
    assert!(stats.reconciles(), "{stats:?}");
    assert_eq!(stats.failed, 0);
    assert_eq!(stats.rows(), (good.len() + published) as u64);
    assert_eq!(
        rows.orders.len() + rows.inventory.len() + rows.user_activity.len(),
        good.len()
    );
    assert_eq!(
        rows.alerts
            .iter()
            .map(|a| a.row.clone())
            .collect::<Vec<_>>(),
        alerts
    );
    // Every row carries its message's metadata, as a BigQuery subscription writes it.
    assert!(rows.orders.iter().all(|o| o.meta.message_id.is_some()
        && o.meta.subscription_name.as_deref() == Some("retail-events-local")
        && o.meta
            .attributes
            .as_ref()
            .and_then(|a| a.get(ATTR_EVENT_TYPE))
            .map(String::as_str)
            == Some("order")));
    assert_eq!(rows.dead_letters.len(), bad.len() + 1);
    // Each bad message is dead-lettered with its own reason.
    let mut reasons: Vec<&str> = rows
        .dead_letters
        .iter()
        .map(|d| d.reason.as_str())
        .collect();
    let mut expected: Vec<&str> = bad.iter().map(|(_, r)| *r).collect();
    expected.push("attribute_mismatch");
    reasons.sort();
    expected.sort();
    assert_eq!(reasons, expected);
    let by_reason: u64 = stats.dead_by_reason.iter().map(|(_, n)| n).sum();
    assert_eq!(by_reason, stats.dead_letters);
    assert!(rows
        .dead_letters
        .iter()
        .all(|d| !d.data.is_empty() || d.reason == "invalid_json"));

    // The archive holds every good event exactly once, by type and minute of event time.
    let archived = store.list(&BlobPath::new("events").unwrap()).await.unwrap();
    let mut lines = 0;
    for object in &archived {
        let path = object.path.as_str();
        assert!(path.ends_with(".jsonl"), "{path}");
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 8, "{path}");
        assert!(["order", "inventory", "user_activity"].contains(&parts[1]));
        let body = store.get(&object.path).await.unwrap();
        for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: Value = serde_json::from_slice(line).unwrap();
            assert_eq!(v["event_type"], json!(parts[1]));
            let t = v["event_time"].as_str().unwrap();
            // YYYY-MM-DDTHH:MM matches the directory.
            assert_eq!(
                &t[..16],
                format!(
                    "{}-{}-{}T{}:{}",
                    parts[2], parts[3], parts[4], parts[5], parts[6]
                )
            );
            lines += 1;
        }
    }
    assert_eq!(lines, good.len());
    assert_eq!(stats.archive_files, archived.len() as u64);
    assert!(
        stats.batches > 0 && stats.write_micros > 0,
        "every written batch adds its write time: {stats:?}"
    );
}

#[tokio::test]
async fn failed_writes_are_retried_then_counted_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = MemorySink::new();
    let config = SubscriberConfig {
        attempts: 3,
        backoff: Duration::from_millis(1),
        ..SubscriberConfig::default()
    };
    let subscriber = Subscriber::new(store, sink.clone(), config);
    let generator = EventGenerator::new(pools(), "retry", &[]);
    let batch = |from: u64| -> Vec<Message> {
        (from..from + 10)
            .map(|i| Message::event(&generator.event(i, EventTime::from_millis(1_790_000_000_000))))
            .collect()
    };
    sink.fail_next(2);
    subscriber.handle_batch("t", batch(0)).await;
    let s = subscriber.stats().snapshot();
    assert_eq!((s.rows(), s.failed, s.retries), (10, 0, 2));
    sink.fail_next(3);
    subscriber.handle_batch("t", batch(10)).await;
    let s = subscriber.stats().snapshot();
    assert_eq!((s.received, s.rows(), s.failed), (20, 10, 10));
    assert!(s.reconciles());
    assert!(s.last_error.unwrap().contains("injected failure"));
}

#[tokio::test]
async fn the_lake_sink_writes_one_jsonl_file_per_table_and_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let subscriber = Subscriber::new(
        store.clone(),
        Arc::new(LakeEventSink::new(store.clone())),
        SubscriberConfig::default(),
    );
    let generator = EventGenerator::new(pools(), "lake", &[EventType::Order]);
    // As a bus delivers them: with a message id and a publish time (now).
    let mut messages: Vec<Message> = (0..5)
        .map(|i| Message {
            delivery: Some(Delivery {
                subscription: "retail-events-local".into(),
                message_id: format!("m-{i}"),
                publish_time: EventTime::now(),
            }),
            ..Message::event(&generator.event(i, EventTime::from_millis(1_790_000_000_000)))
        })
        .collect();
    messages.push(Message::new(Bytes::from_static(b"nope")));
    subscriber.handle_batch("retail-events", messages).await;
    let orders = store
        .list(&BlobPath::new("order_events").unwrap())
        .await
        .unwrap();
    let dead = store
        .list(&BlobPath::new("dead_letter_events").unwrap())
        .await
        .unwrap();
    assert_eq!((orders.len(), dead.len()), (1, 1));
    let body = store.get(&orders[0].path).await.unwrap();
    let rows: Vec<Value> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| r["publish_time"].is_string() && r["order_id"].is_string()));
    // Money keeps two decimals inside the flattened row too.
    let text = String::from_utf8_lossy(&body);
    let first = &rows[0];
    let total = first["total_amount"].as_f64().unwrap();
    assert!(
        text.contains(&format!("\"total_amount\":{total:.2}")),
        "{text}"
    );
    // Partitioned by ingestion hour (what an incremental load's watermark follows), not by the
    // events' own time: handled within a second of publishing here.
    let ingested = rows[0]["publish_time"].as_str().unwrap();
    let partition = format!("/date={}/hour={}/", &ingested[..10], &ingested[11..13]);
    assert!(
        orders[0].path.as_str().contains(&partition),
        "{} vs {ingested}",
        orders[0].path
    );
}

#[tokio::test]
async fn a_subscription_sees_the_end_once_the_bus_is_gone() {
    let bus = LocalBus::new(4);
    let mut sub = bus.subscribe("t");
    bus.publish("t", vec![msg(1)]).await.unwrap();
    drop(bus);
    assert!(
        sub.recv().await.is_some(),
        "queued messages are still delivered"
    );
    let end = tokio::time::timeout(Duration::from_secs(5), sub.recv()).await;
    assert_eq!(end.expect("recv returns"), None);
}

/// Reads a `LocalBus` subscription for the shared contract suite.
struct LocalReader(retail_pipeline::bus::Subscription);

#[async_trait::async_trait]
impl retail_pipeline::bus::contract::Reader for LocalReader {
    async fn read(&mut self, n: usize, within: Duration) -> Vec<Message> {
        let deadline = tokio::time::Instant::now() + within;
        let mut got = Vec::new();
        while got.len() < n {
            let mut batch = Vec::new();
            match tokio::time::timeout_at(deadline, self.0.recv_many(&mut batch, n - got.len()))
                .await
            {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    self.0.ack(k);
                    got.extend(batch);
                }
            }
        }
        got
    }
}

#[tokio::test]
async fn the_local_bus_keeps_the_publisher_contract() {
    let bus = LocalBus::default();
    let mut reader = LocalReader(bus.subscribe("contract-topic"));
    retail_pipeline::bus::contract::run_all(&bus, "contract-topic", &mut reader, "nobody-reads")
        .await;
}

/// What `MemorySink` holds, for the sink contract suite.
struct MemoryStored(Arc<MemorySink>);

#[async_trait::async_trait]
impl retail_pipeline::bus::sink_contract::Stored for MemoryStored {
    async fn rows(&self) -> BTreeMap<String, Vec<retail_pipeline::bus::sink_contract::StoredRow>> {
        retail_pipeline::bus::sink_contract::expected(&self.0.rows())
    }
}

#[tokio::test]
async fn the_memory_sink_keeps_the_sink_contract() {
    let sink = MemorySink::new();
    retail_pipeline::bus::sink_contract::run_all(sink.as_ref(), &MemoryStored(sink.clone())).await;
}

/// The lake's JSONL stream tables, read back file by file, for the sink contract suite.
struct LakeStored(Arc<dyn BlobStore>);

#[async_trait::async_trait]
impl retail_pipeline::bus::sink_contract::Stored for LakeStored {
    async fn rows(&self) -> BTreeMap<String, Vec<retail_pipeline::bus::sink_contract::StoredRow>> {
        common::stored_per_stream_table(|table, id| async move {
            let mut rows = Vec::new();
            let listed = self
                .0
                .list(&BlobPath::new(table).unwrap())
                .await
                .unwrap_or_default();
            for object in listed {
                let body = self.0.get(&object.path).await.expect("read");
                for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    let row: Value = serde_json::from_slice(line).expect("a JSON row");
                    rows.push((
                        row[id].as_str().unwrap_or_default().to_string(),
                        row["message_id"].as_str().map(str::to_string),
                    ));
                }
            }
            rows
        })
        .await
    }
}

#[tokio::test]
async fn the_lake_sink_keeps_the_sink_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(LocalDirStore::open(dir.path()).unwrap());
    let sink = LakeEventSink::new(store.clone());
    retail_pipeline::bus::sink_contract::run_all(&sink, &LakeStored(store)).await;
}
