//! Streamed events in the BigQuery warehouse against bqemulator: every delivery of a batch lands
//! in its stream table with its message's metadata, as Pub/Sub's subscriptions write them
//! deployed; `order_events_clean` and `dead_letters` have each id once; values survive the
//! trip. Mirrors tests/warehouse_stream.rs (DuckDB). Skips (passing, loudly) without
//! RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(feature = "gcp")]

mod common;

use common::bq::{drop_dataset, http, page_rows, query_page, stream_dataset, PROJECT};
use retail_pipeline::bus::{DeadLetter, Delivered, EventSink, RowMetadata, SinkBatch};
use retail_pipeline::generate::events::{EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::bigquery::{BigQueryWarehouse, STAGING_PREFIX, STREAM_TABLES};
use retail_pipeline::warehouse::Warehouse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const T0: i64 = 1_790_000_000_000;

/// The first row of a query, each cell as a string (jobs.query, waiting for completion).
async fn first_row(endpoint: &str, sql: &str) -> Vec<Option<String>> {
    page_rows(&query_page(endpoint, sql, 100_000).await)
        .into_iter()
        .next()
        .expect("a row")
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
    let meta = |id: String, ty: &str, n: i64| RowMetadata {
        subscription_name: Some("projects/test/subscriptions/retail-events-pull".into()),
        message_id: Some(id),
        publish_time: Some(EventTime::from_millis(T0 + n)),
        attributes: Some(BTreeMap::from([("event_type".to_string(), ty.to_string())])),
    };
    for seq in seqs {
        let event = generator.event(seq, EventTime::from_millis(T0 + seq as i64 * 1000));
        let ty = event.event_type().as_str();
        batch.push_event(event, meta(format!("m-{seq}"), ty, seq as i64 * 1000 + 5));
    }
    for n in dead {
        batch.dead_letters.push(Delivered::new(
            DeadLetter {
                data: format!("{{not json {n}"),
                reason: "invalid_json".into(),
                detail: format!("expected value at line 1 column {n}"),
            },
            meta(format!("dl-{n:04}"), "order", i64::from(n)),
        ));
    }
    batch
}

/// Rows per stream table after writing `batches`: every delivery a row.
fn expected(batches: &[&SinkBatch]) -> BTreeMap<String, u64> {
    let sum = |f: &dyn Fn(&SinkBatch) -> usize| batches.iter().map(|b| f(b) as u64).sum();
    BTreeMap::from([
        ("order_events".into(), sum(&|b| b.orders.len())),
        ("inventory_events".into(), sum(&|b| b.inventory.len())),
        (
            "user_activity_events".into(),
            sum(&|b| b.user_activity.len()),
        ),
        ("dead_letter_events".into(), sum(&|b| b.dead_letters.len())),
    ])
}

/// Distinct ids per table among `batches`: what the clean views hold.
fn distinct_orders(batches: &[&SinkBatch]) -> u64 {
    batches
        .iter()
        .flat_map(|b| b.orders.iter().map(|o| o.event_id.clone()))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

async fn rows(warehouse: &BigQueryWarehouse) -> BTreeMap<String, u64> {
    let rows = warehouse.stream_rows().await.expect("stream rows");
    let names: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, STREAM_TABLES, "stream_rows lists every stream table");
    rows.into_iter().collect()
}

/// The keys a row carries (its fields and the four metadata columns).
fn keys(row: &impl serde::Serialize) -> BTreeSet<String> {
    let value = serde_json::to_value(row).expect("json");
    value.as_object().expect("object").keys().cloned().collect()
}

/// No staging table of a write is left in the dataset, whether the write succeeded or not.
async fn assert_no_staging_table(endpoint: &str, dataset: &str) {
    let staging: Vec<String> = common::bq_table_ids(endpoint, dataset)
        .await
        .into_iter()
        .filter(|t| t.starts_with(STAGING_PREFIX))
        .collect();
    assert!(staging.is_empty(), "staging tables left: {staging:?}");
}

#[tokio::test]
async fn every_delivery_lands_in_bigquery_and_the_clean_views_keep_one() {
    let Some((endpoint, dataset, warehouse, sink)) = stream_dataset("rp_stream").await else {
        return;
    };
    assert_eq!(
        sink.describe(),
        format!("bigquery stream tables in {PROJECT}.{dataset}")
    );

    let first = batch(0..90, 0..3);
    assert!(
        !first.orders.is_empty() && !first.inventory.is_empty() && !first.user_activity.is_empty()
    );

    // The tables' columns are exactly what the rows carry.
    let mut columns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, column, _) in warehouse.columns().await.expect("columns") {
        columns.entry(table).or_default().insert(column);
    }
    assert_eq!(columns["order_events"], keys(&first.orders[0]));
    assert_eq!(columns["inventory_events"], keys(&first.inventory[0]));
    assert_eq!(
        columns["user_activity_events"],
        keys(&first.user_activity[0])
    );
    assert_eq!(columns["dead_letter_events"], keys(&first.dead_letters[0]));

    let started = std::time::Instant::now();
    sink.write(Arc::new(first.clone())).await.expect("write");
    eprintln!("first write: {} ms", started.elapsed().as_millis());
    assert_eq!(
        rows(&warehouse).await,
        expected(&[&first]),
        "every row of the batch"
    );

    sink.write(Arc::new(first.clone()))
        .await
        .expect("a redelivered batch is accepted");
    // Half of the first batch again, 40 new events, one old and two new dead letters.
    let second = batch(45..130, 2..5);
    sink.write(Arc::new(second.clone()))
        .await
        .expect("overlapping write");
    let want = expected(&[&first, &first, &second]);
    assert_eq!(rows(&warehouse).await, want, "every delivery is a row");
    let clean = count(
        &endpoint,
        &format!("SELECT COUNT(*) FROM `{PROJECT}.{dataset}.order_events_clean`"),
    )
    .await;
    assert_eq!(
        clean,
        distinct_orders(&[&first, &second]),
        "each order once"
    );
    let dead = count(
        &endpoint,
        &format!(
            "SELECT COUNT(*) FROM `{PROJECT}.{dataset}.dead_letters` WHERE reason = 'invalid_json'"
        ),
    )
    .await;
    assert_eq!(dead, 5, "dl-0000 to dl-0004, each once");

    // One order's values round-trip.
    let order = &first.orders[0];
    let row = first_row(
        &endpoint,
        &format!(
            "SELECT o.order_id, CAST(o.total_amount * 100 AS INT64), \
             ARRAY_LENGTH(JSON_QUERY_ARRAY(o.items)), CAST(c.event_date AS STRING), \
             JSON_VALUE(o.shipping_address, '$.city') \
             FROM `{PROJECT}.{dataset}.order_events` o \
             JOIN `{PROJECT}.{dataset}.order_events_clean` c ON c.order_id = o.order_id \
             WHERE o.event_id = '{}' LIMIT 1",
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

    // NOT NULL columns and the metadata are filled on every row.
    for table in ["order_events", "inventory_events", "user_activity_events"] {
        let ok = count(
            &endpoint,
            &format!(
                "SELECT COUNT(*) FROM `{PROJECT}.{dataset}.{table}` \
                 WHERE publish_time IS NOT NULL AND message_id IS NOT NULL \
                 AND JSON_VALUE(attributes, '$.event_type') = event_type \
                 AND event_type IS NOT NULL AND schema_version = 1"
            ),
        )
        .await;
        assert_eq!(ok, want[table], "{table}: metadata filled");
    }
    let dead = first_row(
        &endpoint,
        &format!(
            "SELECT data, JSON_VALUE(attributes, '$.event_type'), reason \
             FROM `{PROJECT}.{dataset}.dead_letters` WHERE message_id = 'dl-0001'"
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

    assert_no_staging_table(&endpoint, &dataset).await;
    drop_dataset(&endpoint, &dataset).await;
}

#[tokio::test]
async fn a_failed_write_names_the_table_and_leaves_no_staging_table() {
    let Some((endpoint, dataset, _, sink)) = stream_dataset("rp_stream").await else {
        return;
    };
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
    assert_no_staging_table(&endpoint, &dataset).await;
    // Orders come first in a write and were kept; a retry writes them again (at least once).
    let orders = count(
        &endpoint,
        &format!("SELECT COUNT(*) FROM `{PROJECT}.{dataset}.order_events`"),
    )
    .await;
    assert_eq!(orders, batch(0..30, 0..0).orders.len() as u64);
    drop_dataset(&endpoint, &dataset).await;
}

/// The BigQuery stream tables on bqemulator, read back for the sink contract suite.
struct BigQueryStored {
    endpoint: String,
    dataset: String,
}

#[async_trait::async_trait]
impl retail_pipeline::bus::sink_contract::Stored for BigQueryStored {
    async fn rows(&self) -> BTreeMap<String, Vec<retail_pipeline::bus::sink_contract::StoredRow>> {
        common::stored_per_stream_table(|table, id| async move {
            let sql = format!(
                "SELECT {id}, message_id FROM `{PROJECT}.{}.{table}`",
                self.dataset
            );
            page_rows(&query_page(&self.endpoint, &sql, 100_000).await)
                .into_iter()
                .map(|mut cells| {
                    let message_id = cells.pop().flatten();
                    (cells.pop().flatten().unwrap_or_default(), message_id)
                })
                .collect()
        })
        .await
    }
}

#[tokio::test]
async fn the_bigquery_sink_keeps_the_sink_contract() {
    let Some((endpoint, dataset, _, sink)) = stream_dataset("rp_sink_contract").await else {
        return;
    };
    let stored = BigQueryStored { endpoint, dataset };
    retail_pipeline::bus::sink_contract::run_all(&sink, &stored).await;
    drop_dataset(&stored.endpoint, &stored.dataset).await;
}
