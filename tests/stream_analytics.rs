//! The stream analytics (`warehouse::analytics::stream_queries`) against values recomputed
//! here from the rows written: events landed at known times around now (some redelivered,
//! some before the window, some late), each query's rows compared exactly with a Rust
//! recomputation. Runs on DuckDB, and on bqemulator when RP_TEST_BQ_ENDPOINT is set.

mod common;

use chrono::{DateTime, Utc};
use retail_pipeline::bus::{DeadLetter, Delivered, EventSink, RowMetadata, SinkBatch};
use retail_pipeline::generate::events::{Event, EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::analytics::{
    ActivityFunnel, DeadLetterReason, DeadLettersByReason, EventsByStore, FunnelStep,
    LandingLatency, MinuteLatency, MinuteOrders, OrdersPerMinute, StoreEvents, StreamRate,
    StreamRates, StreamWindow,
};
use retail_pipeline::warehouse::{AnalyticsFilter, Warehouse};
use std::collections::BTreeMap;
use std::sync::Arc;

const MINUTE: i64 = 60_000;
const WINDOW: StreamWindow = StreamWindow(10);

/// One landed row as the queries see it: type, id, store, event and publish times (ms).
#[derive(Debug, Clone)]
struct Landed {
    event_type: &'static str,
    id: String,
    store: Option<String>,
    activity: Option<String>,
    event_ms: i64,
    publish_ms: i64,
    cents: i64,
}

fn meta(id: String, ty: &str, publish_ms: i64) -> RowMetadata {
    RowMetadata {
        subscription_name: Some("retail-events-pull".into()),
        message_id: Some(id),
        publish_time: Some(EventTime::from_millis(publish_ms)),
        attributes: Some(BTreeMap::from([("event_type".into(), ty.into())])),
    }
}

/// 240 events published over the last 19 minutes (half in the 10-minute window, half in the
/// one before), latencies up to 5 s and every 40th three minutes late; the first 12 delivered a
/// second time a second later; 4 events and 2 dead letters published 30 minutes ago (outside
/// both windows); 5 dead letters of two reasons within the window. Returns the batch and every
/// delivery as landed.
fn scenario(now_ms: i64) -> (SinkBatch, Vec<Landed>) {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let generator = EventGenerator::new(
        Arc::new(EventPools::new(world)),
        "stream-analytics",
        &EventType::ALL,
    );
    let mut batch = SinkBatch::default();
    let mut landed = Vec::new();
    let mut push = |batch: &mut SinkBatch, seq: u64, publish_ms: i64, copy: u32| {
        let latency = if seq % 40 == 0 {
            3 * MINUTE
        } else {
            (seq as i64 * 37) % 5000
        };
        let event = generator.event(seq, EventTime::from_millis(publish_ms - latency));
        let ty = event.event_type().as_str();
        let (event_type, id, store, activity, cents) = match &event {
            Event::Order(o) => (
                "order",
                o.event_id.clone(),
                Some(o.store_id.clone()),
                None,
                o.total_amount.0,
            ),
            Event::Inventory(i) => (
                "inventory",
                i.event_id.clone(),
                Some(i.store_id.clone()),
                None,
                0,
            ),
            Event::UserActivity(a) => (
                "user_activity",
                a.event_id.clone(),
                None,
                Some(a.activity_type.as_str().to_string()),
                0,
            ),
        };
        landed.push(Landed {
            event_type,
            id,
            store,
            activity,
            event_ms: publish_ms - latency,
            publish_ms,
            cents,
        });
        batch.push_event(event, meta(format!("m-{seq}-{copy}"), ty, publish_ms));
    };
    for seq in 0..240u64 {
        // Every time at least 20 s away from the edges of the windows asked for (1, 10 and
        // 20 minutes back), so the moments between writing and asking do not matter.
        let n = seq as i64;
        let ago = if seq < 120 {
            5_000 + n * 4_000
        } else {
            11 * MINUTE + (n - 120) * 4_000
        };
        let ago = if (40_000..60_000).contains(&ago) {
            ago + 40_000
        } else {
            ago
        };
        let publish_ms = now_ms - ago;
        push(&mut batch, seq, publish_ms, 0);
        if seq < 12 {
            push(&mut batch, seq, publish_ms + 1_000, 1);
        }
    }
    for seq in 240..244u64 {
        push(&mut batch, seq, now_ms - 30 * MINUTE, 0);
    }
    for (n, (reason, ago_ms)) in [
        ("invalid_json", 20_000),
        ("invalid_json", 70_000),
        ("invalid_json", 130_000),
        ("missing_event_type", 40_000),
        ("missing_event_type", 45_000),
        ("invalid_json", 30 * MINUTE),
        ("unknown_event_type", 31 * MINUTE),
    ]
    .into_iter()
    .enumerate()
    {
        let publish_ms = now_ms - ago_ms;
        batch.dead_letters.push(Delivered::new(
            DeadLetter {
                data: format!("{{not json {n}"),
                reason: reason.into(),
                detail: "test".into(),
            },
            meta(format!("dl-{n}"), "order", publish_ms),
        ));
        landed.push(Landed {
            event_type: "dead_letter",
            id: format!("dl-{n}"),
            store: None,
            activity: Some(reason.into()),
            event_ms: publish_ms,
            publish_ms,
            cents: 0,
        });
    }
    (batch, landed)
}

/// Each (type, id) once, at its first delivery, landed since `since_ms`.
fn first_deliveries(landed: &[Landed], since_ms: i64) -> Vec<Landed> {
    let mut first: BTreeMap<(&str, &str), &Landed> = BTreeMap::new();
    for l in landed {
        let e = first.entry((l.event_type, &l.id)).or_insert(l);
        if l.publish_ms < e.publish_ms {
            *e = l;
        }
    }
    first
        .into_values()
        .filter(|l| l.publish_ms >= since_ms)
        .cloned()
        .collect()
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("a time")
}

fn second(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn minute(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:00Z").to_string()
}

fn expected_rates(recent: &[Landed]) -> Vec<StreamRate> {
    let mut counts: BTreeMap<(String, &str), i64> = BTreeMap::new();
    for l in recent {
        *counts
            .entry((
                second(l.publish_ms.div_euclid(10_000) * 10_000),
                l.event_type,
            ))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((bucket_start, event_type), events)| StreamRate {
            bucket_start,
            event_type: event_type.into(),
            events,
            per_second: events as f64 / 10.0,
        })
        .collect()
}

fn expected_orders(recent: &[Landed]) -> Vec<MinuteOrders> {
    let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for l in recent.iter().filter(|l| l.event_type == "order") {
        let e = per.entry(minute(l.event_ms)).or_default();
        e.0 += 1;
        e.1 += l.cents;
    }
    per.into_iter()
        .map(|(minute, (orders, revenue_cents))| MinuteOrders {
            minute,
            orders,
            revenue_cents,
        })
        .collect()
}

fn expected_funnel(recent: &[Landed]) -> Vec<FunnelStep> {
    let steps = [
        "page_view",
        "product_view",
        "add_to_cart",
        "checkout",
        "purchase",
    ];
    let count = |step: &str| {
        recent
            .iter()
            .filter(|l| match step {
                "purchase" => l.event_type == "order",
                s => l.event_type == "user_activity" && l.activity.as_deref() == Some(s),
            })
            .count() as i64
    };
    let mut previous: Option<i64> = None;
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let events = count(step);
            let conversion = previous
                .filter(|p| *p > 0)
                .map(|p| events as f64 / p as f64);
            previous = Some(events);
            FunnelStep {
                step_index: i as i64 + 1,
                step: step.to_string(),
                events,
                conversion,
            }
        })
        .collect()
}

