//! Streamed events in the BigQuery warehouse against bqemulator: every row of a batch lands in
//! its stream table once, however often the batch is delivered; an overlapping batch adds only
//! its new rows; values survive the trip. Mirrors tests/warehouse_stream.rs (DuckDB). Skips
//! (passing, loudly) without RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(feature = "gcp")]

mod common;

use common::bq::{drop_dataset, http, open, unique_dataset, PROJECT};

use retail_pipeline::bus::{DeadLetter, EventSink, SinkBatch};
use retail_pipeline::generate::events::{Event, EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::bigquery::{
    BigQueryEventSink, BigQueryWarehouse, STAGING_PREFIX, STREAM_TABLES,
};
use retail_pipeline::warehouse::Warehouse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const T0: i64 = 1_790_000_000_000;

/// The first row of a query, each cell as a string (jobs.query, waiting for completion).
async fn first_row(endpoint: &str, sql: &str) -> Vec<Option<String>> {
    let url = format!("{endpoint}/bigquery/v2/projects/{PROJECT}/queries");
    let body = serde_json::to_vec(&serde_json::json!({
        "query": sql, "useLegacySql": false, "timeoutMs": 60_000,
    }))
    .expect("body");
    let page: serde_json::Value = http()
        .json("test query", |c| {
            c.post(&url)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await
        .expect("query");
    assert_eq!(page["jobComplete"], true, "query finished: {page}");
    assert!(page["errors"].is_null(), "query failed: {page}");
    page["rows"][0]["f"]
        .as_array()
        .expect("a row")
        .iter()
        .map(|c| c["v"].as_str().map(str::to_owned))
        .collect()
}

async fn count(endpoint: &str, sql: &str) -> u64 {
    first_row(endpoint, sql).await[0]
        .as_deref()
        .expect("count")
        .parse()
        .expect("number")
}

/// Events `seqs` of one deterministic generator, sorted into a batch.
fn batch(seqs: std::ops::Range<u64>, dead: std::ops::Range<u32>) -> SinkBatch {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let generator = EventGenerator::new(
        Arc::new(EventPools::new(world)),
        "bq-stream",
        &EventType::ALL,
    );
    let mut batch = SinkBatch {
        ingested_at: Some(EventTime::from_millis(T0 + 3_600_000)),
        ..SinkBatch::default()
    };
    for seq in seqs {
        match generator.event(seq, EventTime::from_millis(T0 + seq as i64 * 1000)) {
            Event::Order(o) => batch.orders.push(o),
            Event::Inventory(i) => batch.inventory.push(i),
            Event::UserActivity(u) => batch.user_activity.push(u),
        }
    }
    for n in dead {
        batch.dead_letters.push(DeadLetter {
            dead_letter_id: format!("dl-{n:04}"),
            topic: "retail-events".into(),
            received_at: EventTime::from_millis(T0 + i64::from(n)),
            reason: "invalid_json".into(),
            detail: format!("expected value at line 1 column {n}"),
            attributes: BTreeMap::from([("event_type".to_string(), "order".to_string())]),
            payload: format!("{{not json {n}"),
        });
    }
    batch
}

fn expected(batches: &[&SinkBatch]) -> BTreeMap<String, u64> {
    let ids = |f: &dyn Fn(&SinkBatch) -> Vec<String>| {
        batches
            .iter()
            .flat_map(|b| f(b))
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    BTreeMap::from([
        (
            "order_events".into(),
            ids(&|b| b.orders.iter().map(|r| r.event_id.clone()).collect()),
        ),
        (
            "inventory_events".into(),
            ids(&|b| b.inventory.iter().map(|r| r.event_id.clone()).collect()),
        ),
        (
            "user_activity_events".into(),
            ids(&|b| b.user_activity.iter().map(|r| r.event_id.clone()).collect()),
        ),
        (
            "dead_letter_events".into(),
            ids(&|b| {
                b.dead_letters
                    .iter()
                    .map(|r| r.dead_letter_id.clone())
                    .collect()
            }),
        ),
    ])
}

async fn rows(warehouse: &BigQueryWarehouse) -> BTreeMap<String, u64> {
    let rows = warehouse.stream_rows().await.expect("stream rows");
    let names: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, STREAM_TABLES, "stream_rows lists every stream table");
    rows.into_iter().collect()
}

/// The keys an event's JSONL row carries (its fields and `ingestion_time`).
fn keys(row: &impl serde::Serialize) -> BTreeSet<String> {
    let value = serde_json::to_value(row).expect("json");
    let mut keys: BTreeSet<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.insert("ingestion_time".into());
    keys
}

#[tokio::test]
async fn streamed_events_land_once_in_bigquery() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let dataset = unique_dataset("rp_stream");
    let warehouse = Arc::new(open(&endpoint, &dataset).await);
    let sink = BigQueryEventSink::new(warehouse.clone());
    assert_eq!(
        sink.describe(),
        format!("bigquery stream tables in {PROJECT}.{dataset}")
    );

    let first = batch(0..90, 0..3);
    assert!(
        !first.orders.is_empty() && !first.inventory.is_empty() && !first.user_activity.is_empty()
    );

    // The tables' columns are what the rows carry, plus event_date where there is one.
    let mut columns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, column, _) in warehouse.columns().await.expect("columns") {
        columns.entry(table).or_default().insert(column);
    }
    let with_date = |mut k: BTreeSet<String>| {
        k.insert("event_date".into());
        k
    };
    assert_eq!(columns["order_events"], with_date(keys(&first.orders[0])));
    assert_eq!(
        columns["inventory_events"],
        with_date(keys(&first.inventory[0]))
    );
    assert_eq!(
        columns["user_activity_events"],
        with_date(keys(&first.user_activity[0]))
    );
    assert_eq!(columns["dead_letter_events"], keys(&first.dead_letters[0]));

    let started = std::time::Instant::now();
    sink.write(Arc::new(first.clone())).await.expect("write");
    eprintln!("first write: {} ms", started.elapsed().as_millis());
    let want = expected(&[&first]);
    assert_eq!(rows(&warehouse).await, want, "every row of the batch, once");

    sink.write(Arc::new(first.clone()))
        .await
        .expect("a redelivered batch is accepted");
    assert_eq!(rows(&warehouse).await, want, "a redelivery changes nothing");

    // Half of the first batch again, 40 new events, one old and two new dead letters.
    let second = batch(45..130, 2..5);
    sink.write(Arc::new(second.clone()))
        .await
        .expect("overlapping write");
    let want = expected(&[&first, &second]);
    assert!(want["order_events"] > expected(&[&first])["order_events"]);
    assert_eq!(rows(&warehouse).await, want, "only the new rows are added");

    // One order's values round-trip.
    let order = &first.orders[0];
    let row = first_row(
        &endpoint,
        &format!(
            "SELECT order_id, CAST(total_amount * 100 AS INT64), \
             ARRAY_LENGTH(JSON_QUERY_ARRAY(items)), CAST(event_date AS STRING), \
             JSON_VALUE(shipping_address, '$.city') \
             FROM `{PROJECT}.{dataset}.order_events` WHERE event_id = '{}'",
            order.event_id
        ),
    )
    .await;
    let date = order
        .event_time
        .datetime()
        .expect("time")
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        row,
        vec![
            Some(order.order_id.clone()),
            Some(order.total_amount.0.to_string()),
            Some(order.items.len().to_string()),
            Some(date),
            Some(order.shipping_address.city.clone()),
        ]
    );

    // NOT NULL columns are filled on every row; event_date is the UTC date of event_time.
    for table in ["order_events", "inventory_events", "user_activity_events"] {
        let ok = count(
            &endpoint,
            &format!(
                "SELECT COUNT(*) FROM `{PROJECT}.{dataset}.{table}` \
                 WHERE event_date = DATE(event_time) AND ingestion_time IS NOT NULL \
                 AND event_type IS NOT NULL AND schema_version = 1"
            ),
        )
        .await;
        assert_eq!(ok, want[table], "{table}: dates and ingestion times filled");
    }
    let dead = first_row(
        &endpoint,
        &format!(
            "SELECT payload, JSON_VALUE(attributes, '$.event_type'), reason \
             FROM `{PROJECT}.{dataset}.dead_letter_events` WHERE dead_letter_id = 'dl-0001'"
        ),
    )
    .await;
    assert_eq!(
        dead,
        vec![
            Some("{not json 1".into()),
            Some("order".into()),
            Some("invalid_json".into())
        ]
    );

    let staging: Vec<String> = common::bq_table_ids(&endpoint, &dataset)
        .await
        .into_iter()
        .filter(|t| t.starts_with(STAGING_PREFIX))
        .collect();
    assert!(staging.is_empty(), "staging tables left: {staging:?}");
    drop_dataset(&endpoint, &dataset).await;
}

