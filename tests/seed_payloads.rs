//! Seeds 003's and 004's own event payloads, published as their publishers publish them (no
//! message attributes), end as typed rows in the DuckDB stream tables: on the in-process bus
//! and through Google's Pub/Sub emulator. What cannot be mapped ends as a named dead letter.

mod common;

use common::local_bus::SubscribedBus;
use common::seed_payloads::{SEED003_GENERATOR, SEED003_GUIDE, SEED004, SEED_BAD_TOTAL};
use retail_pipeline::bus::{
    Message, Publisher, Subscriber, SubscriberConfig, DEFAULT_EVENTS_TOPIC,
};
use retail_pipeline::lake::{BlobStore, LocalDirStore};
use retail_pipeline::warehouse::duckdb::{DuckDbEventSink, DuckDbWarehouse};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Every seed payload, published as the seeds publish: data only, no attributes.
fn messages() -> Vec<Message> {
    SEED003_GUIDE
        .iter()
        .chain(&SEED003_GENERATOR)
        .chain(&SEED004)
        .chain(&[SEED_BAD_TOTAL])
        .map(|body| Message::new(body.to_string()))
        .collect()
}

fn subscriber(dir: &tempfile::TempDir, warehouse: &Arc<DuckDbWarehouse>) -> Arc<Subscriber> {
    let store: Arc<dyn BlobStore> =
        Arc::new(LocalDirStore::open(dir.path().join("lake")).expect("lake"));
    Subscriber::new(
        store,
        Arc::new(DuckDbEventSink::new(warehouse.clone())),
        SubscriberConfig {
            linger: Duration::from_millis(5),
            ..SubscriberConfig::default()
        },
    )
}