fn expected_dead_letters(recent: &[Landed]) -> Vec<DeadLetterReason> {
    let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for l in recent.iter().filter(|l| l.event_type == "dead_letter") {
        let e = per.entry(l.activity.clone().expect("reason")).or_default();
        e.0 += 1;
        e.1 = e.1.max(l.publish_ms);
    }
    let mut rows: Vec<DeadLetterReason> = per
        .into_iter()
        .map(|(reason, (n, last))| DeadLetterReason {
            reason,
            dead_letters: n,
            last_seen: second(last),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.dead_letters
            .cmp(&a.dead_letters)
            .then(a.reason.cmp(&b.reason))
    });
    rows
}

/// Nearest rank: the smallest value with at least `pct`% of the values at or below it.
fn nearest_rank(sorted: &[i64], pct: usize) -> i64 {
    let rank = (pct * sorted.len()).div_ceil(100);
    sorted[rank.max(1) - 1]
}

fn expected_latency(recent: &[Landed]) -> Vec<MinuteLatency> {
    let mut per: BTreeMap<(String, &str), Vec<i64>> = BTreeMap::new();
    for l in recent.iter().filter(|l| l.event_type != "dead_letter") {
        per.entry((minute(l.publish_ms), l.event_type))
            .or_default()
            .push(l.publish_ms - l.event_ms);
    }
    per.into_iter()
        .map(|((minute, event_type), mut v)| {
            v.sort_unstable();
            MinuteLatency {
                minute,
                event_type: event_type.into(),
                events: v.len() as i64,
                p50_ms: nearest_rank(&v, 50),
                p95_ms: nearest_rank(&v, 95),
                max_ms: *v.last().expect("a value"),
            }
        })
        .collect()
}