#[tokio::test]
async fn a_failed_write_names_the_table_and_leaves_no_staging_table() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let dataset = unique_dataset("rp_stream");
    let warehouse = Arc::new(open(&endpoint, &dataset).await);
    let sink = BigQueryEventSink::new(warehouse.clone());
    // The load into staging succeeds; the insert into the missing target fails.
    let url = format!(
        "{endpoint}/bigquery/v2/projects/{PROJECT}/datasets/{dataset}/tables/inventory_events"
    );
    http()
        .send("drop a stream table", |c| c.delete(&url))
        .await
        .expect("drop inventory_events");

    let error = sink
        .write(Arc::new(batch(0..30, 0..0)))
        .await
        .expect_err("no target table");
    let message = error.to_string();
    assert!(
        message.contains(&format!("{PROJECT}.{dataset}.inventory_events")),
        "names the table: {message}"
    );
    let staging: Vec<String> = common::bq_table_ids(&endpoint, &dataset)
        .await
        .into_iter()
        .filter(|t| t.starts_with(STAGING_PREFIX))
        .collect();
    assert!(staging.is_empty(), "staging tables left: {staging:?}");
    // Orders come first in a write and were kept; a retry would add only the rest.
    let orders = count(
        &endpoint,
        &format!("SELECT COUNT(*) FROM `{PROJECT}.{dataset}.order_events`"),
    )
    .await;
    assert_eq!(orders, batch(0..30, 0..0).orders.len() as u64);
    drop_dataset(&endpoint, &dataset).await;
}
