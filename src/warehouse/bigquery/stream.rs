//! Streamed events into BigQuery: the subscriber's rows land in `order_events`,
//! `inventory_events`, `user_activity_events` and `dead_letter_events`
//! (`sql/bigquery/03_event_tables.sql`), each row once by its id. Per table and write: a load
//! job of the rows' NDJSON into a staging table of its own, one `INSERT ... SELECT` of the
//! staged rows whose id the target does not hold yet, then the staging table is dropped.
//! insertAll's `insertId` is not used: it only deduplicates best-effort for a minute, and the
//! emulator ignores it.

use super::client::request_id;
use super::{BigQueryWarehouse, STAGING_PREFIX};
use crate::bus::sink::{jsonl, on_blocking_pool};
use crate::bus::{EventSink, SinkBatch, SinkError};
use crate::generate::events::EventTime;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// One stream table: its key and the columns the JSONL rows carry (those of the table but
/// `event_date`, which the insert derives from `event_time`), with their staging types.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamTable {
    pub name: &'static str,
    pub key: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
    /// Whether the table has an `event_date` column, filled with `DATE(event_time)` (UTC).
    pub event_date: bool,
}

pub(crate) const ORDER_EVENTS: StreamTable = StreamTable {
    name: "order_events",
    key: "event_id",
    columns: &[
        ("event_id", "STRING"),
        ("event_type", "STRING"),
        ("event_time", "TIMESTAMP"),
        ("schema_version", "INT64"),
        ("order_id", "STRING"),
        ("customer_id", "STRING"),
        ("store_id", "STRING"),
        ("status", "STRING"),
        ("items", "JSON"),
        ("shipping_address", "JSON"),
        ("payment_method", "STRING"),
        ("currency", "STRING"),
        ("total_amount", "NUMERIC"),
        ("ingestion_time", "TIMESTAMP"),
    ],
    event_date: true,
};

pub(crate) const INVENTORY_EVENTS: StreamTable = StreamTable {
    name: "inventory_events",
    key: "event_id",
    columns: &[
        ("event_id", "STRING"),
        ("event_type", "STRING"),
        ("event_time", "TIMESTAMP"),
        ("schema_version", "INT64"),
        ("store_id", "STRING"),
        ("product_id", "STRING"),
        ("quantity_change", "INT64"),
        ("reason", "STRING"),
        ("ingestion_time", "TIMESTAMP"),
    ],
    event_date: true,
};

pub(crate) const USER_ACTIVITY_EVENTS: StreamTable = StreamTable {
    name: "user_activity_events",
    key: "event_id",
    columns: &[
        ("event_id", "STRING"),
        ("event_type", "STRING"),
        ("event_time", "TIMESTAMP"),
        ("schema_version", "INT64"),
        ("session_id", "STRING"),
        ("customer_id", "STRING"),
        ("activity_type", "STRING"),
        ("page", "STRING"),
        ("product_id", "STRING"),
        ("search_query", "STRING"),
        ("metadata", "JSON"),
        ("ingestion_time", "TIMESTAMP"),
    ],
    event_date: true,
};

pub(crate) const DEAD_LETTER_EVENTS: StreamTable = StreamTable {
    name: "dead_letter_events",
    key: "dead_letter_id",
    columns: &[
        ("dead_letter_id", "STRING"),
        ("topic", "STRING"),
        ("received_at", "TIMESTAMP"),
        ("reason", "STRING"),
        ("detail", "STRING"),
        ("attributes", "JSON"),
        ("payload", "STRING"),
        ("ingestion_time", "TIMESTAMP"),
    ],
    event_date: false,
};

impl StreamTable {
    /// The insert of the staged rows whose key is not in the target yet; a key staged twice
    /// (the same row twice in one batch) is inserted once.
    fn insert_sql(&self, project: &str, dataset: &str, stage: &str) -> String {
        let columns: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let list = columns.join(", ");
        let (target_list, select_list) = if self.event_date {
            (
                format!("{list}, event_date"),
                format!("{list}, DATE(event_time)"),
            )
        } else {
            (list.clone(), list)
        };
        let (table, key) = (self.name, self.key);
        format!(
            "INSERT INTO `{project}.{dataset}.{table}` ({target_list})\n\
             SELECT {select_list} FROM `{project}.{dataset}.{stage}` AS s\n\
             WHERE s.{key} IS NOT NULL AND NOT EXISTS (\n\
             SELECT 1 FROM `{project}.{dataset}.{table}` AS t WHERE t.{key} = s.{key})\n\
             QUALIFY ROW_NUMBER() OVER (PARTITION BY s.{key} ORDER BY s.ingestion_time) = 1"
        )
    }
}

