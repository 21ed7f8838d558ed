//! Streamed events in the DuckDB warehouse: every delivery lands as a row (as Pub/Sub's
//! subscriptions write them deployed), and `order_events_clean` gives seed 001's cleaned shape
//! with each order once, however often a batch is delivered.

mod common;

use retail_pipeline::bus::{EventSink, RowMetadata, SinkBatch};
use retail_pipeline::generate::events::{Event, EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::duckdb::{DuckDbEventSink, DuckDbWarehouse};
use retail_pipeline::warehouse::Warehouse;
use std::sync::Arc;

#[tokio::test]
async fn every_delivery_lands_and_the_cleaned_order_view_has_each_order_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let pools = Arc::new(EventPools::new(world));
    let generator = EventGenerator::new(pools, "stream-test", &EventType::ALL);
    let mut batch = SinkBatch {
        ingested_at: Some(EventTime::from_millis(1_790_000_000_000)),
        ..SinkBatch::default()
    };
    let mut units = 0u64;
    let mut cents = 0i64;
    for seq in 0..90 {
        let event = generator.event(
            seq,
            EventTime::from_millis(1_790_000_000_000 + seq as i64 * 1000),
        );
        if let Event::Order(o) = &event {
            units += o.items.iter().map(|i| u64::from(i.quantity)).sum::<u64>();
            cents += o.total_amount.0;
        }
        batch.push_event(event, RowMetadata::default());
    }
    assert!(
        !batch.orders.is_empty() && !batch.inventory.is_empty() && !batch.user_activity.is_empty()
    );
    let sink = DuckDbEventSink::new(warehouse.clone());
    sink.write(Arc::new(batch.clone())).await.expect("write");
    sink.write(Arc::new(batch.clone()))
        .await
        .expect("a redelivered batch is accepted");

    let rows: std::collections::BTreeMap<String, u64> = warehouse
        .stream_rows()
        .await
        .expect("rows")
        .into_iter()
        .collect();
    assert_eq!(
        rows["order_events"],
        2 * batch.orders.len() as u64,
        "each delivery a row"
    );
    assert_eq!(rows["inventory_events"], 2 * batch.inventory.len() as u64);
    assert_eq!(
        rows["user_activity_events"],
        2 * batch.user_activity.len() as u64
    );
    assert_eq!(rows["dead_letter_events"], 0);

    let clean_units = warehouse
        .query_i64("SELECT sum(total_items) FROM order_events_clean")
        .await
        .expect("view");
    assert_eq!(
        clean_units as u64, units,
        "total items per order add up to the items' quantities"
    );
    let clean_orders = warehouse
        .query_i64("SELECT count(*) FROM order_events_clean")
        .await
        .expect("view");
    assert_eq!(clean_orders as usize, batch.orders.len());
    let total = warehouse
        .query_i64("SELECT CAST(sum(total_amount) * 100 AS BIGINT) FROM order_events_clean")
        .await
        .expect("sum");
    assert_eq!(total, cents, "money survives exactly, each order once");
    let dated = warehouse
        .query_i64(
            "SELECT count(*) FROM order_events_clean WHERE event_date = CAST(event_time AS DATE)",
        )
        .await
        .expect("dates");
    assert_eq!(
        dated as usize,
        batch.orders.len(),
        "event_date is the event's day"
    );
}

/// The DuckDB stream tables, read back for the sink contract suite.
struct DuckDbStored(Arc<DuckDbWarehouse>);

#[async_trait::async_trait]
impl retail_pipeline::bus::sink_contract::Stored for DuckDbStored {
    async fn rows(
        &self,
    ) -> std::collections::BTreeMap<String, Vec<retail_pipeline::bus::sink_contract::StoredRow>>
    {
        common::stored_per_stream_table(|table, id| async move {
            let sql = format!("SELECT {id}, message_id FROM {table}");
            let rows = self.0.query_rows(&sql).await.expect("read back");
            rows.into_iter()
                .map(|r| (r[0].clone().unwrap_or_default(), r[1].clone()))
                .collect()
        })
        .await
    }
}

#[tokio::test]
async fn the_duckdb_sink_keeps_the_sink_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    let sink = DuckDbEventSink::new(warehouse.clone());
    retail_pipeline::bus::sink_contract::run_all(&sink, &DuckDbStored(warehouse)).await;
}

/// The service's own sink: the warehouse and the lake's JSONL copy, read through the former.
#[tokio::test]
async fn the_tee_of_warehouse_and_lake_keeps_the_sink_contract() {
    use retail_pipeline::bus::{LakeEventSink, TeeSink};
    use retail_pipeline::lake::{BlobStore, LocalDirStore};
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = common::duckdb_in(dir.path()).await;
    std::fs::create_dir_all(dir.path().join("stream")).expect("dir");
    let store: Arc<dyn BlobStore> =
        Arc::new(LocalDirStore::open(dir.path().join("stream")).expect("store"));
    let sink = TeeSink::new(vec![
        Arc::new(DuckDbEventSink::new(warehouse.clone())),
        Arc::new(LakeEventSink::new(store)),
    ]);
    retail_pipeline::bus::sink_contract::run_all(&sink, &DuckDbStored(warehouse)).await;
}
