//! Streamed events into the warehouse: the subscriber's rows land in `order_events`,
//! `inventory_events`, `user_activity_events` and `dead_letter_events` as they arrive.

use super::{query_error, DuckDbWarehouse};
use crate::bus::sink::jsonl;
use crate::bus::{EventSink, SinkBatch, SinkError};
use crate::generate::events::EventTime;
use crate::warehouse::WarehouseError;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The warehouse's stream tables, in the order `/status` lists them.
pub const STREAM_TABLES: [&str; 4] = [
    "order_events",
    "inventory_events",
    "user_activity_events",
    "dead_letter_events",
];

impl DuckDbWarehouse {
    /// Inserts JSON lines into one stream table, keeping rows whose key is already there
    /// (a redelivered batch changes nothing). Returns the rows inserted.
    async fn insert_stream(
        &self,
        table: &'static str,
        jsonl: Vec<u8>,
    ) -> Result<u64, WarehouseError> {
        static FILE: AtomicU64 = AtomicU64::new(0);
        self.with_conn(move |conn, inner| {
            std::fs::create_dir_all(&inner.staging).map_err(|source| WarehouseError::Io {
                path: inner.staging.clone(),
                source,
            })?;
            let n = FILE.fetch_add(1, Ordering::Relaxed);
            let file = inner
                .staging
                .join(format!("stream-{}-{n}.jsonl", std::process::id()));
            std::fs::write(&file, &jsonl).map_err(|source| WarehouseError::Io {
                path: file.clone(),
                source,
            })?;
            // Paths come from our own staging directory; quotes are escaped all the same.
            let path = file.display().to_string().replace('\'', "''");
            let date = if table == "dead_letter_events" {
                ""
            } else {
                ", CAST(event_time AS DATE) AS event_date"
            };
            let text = format!(
                "INSERT OR IGNORE INTO {table} BY NAME \
                 SELECT *{date} FROM read_json('{path}', format = 'newline_delimited')"
            );
            let result = conn.execute(&text, []).map_err(|e| query_error(table, &e));
            let _ = std::fs::remove_file(&file);
            result.map(|n| n as u64)
        })
        .await
    }

    /// Rows in each stream table.
    pub async fn stream_table_rows(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        self.with_conn(|conn, _| {
            STREAM_TABLES
                .iter()
                .map(|t| {
                    let n: i64 = conn
                        .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                        .map_err(|e| query_error(t, &e))?;
                    Ok(((*t).to_string(), n.max(0) as u64))
                })
                .collect()
        })
        .await
    }
}

/// The subscriber's sink into the warehouse's stream tables.
#[derive(Debug, Clone)]
pub struct DuckDbEventSink {
    warehouse: Arc<DuckDbWarehouse>,
}

impl DuckDbEventSink {
    pub fn new(warehouse: Arc<DuckDbWarehouse>) -> Self {
        Self { warehouse }
    }
}

#[async_trait]
impl EventSink for DuckDbEventSink {
    async fn write(&self, batch: &SinkBatch) -> Result<(), SinkError> {
        let at = batch.ingested_at.unwrap_or_else(EventTime::now);
        let tables = [
            ("order_events", jsonl(&batch.orders, |r| &r.event_id, at).0),
            (
                "inventory_events",
                jsonl(&batch.inventory, |r| &r.event_id, at).0,
            ),
            (
                "user_activity_events",
                jsonl(&batch.user_activity, |r| &r.event_id, at).0,
            ),
            (
                "dead_letter_events",
                jsonl(&batch.dead_letters, |r| &r.dead_letter_id, at).0,
            ),
        ];
        for (table, rows) in tables {
            if rows.is_empty() {
                continue;
            }
            self.warehouse
                .insert_stream(table, rows)
                .await
                .map_err(|e| SinkError::Backend(e.to_string()))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "warehouse stream tables in {}",
            self.warehouse.path().display()
        )
    }
}