fn expected_stores(both: &[Landed], window_start_ms: i64) -> Vec<StoreEvents> {
    let mut per: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for l in both {
        let Some(store) = &l.store else { continue };
        let e = per.entry(store.clone()).or_default();
        if l.publish_ms >= window_start_ms {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        e.2 = e.2.max(l.publish_ms);
    }
    per.into_iter()
        .map(|(store_id, (events, previous_events, last))| StoreEvents {
            store_id,
            events,
            previous_events,
            last_seen: second(last),
        })
        .collect()
}

/// Writes the scenario into `warehouse` through `sink` and compares every stream query.
async fn check(warehouse: &dyn Warehouse, sink: &dyn EventSink) {
    let now_ms = Utc::now().timestamp_millis();
    let (batch, landed) = scenario(now_ms);
    sink.write(Arc::new(batch)).await.expect("write");
    let since = now_ms - WINDOW.0 as i64 * MINUTE;
    let recent = first_deliveries(&landed, since);
    let both = first_deliveries(&landed, since - WINDOW.0 as i64 * MINUTE);
    assert!(
        recent.len() > 100 && both.len() > recent.len(),
        "{}",
        recent.len()
    );
    let all = AnalyticsFilter::default();

    let rates = common::ask::<StreamRates, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(rates, expected_rates(&recent));
    let orders = common::ask::<OrdersPerMinute, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(orders, expected_orders(&recent));
    assert!(orders.iter().map(|o| o.revenue_cents).sum::<i64>() > 0);
    let funnel = common::ask::<ActivityFunnel, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(funnel, expected_funnel(&recent));
    assert!(funnel.iter().all(|s| s.events > 0), "{funnel:?}");
    let dead = common::ask::<DeadLettersByReason, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(dead, expected_dead_letters(&recent));
    assert_eq!(
        dead.iter()
            .map(|d| (d.reason.as_str(), d.dead_letters))
            .collect::<Vec<_>>(),
        [("invalid_json", 3), ("missing_event_type", 2)],
        "the old ones are outside the window"
    );
    let latency = common::ask::<LandingLatency, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(latency, expected_latency(&recent));
    assert!(
        latency.iter().any(|l| l.max_ms == 3 * MINUTE),
        "the late events show"
    );
    let stores = common::ask::<EventsByStore, _>(warehouse, &all, &WINDOW).await;
    assert_eq!(stores, expected_stores(&both, since));

    // A store narrows to its own events; user activity and dead letters have none.
    let store = stores[0].store_id.clone();
    let one = AnalyticsFilter {
        store_id: Some(store.clone()),
        ..AnalyticsFilter::default()
    };
    let mine: Vec<Landed> = recent
        .iter()
        .filter(|l| l.store.as_deref() == Some(&store))
        .cloned()
        .collect();
    let rates = common::ask::<StreamRates, _>(warehouse, &one, &WINDOW).await;
    assert_eq!(rates, expected_rates(&mine));
    let dead = common::ask::<DeadLettersByReason, _>(warehouse, &one, &WINDOW).await;
    assert!(dead.is_empty(), "{dead:?}");
    // A window of one minute holds the newest events only.
    let narrow = common::ask::<StreamRates, _>(warehouse, &all, &StreamWindow(1)).await;
    let newest = first_deliveries(&landed, now_ms - MINUTE);
    assert_eq!(narrow, expected_rates(&newest));
}

#[cfg(feature = "duckdb")]
#[tokio::test]
async fn duckdb_stream_analytics_equal_a_recomputation_of_the_landed_events() {
    use retail_pipeline::warehouse::duckdb::DuckDbEventSink;
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    let sink = DuckDbEventSink::new(warehouse.clone());
    check(&*warehouse, &sink).await;
}

#[cfg(feature = "gcp")]
#[tokio::test]
async fn bigquery_stream_analytics_equal_a_recomputation_of_the_landed_events() {
    use common::bq::stream_dataset;
    let Some((endpoint, dataset, warehouse, sink)) = stream_dataset("rp_stream_analytics").await
    else {
        return;
    };
    check(&*warehouse, &sink).await;
    common::bq::drop_dataset(&endpoint, &dataset).await;
}