async fn rows(w: &DuckDbWarehouse, sql: &str) -> Vec<Vec<String>> {
    w.query_rows(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|c| c.unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}

/// The typed rows every seed payload must have become, field by field, and the dead letter.
async fn check_rows(w: &DuckDbWarehouse) {
    let orders = rows(
        w,
        "SELECT event_id, order_id, strftime(event_time, '%Y-%m-%dT%H:%M:%S.%g'), customer_id, \
                store_id, status, CAST(total_amount AS VARCHAR), json_array_length(items), \
                items->>'$[0].unit_price', items->>'$[0].product_name', \
                shipping_address->>'$.city', coalesce(shipping_address->>'$.state', 'NULL'), \
                coalesce(payment_method, 'NULL'), schema_version \
         FROM order_events ORDER BY event_id",
    )
    .await;
    assert_eq!(
        orders,
        [
            [
                "ord-1a2b3c4d",
                "ord-1a2b3c4d",
                "2026-12-04T20:11:05.123",
                "customer-042",
                "",
                "shipped",
                "3049.95",
                "2",
                "999.99",
                "Laptop Computer",
                "San Jose",
                "NULL",
                "NULL",
                "1"
            ],
            [
                "test-order-001",
                "test-order-001",
                "2024-01-15T10:30:00.000",
                "customer-123",
                "",
                "pending",
                "59.98",
                "1",
                "29.99",
                "Test Product",
                "Test City",
                "NULL",
                "NULL",
                "1"
            ],
            [
                "test-order-003",
                "test-order-003",
                "2025-02-24T12:30:00.000",
                "cust-xyz",
                "",
                "processing",
                "40.00",
                "1",
                "8.0",
                "AnotherWidget",
                "AnotherCity",
                "NULL",
                "NULL",
                "1"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
        .to_vec(),
    );
    let inventory = rows(
        w,
        "SELECT event_id, store_id, product_id, quantity_change, reason, \
                strftime(event_time, '%Y-%m-%dT%H:%M:%S.%g') \
         FROM inventory_events ORDER BY event_id",
    )
    .await;
    assert_eq!(
        inventory,
        [
            [
                "inv-001",
                "wh-us-central",
                "prod-001",
                "-2",
                "sale",
                "2024-01-15T10:35:00.000"
            ],
            [
                "inv-002",
                "wh-1",
                "p1",
                "20",
                "restock",
                "2025-02-23T11:00:00.000"
            ],
            [
                "inv-9f8e7d6c",
                "wh-eu-west",
                "prod-004",
                "-7",
                "damage",
                "2026-12-04T20:01:44.654"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
        .to_vec(),
    );
    let activity = rows(
        w,
        "SELECT customer_id, session_id, activity_type, metadata->>'$.device', \
                metadata->>'$.ip_address', metadata->>'$.user_agent', coalesce(page, 'NULL'), \
                coalesce(product_id, 'NULL'), starts_with(event_id, 'seed-ua-') \
         FROM user_activity_events ORDER BY customer_id",
    )
    .await;
    assert_eq!(
        activity,
        [
            [
                "user-0815",
                "sess-0a1b2c3d4e5f",
                "add_to_cart",
                "tablet",
                "197.12.240.7",
                "Mozilla/5.0 (Android 11; Mobile; rv:89.0) Gecko/89.0 Firefox/89.0",
                "NULL",
                "NULL",
                "true"
            ],
            [
                "user-123",
                "sess-123",
                "product_view",
                "web",
                "192.168.1.100",
                "Mozilla/5.0 Test Browser",
                "NULL",
                "NULL",
                "true"
            ],
            [
                "user-321",
                "sess-d4e5f6",
                "product_view",
                "mobile",
                "10.0.0.55",
                "Mozilla/5.0 (Mobile)",
                "NULL",
                "NULL",
                "true"
            ],
            [
                "user-456",
                "sess-a1b2c3",
                "login",
                "web",
                "192.168.0.10",
                "Mozilla/5.0",
                "NULL",
                "NULL",
                "true"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
        .to_vec(),
    );
    let distinct_ids = w
        .query_i64("SELECT count(DISTINCT event_id) FROM user_activity_events")
        .await
        .expect("ids");
    assert_eq!(distinct_ids, 4, "each activity its own id");
    let dead = rows(w, "SELECT reason, detail FROM dead_letter_events").await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0][0], "total_mismatch", "{dead:?}");
}

#[tokio::test]
async fn seed_payloads_on_the_local_bus_become_typed_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    let subscriber = subscriber(&dir, &warehouse);
    let subscribed = SubscribedBus::new(64, &subscriber, &[DEFAULT_EVENTS_TOPIC]);
    subscribed
        .bus
        .publish(DEFAULT_EVENTS_TOPIC, messages())
        .await
        .expect("publish");
    subscribed.drain().await;
    let stats = subscriber.stats().snapshot();
    assert_eq!(
        (
            stats.orders,
            stats.inventory,
            stats.user_activity,
            stats.dead_letters
        ),
        (3, 3, 4, 1),
        "{stats:?}"
    );
    assert!(stats.reconciles(), "{stats:?}");
    check_rows(&warehouse).await;
}

#[cfg(feature = "gcp")]
#[tokio::test]
async fn seed_payloads_through_the_pubsub_emulator_become_typed_rows() {
    use retail_pipeline::bus::{PubSubBus, PubSubConfig};
    use retail_pipeline::gcp::{Credentials, GcpHttp};
    let host = match std::env::var("PUBSUB_EMULATOR_HOST") {
        Ok(host) if !host.is_empty() => host,
        _ => {
            common::skip_or_fail(
                "PUBSUB_EMULATOR_HOST not set (scripts/emulators.sh starts the emulator)",
            );
            return;
        }
    };
    let http = GcpHttp::new(Credentials::Anonymous, Duration::from_secs(30)).expect("client");
    let suffix = std::process::id();
    let bus = Arc::new(PubSubBus::new(
        http,
        Some(host),
        format!("seed-payloads-{suffix}"),
        PubSubConfig::default(),
    ));
    let (topic, sub) = (format!("events-{suffix}"), format!("events-sub-{suffix}"));
    bus.ensure_topic(&topic).await.expect("topic");
    bus.ensure_subscription(&topic, &sub)
        .await
        .expect("subscription");

    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    let subscriber = subscriber(&dir, &warehouse);
    let stop = CancellationToken::new();
    let pull = bus.spawn_pull(sub, topic.clone(), subscriber.clone(), stop.clone());
    let sent = messages();
    let n = sent.len() as u64;
    bus.publish(&topic, sent).await.expect("publish");
    bus.flush().await.expect("flush");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while subscriber.stats().snapshot().received < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(60), pull)
        .await
        .expect("the pull loop returns")
        .expect("pull task");
    let stats = subscriber.stats().snapshot();
    // At least once: a redelivery would repeat a row, so count what arrived exactly once.
    assert_eq!(
        stats.received, n,
        "one delivery each on a quiet emulator: {stats:?}"
    );
    check_rows(&warehouse).await;
    let message_ids = warehouse
        .query_i64("SELECT count(*) FROM order_events WHERE message_id IS NOT NULL AND publish_time IS NOT NULL")
        .await
        .expect("metadata");
    assert_eq!(
        message_ids, 3,
        "Pub/Sub's message id and publish time are kept"
    );
}
