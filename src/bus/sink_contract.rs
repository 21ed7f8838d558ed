//! The shared test suite of the `EventSink` contract. Every sink runs it: `MemorySink` and
//! `LakeEventSink` in `tests/bus.rs`, the DuckDB stream tables (and `TeeSink` over DuckDB and
//! the lake) in `tests/warehouse_stream.rs`, the BigQuery stream tables against bqemulator in
//! `tests/warehouse_bigquery_stream.rs`. How the written rows are read back differs per sink,
//! so each supplies a `Stored`.
//!
//! What every sink promises (`EventSink::write`): on success every row of the batch is durable
//! in its table with its message's metadata; a batch delivered again may add its rows again
//! (at least once, as Pub/Sub's subscriptions write deployed) but never loses or alters one;
//! an empty batch writes nothing. Each check panics with a message naming the broken promise.

use super::{DeadLetter, Delivered, EventSink, RowMetadata, SinkBatch};
use crate::generate::events::{EventGenerator, EventPools, EventTime, EventType};
use crate::generate::World;
use crate::model::{Scale, ScaleName};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One stored row as the suite compares it: its id (`event_id`, or the dead letter's
/// `message_id`) and its message id.
pub type StoredRow = (String, Option<String>);

/// Reads back what a sink stored.
#[async_trait]
pub trait Stored: Send + Sync {
    /// Every row of each stream table (`order_events`, `inventory_events`,
    /// `user_activity_events`, `dead_letter_events`), in any order.
    async fn rows(&self) -> BTreeMap<String, Vec<StoredRow>>;
}

/// A batch of every event type and a dead letter, each row with its delivery metadata; `run`
/// keeps the ids of one call apart from another's.
pub fn batch(run: &str, events: u64) -> SinkBatch {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let generator = EventGenerator::new(Arc::new(EventPools::new(world)), run, &EventType::ALL);
    let at = EventTime::from_millis(1_790_000_000_000);
    let meta = |n: u64, ty: &str| RowMetadata {
        subscription_name: Some("contract-subscription".into()),
        message_id: Some(format!("{run}-m{n}")),
        publish_time: Some(at.plus_millis(n as i64)),
        attributes: Some(BTreeMap::from([("event_type".into(), ty.into())])),
    };
    let mut batch = SinkBatch {
        ingested_at: Some(at.plus_millis(60_000)),
        ..SinkBatch::default()
    };
    for seq in 0..events {
        let event = generator.event(seq, at.plus_millis(seq as i64 * 1000));
        let ty = event.event_type().as_str();
        batch.push_event(event, meta(seq, ty));
    }
    batch.dead_letters.push(Delivered::new(
        DeadLetter {
            data: format!("{{\"not\": \"an event of {run}\""),
            reason: "invalid_json".into(),
            detail: "EOF while parsing an object".into(),
        },
        meta(events, "order"),
    ));
    batch
}

/// What `batch` should leave in each table: `(id, message id)` per row.
pub fn expected(batch: &SinkBatch) -> BTreeMap<String, Vec<StoredRow>> {
    fn rows<T>(rows: &[Delivered<T>], id: impl Fn(&Delivered<T>) -> String) -> Vec<StoredRow> {
        rows.iter()
            .map(|r| (id(r), r.meta.message_id.clone()))
            .collect()
    }
    BTreeMap::from([
        (
            "order_events".into(),
            rows(&batch.orders, |r| r.event_id.clone()),
        ),
        (
            "inventory_events".into(),
            rows(&batch.inventory, |r| r.event_id.clone()),
        ),
        (
            "user_activity_events".into(),
            rows(&batch.user_activity, |r| r.event_id.clone()),
        ),
        (
            "dead_letter_events".into(),
            rows(&batch.dead_letters, |r| {
                r.meta.message_id.clone().unwrap_or_default()
            }),
        ),
    ])
}

/// Runs every check against `sink`, which starts empty and is read by `stored`.
pub async fn run_all(sink: &dyn EventSink, stored: &dyn Stored) {
    an_empty_batch_writes_nothing(sink, stored).await;
    every_row_is_stored_with_its_message_id(sink, stored).await;
    a_repeated_batch_loses_and_alters_nothing(sink, stored).await;
}

fn sorted(mut rows: BTreeMap<String, Vec<StoredRow>>) -> BTreeMap<String, Vec<StoredRow>> {
    for v in rows.values_mut() {
        v.sort();
    }
    rows.retain(|_, v| !v.is_empty());
    rows
}

pub async fn an_empty_batch_writes_nothing(sink: &dyn EventSink, stored: &dyn Stored) {
    sink.write(Arc::new(SinkBatch::default()))
        .await
        .expect("an empty batch is accepted");
    assert!(
        sorted(stored.rows().await).is_empty(),
        "an empty batch writes no row"
    );
}

pub async fn every_row_is_stored_with_its_message_id(sink: &dyn EventSink, stored: &dyn Stored) {
    let first = batch("contract-a", 60);
    sink.write(Arc::new(first.clone())).await.expect("write");
    assert_eq!(
        sorted(stored.rows().await),
        sorted(expected(&first)),
        "every row of the batch is stored once, with its message id"
    );
}

pub async fn a_repeated_batch_loses_and_alters_nothing(sink: &dyn EventSink, stored: &dyn Stored) {
    let before = sorted(stored.rows().await);
    let again = batch("contract-a", 60);
    let more = batch("contract-b", 30);
    sink.write(Arc::new(again.clone()))
        .await
        .expect("redelivered");
    sink.write(Arc::new(more.clone()))
        .await
        .expect("another batch");
    let after = sorted(stored.rows().await);
    for (table, rows) in sorted(expected(&more)) {
        let got: BTreeSet<&StoredRow> = after.get(&table).into_iter().flatten().collect();
        for row in &rows {
            assert!(
                got.contains(row),
                "{table}: a new batch's row {row:?} is stored"
            );
        }
    }
    for (table, rows) in &before {
        let got = &after[table];
        for row in rows {
            let copies = got.iter().filter(|r| *r == row).count();
            assert!(
                (1..=2).contains(&copies),
                "{table}: {row:?} delivered twice is stored once or twice, not {copies} times"
            );
        }
        let ids = |rows: &[StoredRow]| rows.iter().map(|r| r.0.clone()).collect::<BTreeSet<_>>();
        let new_ids = ids(expected(&more).get(table).map_or(&[][..], Vec::as_slice));
        let mut want = ids(rows);
        want.extend(new_ids);
        assert_eq!(ids(got), want, "{table}: the same ids, no other");
    }
}