impl BigQueryWarehouse {
    /// Adds the rows of `ndjson` that `table` does not hold yet (by key). The staging table is
    /// dropped whether the insert succeeded or not. Safe to repeat.
    async fn insert_stream(&self, table: &StreamTable, ndjson: Vec<u8>) -> Result<(), SinkError> {
        let stage = format!("{STAGING_PREFIX}{}_{}", table.name, request_id());
        let dataset = &self.names.dataset;
        let fail = |e: super::client::BqError| {
            SinkError::Backend(format!(
                "writing {}.{dataset}.{}: {}",
                self.names.project, table.name, e.0
            ))
        };
        let what = format!("staging {} rows", table.name);
        let loaded = self
            .client
            .load_ndjson(&what, dataset, &stage, table.columns, Bytes::from(ndjson))
            .await;
        let result = match loaded {
            Ok(_) => {
                let text = table.insert_sql(&self.names.project, dataset, &stage);
                let name = format!("inserting {} rows", table.name);
                self.client.query(&name, &text, &[]).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        self.drop_staging(std::slice::from_ref(&stage)).await;
        result.map_err(fail)
    }
}

/// The subscriber's sink into the BigQuery warehouse's stream tables. Writes through one sink
/// run one at a time, so two deliveries of a batch never both find their ids missing.
#[derive(Debug)]
pub struct BigQueryEventSink {
    warehouse: Arc<BigQueryWarehouse>,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl BigQueryEventSink {
    pub fn new(warehouse: Arc<BigQueryWarehouse>) -> Self {
        Self {
            warehouse,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    }
}

#[async_trait]
impl EventSink for BigQueryEventSink {
    /// Every order, inventory, user-activity and dead-letter row of `batch` lands in its
    /// stream table, with `ingestion_time` = the batch's (now if unset) and `event_date` =
    /// the UTC date of `event_time`. Idempotent by `event_id` / `dead_letter_id`: a
    /// redelivered batch adds nothing. Atomic per table, not per batch: on error, tables
    /// written before the failing one keep their rows (a retry adds only the rest). Alerts
    /// are not stored here: refresh loads `negative_inventory_alerts` from the lake.
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        let _one_at_a_time = self.one_at_a_time.lock().await;
        let tables = on_blocking_pool(move || {
            let at = batch.ingested_at.unwrap_or_else(EventTime::now);
            [
                (ORDER_EVENTS, jsonl(&batch.orders, |r| &r.event_id, at).0),
                (
                    INVENTORY_EVENTS,
                    jsonl(&batch.inventory, |r| &r.event_id, at).0,
                ),
                (
                    USER_ACTIVITY_EVENTS,
                    jsonl(&batch.user_activity, |r| &r.event_id, at).0,
                ),
                (
                    DEAD_LETTER_EVENTS,
                    jsonl(&batch.dead_letters, |r| &r.dead_letter_id, at).0,
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
    use crate::bus::DeadLetter;
    use crate::generate::events::{Event, EventGenerator, EventPools, EventType};
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use std::collections::BTreeSet;

    fn keys(line: &[u8]) -> BTreeSet<String> {
        let value: serde_json::Value = serde_json::from_slice(line).expect("json");
        value.as_object().expect("object").keys().cloned().collect()
    }

    fn columns(table: &StreamTable) -> BTreeSet<String> {
        table.columns.iter().map(|(c, _)| c.to_string()).collect()
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
            let (line, table) = match generator.event_of(ty, 1, at) {
                Event::Order(o) => (jsonl(&[o], |r| &r.event_id, at).0, ORDER_EVENTS),
                Event::Inventory(i) => (jsonl(&[i], |r| &r.event_id, at).0, INVENTORY_EVENTS),
                Event::UserActivity(u) => {
                    (jsonl(&[u], |r| &r.event_id, at).0, USER_ACTIVITY_EVENTS)
                }
            };
            assert_eq!(keys(&first(line).expect("line")), columns(&table), "{ty}");
        }
        let dead = DeadLetter {
            dead_letter_id: "d1".into(),
            topic: "t".into(),
            received_at: at,
            reason: "invalid_json".into(),
            detail: "x".into(),
            attributes: Default::default(),
            payload: "{".into(),
        };
        let line = jsonl(&[dead], |r| &r.dead_letter_id, at).0;
        assert_eq!(
            keys(&first(line).expect("line")),
            columns(&DEAD_LETTER_EVENTS)
        );
    }

    #[test]
    fn the_insert_skips_known_ids_and_fills_event_date() {
        let text = ORDER_EVENTS.insert_sql("p", "d", "_staging_x");
        assert!(text.contains("INSERT INTO `p.d.order_events` (event_id,"));
        assert!(text.contains("ingestion_time, event_date)"));
        assert!(text.contains("DATE(event_time) FROM `p.d._staging_x` AS s"));
        assert!(text.contains("t.event_id = s.event_id"));
        let dead = DEAD_LETTER_EVENTS.insert_sql("p", "d", "_staging_y");
        assert!(!dead.contains("event_date"));
        assert!(dead.contains("t.dead_letter_id = s.dead_letter_id"));
    }
}
