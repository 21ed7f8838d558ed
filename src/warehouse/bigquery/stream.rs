//! Streamed events into BigQuery: the subscriber's rows land in `order_events`,
//! `inventory_events`, `user_activity_events` and `dead_letter_events`
//! (`crate::warehouse::stream_tables`), every delivery a row, as a Pub/Sub BigQuery
//! subscription writes them deployed. Per table and write: a load job of the rows' NDJSON
//! into a staging table of its own, one `INSERT ... SELECT` of the staged rows, then the
//! staging table is dropped. (A load straight into the table would need its modes and types
//! in the load's schema; the insert casts, and keeps a half-loaded batch out of the table.)

use super::client::{request_id, LoadSource};
use super::{BigQueryWarehouse, STAGING_PREFIX};
use crate::bus::sink::{dead_letter_key, jsonl, on_blocking_pool};
use crate::bus::{EventSink, SinkBatch, SinkError};
use crate::warehouse::stream_tables::{
    StreamTable, DEAD_LETTER_EVENTS, INVENTORY_EVENTS, ORDER_EVENTS, USER_ACTIVITY_EVENTS,
};
use async_trait::async_trait;
use std::sync::Arc;

/// The insert of the staged rows into `table`, every column by name.
fn insert_sql(table: &StreamTable, project: &str, dataset: &str, stage: &str) -> String {
    let list = table.column_names().join(", ");
    format!(
        "INSERT INTO `{project}.{dataset}.{}` ({list})\n\
         SELECT {list} FROM `{project}.{dataset}.{stage}`",
        table.name
    )
}

impl BigQueryWarehouse {
    /// Adds the rows of `ndjson` to `table`. The staging table is dropped whether the insert
    /// succeeded or not.
    async fn insert_stream(&self, table: &StreamTable, ndjson: Vec<u8>) -> Result<(), SinkError> {
        let stage = format!("{STAGING_PREFIX}{}_{}", table.name, request_id());
        let dataset = &self.names.dataset;
        let fail = |e: super::client::BqError| SinkError::Remote {
            table: format!("{}.{dataset}.{}", self.names.project, table.name),
            source: Box::new(e),
        };
        let columns = table.columns();
        let schema: Vec<(&str, &str)> = columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty.as_str()))
            .collect();
        let what = format!("staging {} rows", table.name);
        let loaded = self
            .client
            .load(
                &what,
                dataset,
                &stage,
                &schema,
                LoadSource::Ndjson,
                ndjson.into(),
            )
            .await;
        let result = match loaded {
            Ok(_) => {
                let text = insert_sql(table, &self.names.project, dataset, &stage);
                let name = format!("inserting {} rows", table.name);
                self.client.query(&name, &text, &[]).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        self.drop_staging(std::slice::from_ref(&stage)).await;
        result.map_err(fail)
    }
}

/// The subscriber's sink into the BigQuery warehouse's stream tables.
#[derive(Debug)]
pub struct BigQueryEventSink {
    warehouse: Arc<BigQueryWarehouse>,
}

impl BigQueryEventSink {
    pub fn new(warehouse: Arc<BigQueryWarehouse>) -> Self {
        Self { warehouse }
    }
}

#[async_trait]
impl EventSink for BigQueryEventSink {
    /// Every order, inventory, user-activity and dead-letter row of `batch` lands in its
    /// stream table with its message's metadata. Atomic per table, not per batch: on error,
    /// tables written before the failing one keep their rows, and the retry writes them again
    /// (delivery is at least once; readers take one row per id). Alerts are not stored here:
    /// refresh loads `negative_inventory_alerts` from the lake.
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        let tables = on_blocking_pool(move || {
            [
                (
                    ORDER_EVENTS,
                    jsonl(&batch.orders, |r| (&r.event_id).into()).0,
                ),
                (
                    INVENTORY_EVENTS,
                    jsonl(&batch.inventory, |r| (&r.event_id).into()).0,
                ),
                (
                    USER_ACTIVITY_EVENTS,
                    jsonl(&batch.user_activity, |r| (&r.event_id).into()).0,
                ),
                (
                    DEAD_LETTER_EVENTS,
                    jsonl(&batch.dead_letters, dead_letter_key).0,
                ),
            ]
        })
        .await?;
        for (table, rows) in tables {
            if rows.is_empty() {
                continue;
            }
            self.warehouse.insert_stream(&table, rows).await?;
        }
        Ok(())
    }

    /// `bigquery stream tables in <project>.<dataset>`.
    fn describe(&self) -> String {
        format!(
            "bigquery stream tables in {}.{}",
            self.warehouse.project(),
            self.warehouse.dataset()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{DeadLetter, Delivered, RowMetadata};
    use crate::generate::events::{EventGenerator, EventPools, EventTime, EventType};
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use std::collections::BTreeSet;

    fn keys(line: &[u8]) -> BTreeSet<String> {
        let value: serde_json::Value = serde_json::from_slice(line).expect("json");
        value.as_object().expect("object").keys().cloned().collect()
    }

    fn columns(table: &StreamTable) -> BTreeSet<String> {
        table.column_names().into_iter().collect()
    }

    /// The staging schemas name exactly the keys the JSONL rows carry: no value is dropped by
    /// the load, none left NULL for want of a column.
    #[test]
    fn staging_columns_are_the_jsonl_keys() {
        let world = Arc::new(World::new(7, &Scale::preset(ScaleName::Small)));
        let generator = EventGenerator::new(Arc::new(EventPools::new(world)), "k", &EventType::ALL);
        let at = EventTime::from_millis(1_790_000_000_000);
        let first = |rows: Vec<u8>| rows.split(|&b| b == b'\n').next().map(<[u8]>::to_vec);
        for ty in EventType::ALL {
            let mut batch = SinkBatch::default();
            batch.push_event(generator.event_of(ty, 1, at), RowMetadata::default());
            let (line, table) = match ty {
                EventType::Order => (
                    jsonl(&batch.orders, |r| (&r.event_id).into()).0,
                    ORDER_EVENTS,
                ),
                EventType::Inventory => (
                    jsonl(&batch.inventory, |r| (&r.event_id).into()).0,
                    INVENTORY_EVENTS,
                ),
                EventType::UserActivity => (
                    jsonl(&batch.user_activity, |r| (&r.event_id).into()).0,
                    USER_ACTIVITY_EVENTS,
                ),
            };
            assert_eq!(keys(&first(line).expect("line")), columns(&table), "{ty}");
        }
        let dead = Delivered::from(DeadLetter {
            data: "{".into(),
            reason: "invalid_json".into(),
            detail: "x".into(),
        });
        let line = jsonl(&[dead], dead_letter_key).0;
        assert_eq!(
            keys(&first(line).expect("line")),
            columns(&DEAD_LETTER_EVENTS)
        );
    }

    #[test]
    fn the_insert_names_every_column() {
        let text = insert_sql(&ORDER_EVENTS, "p", "d", "_staging_x");
        assert!(text.starts_with("INSERT INTO `p.d.order_events` (event_id, event_type,"));
        assert!(text.contains("publish_time, attributes)\nSELECT event_id,"));
        assert!(text.ends_with("FROM `p.d._staging_x`"));
    }
}
