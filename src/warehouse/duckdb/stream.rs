//! Streamed events into the warehouse: the subscriber's rows land in `order_events`,
//! `inventory_events`, `user_activity_events` and `dead_letter_events` as they arrive.

use super::{query, query_error, sql, DuckDbWarehouse};
use crate::bus::sink::{on_blocking_pool, Row};
use crate::bus::{EventSink, SinkBatch, SinkError};
use crate::generate::events::EventTime;
use crate::warehouse::WarehouseError;
use async_trait::async_trait;
use duckdb::Connection;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The warehouse's stream tables, in the order `/status` lists them.
pub const STREAM_TABLES: [&str; 4] = [
    "order_events",
    "inventory_events",
    "user_activity_events",
    "dead_letter_events",
];

/// Rows bound for one stream table, as the sink made them.
pub(super) type TableRows = (&'static str, Vec<serde_json::Map<String, Value>>);

/// Rows in each stream table, counted once at open and then kept by the writer: `/status`
/// reads them on every call, and asking DuckDB (a connection, four counts, on a blocking
/// thread) made each call after a batch wait several milliseconds. Exact, because this
/// process is the file's only writer (DuckDB locks the file) and `StreamWriter` the only
/// code that adds stream rows.
#[derive(Debug, Default)]
pub(super) struct StreamRowCounts([AtomicU64; STREAM_TABLES.len()]);

impl StreamRowCounts {
    fn count(conn: &Connection) -> Result<Self, WarehouseError> {
        let counts = Self::default();
        for (table, n) in STREAM_TABLES.iter().zip(&counts.0) {
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .map_err(|e| query_error(table, &e))?;
            n.store(rows.max(0) as u64, Ordering::Release);
        }
        Ok(counts)
    }

    fn add(&self, table: &str, rows: u64) {
        if let Some(i) = STREAM_TABLES.iter().position(|t| *t == table) {
            self.0[i].fetch_add(rows, Ordering::AcqRel);
        }
    }

    pub(super) fn snapshot(&self) -> Vec<(String, u64)> {
        STREAM_TABLES
            .iter()
            .zip(&self.0)
            .map(|(t, n)| ((*t).to_string(), n.load(Ordering::Acquire)))
            .collect()
    }
}

/// The connection the stream tables are written through, kept for the file's lifetime, with
/// a text-typed staging table per stream table made once at open (temporary tables belong to
/// their connection). Held by each write: the tables have no key, so two writes of the same
/// event at once could both find it missing.
#[derive(Debug)]
pub(super) struct StreamWriter {
    conn: Connection,
    /// Each stream table's columns but `event_date`, in order: the schema is fixed while the
    /// file is open, and asking `information_schema` cost 3-6 ms a table on every batch.
    columns: BTreeMap<&'static str, Vec<String>>,
    /// Shared with the warehouse, which answers `stream_rows` from it; added to after each
    /// commit.
    counts: Arc<StreamRowCounts>,
}

impl StreamWriter {
    /// Opens the writer on `conn` and counts what the stream tables hold.
    pub(super) fn open(conn: Connection) -> Result<Self, WarehouseError> {
        let counts = Arc::new(StreamRowCounts::count(&conn)?);
        let mut columns = BTreeMap::new();
        for table in STREAM_TABLES {
            let names = stream_columns(&conn, table)?;
            let ddl = names
                .iter()
                .map(|c| format!("\"{c}\" VARCHAR"))
                .collect::<Vec<_>>()
                .join(", ");
            conn.execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE {} ({ddl})",
                stage(table)
            ))
            .map_err(|e| query_error(table, &e))?;
            columns.insert(table, names);
        }
        Ok(Self {
            conn,
            columns,
            counts,
        })
    }

    pub(super) fn counts(&self) -> Arc<StreamRowCounts> {
        self.counts.clone()
    }

    /// Inserts each table's rows, leaving out ids already stored (a redelivered batch changes
    /// nothing) and ids repeated within the batch, all tables in one transaction: a batch
    /// lands whole or not at all, and pays for one commit. Returns the rows inserted.
    ///
    /// The rows go through DuckDB's appender into the table's staging table, then one
    /// `INSERT ... SELECT` casts them into the table. The tables have no key (see
    /// `sql/duckdb/03_event_tables.sql`), so the insert looks for each id among the stored
    /// rows of the batch's time span: a redelivered event carries its own event time, and
    /// the span keeps the lookup to a few row groups however long the table grows.
    fn write(&mut self, tables: &[TableRows]) -> Result<u64, WarehouseError> {
        let tables: Vec<_> = tables.iter().filter(|(_, rows)| !rows.is_empty()).collect();
        if tables.is_empty() {
            return Ok(0);
        }
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|e| query_error("begin", &e))?;
        // One place to undo: any step's failure rolls back the whole batch.
        let inserted = self.write_in_transaction(&tables).inspect_err(|_| {
            let _ = self.conn.execute_batch("ROLLBACK");
        })?;
        for (table, n) in &inserted {
            self.counts.add(table, *n);
        }
        Ok(inserted.iter().map(|(_, n)| n).sum())
    }

    /// The batch's steps up to and including the commit; the rows each table gained.
    fn write_in_transaction(
        &self,
        tables: &[&TableRows],
    ) -> Result<Vec<(&'static str, u64)>, WarehouseError> {
        let conn = &self.conn;
        let mut inserted = Vec::with_capacity(tables.len());
        for (table, rows) in tables {
            let columns = self
                .columns
                .get(table)
                .ok_or_else(|| WarehouseError::Query {
                    query: (*table).to_string(),
                    message: "not a stream table".into(),
                })?;
            // Empty: each commit below and each rollback leaves it so.
            let stage = stage(table);
            let n = append_rows(conn, &stage, columns, rows)
                .and_then(|()| conn.execute(&insert_new_rows(table, &stage, rows), []))
                .map_err(|e| query_error(table, &e))?;
            inserted.push((*table, n as u64));
        }
        // Emptied before the commit, so the staged text does not wait in memory for the next
        // batch. Part of the transaction: a failure rolls it back with the rest.
        let text = tables
            .iter()
            .map(|(table, _)| format!("DELETE FROM temp.main.{};", stage(table)))
            .collect::<String>();
        conn.execute_batch(&format!("{text} COMMIT"))
            .map_err(|e| query_error("commit", &e))?;
        Ok(inserted)
    }
}

fn stage(table: &str) -> String {
    format!("_stage_{table}")
}

impl DuckDbWarehouse {
    /// Writes a batch's rows into the stream tables (see `StreamWriter::write`) on a blocking
    /// thread. Returns the rows inserted.
    pub(super) async fn insert_stream(
        &self,
        tables: Vec<TableRows>,
    ) -> Result<u64, WarehouseError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner
                .stream_writer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            writer.write(&tables)
        })
        .await
        .map_err(|e| WarehouseError::Worker(e.to_string()))?
    }

    /// Rows in each stream table, in `STREAM_TABLES` order, from the writer's counts: no query.
    pub fn stream_table_rows(&self) -> Vec<(String, u64)> {
        self.inner.stream_rows.snapshot()
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
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        let tables = on_blocking_pool(move || {
            let at = batch.ingested_at.unwrap_or_else(EventTime::now);
            [
                ("order_events", rows(&batch.orders, at)),
                ("inventory_events", rows(&batch.inventory, at)),
                ("user_activity_events", rows(&batch.user_activity, at)),
                ("dead_letter_events", rows(&batch.dead_letters, at)),
            ]
        })
        .await?;
        self.warehouse
            .insert_stream(tables.into())
            .await
            .map_err(|e| SinkError::Backend(e.to_string()))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "warehouse stream tables in {}",
            self.warehouse.path().display()
        )
    }
}

/// The `INSERT` of the staged rows whose id is not stored yet, each id once.
fn insert_new_rows(
    table: &str,
    stage: &str,
    rows: &[serde_json::Map<String, serde_json::Value>],
) -> String {
    let (key, date, span) = if table == "dead_letter_events" {
        // A redelivered dead letter is received anew, so there is no span to narrow the
        // lookup to; the table holds only what failed, and is small.
        ("dead_letter_id", String::new(), String::new())
    } else {
        let span = time_span(rows)
            .map(|(first, last)| {
                format!(
                    " AND t.event_time BETWEEN CAST({} AS TIMESTAMP) AND CAST({} AS TIMESTAMP)",
                    sql::string(first),
                    sql::string(last)
                )
            })
            .unwrap_or_default();
        (
            "event_id",
            ", CAST(CAST(s.event_time AS TIMESTAMP) AS DATE) AS event_date".to_string(),
            span,
        )
    };
    // An uncorrelated ANTI JOIN rather than `WHERE NOT EXISTS (...)`: the same rows, but
    // DuckDB plans it faster (the correlated form became a delim join; 7.4 against 11 ms for
    // 130 rows over 200k, almost all of it planning, since the span prunes every row group).
    format!(
        "INSERT INTO {table} BY NAME \
         SELECT s.*{date} FROM (SELECT * FROM temp.main.{stage} \
             QUALIFY row_number() OVER (PARTITION BY {key}) = 1) s \
         ANTI JOIN (SELECT {key} FROM main.{table} t WHERE true{span}) t ON t.{key} = s.{key}"
    )
}

/// The first and last event time of the rows. Every time is RFC 3339 in UTC with
/// milliseconds (`EventTime`), so text order is time order. `None` if a row has none.
fn time_span(rows: &[serde_json::Map<String, serde_json::Value>]) -> Option<(&str, &str)> {
    let mut times = rows
        .iter()
        .map(|r| r.get("event_time").and_then(Value::as_str));
    let first = times.next()??;
    times.try_fold((first, first), |(lo, hi), t| {
        let t = t?;
        Some((lo.min(t), hi.max(t)))
    })
}

/// Files made before the stream tables lost their keys: each keyed table is rebuilt
/// without its key, rows kept, in one transaction. Run at open, after the schema.
pub(super) fn drop_stream_keys(conn: &Connection) -> Result<(), WarehouseError> {
    let tables = STREAM_TABLES.map(sql::string).join(", ");
    let keyed = query::rows(
        conn,
        "stream keys",
        &format!(
            "SELECT DISTINCT table_name FROM duckdb_constraints() \
             WHERE constraint_type = 'PRIMARY KEY' AND schema_name = 'main' \
             AND table_name IN ({tables}) ORDER BY table_name"
        ),
        [],
        |r| r.get::<_, String>(0),
    )?;
    if keyed.is_empty() {
        return Ok(());
    }
    let mut text = String::from("BEGIN TRANSACTION; DROP VIEW IF EXISTS order_events_clean;");
    for t in &keyed {
        text += &format!("ALTER TABLE {t} RENAME TO {t}__keyed;");
    }
    text += sql::EVENT_TABLES;
    for t in &keyed {
        text +=
            &format!("INSERT INTO {t} BY NAME SELECT * FROM {t}__keyed; DROP TABLE {t}__keyed;");
    }
    text += "COMMIT;";
    conn.execute_batch(&text).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        query_error("dropping the stream tables' keys", &e)
    })?;
    tracing::info!(tables = ?keyed, "stream tables rebuilt without their keys");
    Ok(())
}

/// The columns the subscriber fills, in table order: all but the derived `event_date`.
pub(super) fn stream_columns(
    conn: &Connection,
    table: &str,
) -> Result<Vec<String>, WarehouseError> {
    query::rows(
        conn,
        table,
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = 'main' AND table_name = ? AND column_name <> 'event_date' \
         ORDER BY ordinal_position",
        [table],
        |r| r.get::<_, String>(0),
    )
}

/// Appends each row's value of each column as text: strings as they are, numbers and booleans
/// in JSON's spelling, objects and arrays as JSON (the `JSON` columns), missing and null as
/// NULL.
fn append_rows(
    conn: &Connection,
    stage: &str,
    columns: &[String],
    rows: &[serde_json::Map<String, serde_json::Value>],
) -> duckdb::Result<()> {
    let mut appender = conn.appender_to_catalog_and_db(stage, "temp", "main")?;
    for row in rows {
        let values = columns.iter().map(|c| match row.get(c) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        });
        appender.append_row(duckdb::appender_params_from_iter(values))?;
    }
    appender.flush()
}

/// Each row as a JSON object with its `ingestion_time`, as the subscriber received it.
fn rows<T: Serialize>(rows: &[T], at: EventTime) -> Vec<serde_json::Map<String, Value>> {
    rows.iter()
        .filter_map(|row| {
            // Plain data with string keys: serialization cannot fail, and is an object.
            match serde_json::to_value(Row {
                row,
                ingestion_time: at,
            }) {
                Ok(Value::Object(map)) => Some(map),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::sink::DeadLetter;
    use crate::generate::events::{Event, EventGenerator, EventPools, EventType};
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use std::collections::BTreeMap;

    const AT: i64 = 1_790_000_000_123;

    async fn open(dir: &tempfile::TempDir) -> Arc<DuckDbWarehouse> {
        Arc::new(
            DuckDbWarehouse::open(dir.path().join("w.duckdb"), dir.path().join("lake"))
                .await
                .expect("open"),
        )
    }

    fn batch() -> SinkBatch {
        let world = Arc::new(World::new(7, &Scale::preset(ScaleName::Small)));
        let generator = EventGenerator::new(
            Arc::new(EventPools::new(world)),
            "appender",
            &EventType::ALL,
        );
        let mut batch = SinkBatch {
            ingested_at: Some(EventTime::from_millis(AT)),
            ..SinkBatch::default()
        };
        for seq in 0..120 {
            match generator.event(seq, EventTime::from_millis(AT - 5_000 + seq as i64 * 7)) {
                Event::Order(o) => batch.orders.push(o),
                Event::Inventory(i) => batch.inventory.push(i),
                Event::UserActivity(u) => batch.user_activity.push(u),
            }
        }
        batch.dead_letters.push(DeadLetter {
            dead_letter_id: "dl-1".into(),
            topic: "orders".into(),
            received_at: EventTime::from_millis(AT - 1),
            reason: "invalid_json".into(),
            detail: "expected value at line 1 column 1".into(),
            attributes: BTreeMap::from([("event_type".into(), "order".into())]),
            payload: "{not json, with 'quotes' and \"doubles\"".into(),
        });
        batch
    }

    /// Each column of `table` as the text the sink appended: times in RFC 3339 with
    /// milliseconds, the rest as DuckDB spells it. Ordered by the key.
    fn read_back(conn: &Connection, table: &str, key: &str) -> Vec<BTreeMap<String, String>> {
        let columns = stream_columns(conn, table).expect("columns");
        let mut types = conn
            .prepare(
                "SELECT column_name, data_type FROM information_schema.columns \
                 WHERE table_name = ?",
            )
            .expect("prepare");
        let types: BTreeMap<String, String> = types
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("types")
            .map(|r| r.expect("type"))
            .collect();
        let select = columns
            .iter()
            .map(|c| match types[c].as_str() {
                "TIMESTAMP" => format!("strftime({c}, '%Y-%m-%dT%H:%M:%S.%gZ')"),
                _ => format!("CAST({c} AS VARCHAR)"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = conn
            .prepare(&format!("SELECT {select} FROM {table} ORDER BY {key}"))
            .expect("select");
        let rows = stmt
            .query_map([], |r| {
                let mut row = BTreeMap::new();
                for (i, c) in columns.iter().enumerate() {
                    if let Some(v) = r.get::<_, Option<String>>(i)? {
                        row.insert(c.clone(), v);
                    }
                }
                Ok(row)
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        rows
    }

    /// Whether DuckDB's text for a column means the value the row carried.
    fn same(sent: &Value, stored: &str) -> bool {
        match sent {
            Value::String(s) => s == stored,
            Value::Number(n) => n.as_f64() == stored.parse::<f64>().ok(),
            Value::Bool(b) => stored == b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                serde_json::from_str::<Value>(stored).ok().as_ref() == Some(sent)
            }
            Value::Null => false,
        }
    }

    /// The counts `stream_rows` answers from memory are what the tables hold.
    async fn assert_counts_kept(warehouse: &DuckDbWarehouse) {
        for (table, kept) in warehouse.stream_table_rows() {
            let stored = warehouse
                .query_i64(&format!("SELECT count(*) FROM {table}"))
                .await
                .expect("count");
            assert_eq!(kept, stored as u64, "{table}: kept count against count(*)");
        }
    }

    #[tokio::test]
    async fn every_column_round_trips_once_however_often_a_batch_comes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        let sink = DuckDbEventSink::new(warehouse.clone());
        let batch = batch();
        sink.write(Arc::new(batch.clone())).await.expect("write");
        sink.write(Arc::new(batch.clone()))
            .await
            .expect("redelivered");
        // A batch that carries one event twice keeps it once too.
        let mut doubled = SinkBatch {
            ingested_at: batch.ingested_at,
            ..SinkBatch::default()
        };
        doubled.orders = vec![batch.orders[0].clone(), batch.orders[0].clone()];
        sink.write(Arc::new(doubled)).await.expect("doubled");

        let at = EventTime::from_millis(AT);
        let mut expected = vec![
            ("order_events", "event_id", rows(&batch.orders, at)),
            ("inventory_events", "event_id", rows(&batch.inventory, at)),
            (
                "user_activity_events",
                "event_id",
                rows(&batch.user_activity, at),
            ),
            (
                "dead_letter_events",
                "dead_letter_id",
                rows(&batch.dead_letters, at),
            ),
        ];
        for (_, key, rows) in &mut expected {
            assert!(!rows.is_empty());
            rows.sort_by(|a, b| a[*key].as_str().cmp(&b[*key].as_str()));
        }
        warehouse
            .with_conn(move |conn, inner| {
                for (table, key, sent) in &expected {
                    let columns = stream_columns(conn, table).expect("columns");
                    let stored = read_back(conn, table, key);
                    assert_eq!(stored.len(), sent.len(), "{table}: each row once");
                    for (sent, stored) in sent.iter().zip(&stored) {
                        for (field, value) in sent {
                            assert!(
                                columns.contains(field),
                                "{table} has no column for the field {field}"
                            );
                            match stored.get(field) {
                                None => assert!(value.is_null(), "{table}.{field} lost {value}"),
                                Some(text) => assert!(
                                    same(value, text),
                                    "{table}.{field}: sent {value}, stored {text}"
                                ),
                            }
                        }
                        for column in &columns {
                            assert!(
                                sent.contains_key(column) || !stored.contains_key(column),
                                "{table}.{column} has a value nobody sent"
                            );
                        }
                    }
                    if *table != "dead_letter_events" {
                        let undated: i64 = conn
                            .query_row(
                                &format!(
                                    "SELECT count(*) FROM {table} \
                                     WHERE event_date IS DISTINCT FROM CAST(event_time AS DATE)"
                                ),
                                [],
                                |r| r.get(0),
                            )
                            .expect("dates");
                        assert_eq!(undated, 0, "{table}: event_date is the event's day");
                    }
                }
                let writer = inner.stream_writer.lock().expect("writer");
                for table in STREAM_TABLES {
                    let staged: i64 = writer
                        .conn
                        .query_row(
                            &format!("SELECT count(*) FROM temp.main.{}", stage(table)),
                            [],
                            |r| r.get(0),
                        )
                        .expect("staging table");
                    assert_eq!(staged, 0, "{table}: nothing left staged after a batch");
                }
                Ok(())
            })
            .await
            .expect("checks");
    }

    #[tokio::test]
    async fn a_row_that_does_not_fit_fails_the_whole_batch_and_inserts_none_of_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        let at = EventTime::from_millis(AT);
        let batch = batch();
        let orders = rows(&batch.orders, at);
        let mut inventory = rows(&batch.inventory, at);
        let mut bad = inventory[0].clone();
        bad.insert("event_id".into(), Value::String("bad-1".into()));
        bad.insert("quantity_change".into(), Value::String("many".into()));
        inventory.push(bad);
        // The orders come first and are fine: they go back with the inventory all the same.
        let err = warehouse
            .insert_stream(vec![
                ("order_events", orders.clone()),
                ("inventory_events", inventory),
            ])
            .await
            .expect_err("a text quantity is refused");
        assert!(err.to_string().contains("inventory_events"), "{err}");
        assert_counts_kept(&warehouse).await;
        for table in ["order_events", "inventory_events"] {
            let n = warehouse
                .query_i64(&format!("SELECT count(*) FROM {table}"))
                .await
                .expect("count");
            assert_eq!(n, 0, "{table}: nothing of a failed batch is kept");
        }
        // The writer's connection takes the next batch, and nothing of the failed one is
        // still staged to come in with it.
        let inserted = warehouse
            .insert_stream(vec![("order_events", orders.clone())])
            .await
            .expect("the next batch");
        assert_eq!(inserted, orders.len() as u64);
        let stored = warehouse
            .query_i64("SELECT count(*) FROM order_events")
            .await
            .expect("count");
        assert_eq!(stored, orders.len() as i64);
        assert_eq!(
            warehouse
                .query_i64("SELECT count(*) FROM inventory_events")
                .await
                .expect("count"),
            0
        );
        assert_counts_kept(&warehouse).await;
        assert_eq!(
            warehouse.stream_table_rows()[0],
            ("order_events".to_string(), orders.len() as u64)
        );
    }

    /// The stream tables as files made before this version had them: keyed by their ids.
    fn keyed_schema() -> String {
        let mut text = sql::EVENT_TABLES.to_string();
        for (unkeyed, keyed) in [
            (
                "event_id         VARCHAR NOT NULL",
                "event_id         VARCHAR PRIMARY KEY",
            ),
            (
                "event_id        VARCHAR NOT NULL",
                "event_id        VARCHAR PRIMARY KEY",
            ),
            (
                "event_id       VARCHAR NOT NULL",
                "event_id       VARCHAR PRIMARY KEY",
            ),
            (
                "dead_letter_id VARCHAR NOT NULL",
                "dead_letter_id VARCHAR PRIMARY KEY",
            ),
        ] {
            assert!(text.contains(unkeyed), "{unkeyed}");
            text = text.replace(unkeyed, keyed);
        }
        text
    }

    #[tokio::test]
    async fn a_file_with_keyed_stream_tables_is_rebuilt_without_keys_and_keeps_its_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.duckdb");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(&keyed_schema()).expect("old schema");
            conn.execute_batch(
                "INSERT INTO inventory_events VALUES ('e-1', 'inventory', TIMESTAMP '2026-02-01 10:00:00', \
                 DATE '2026-02-01', 1, 'S001', 'P00001', -2, 'sale', TIMESTAMP '2026-02-01 10:00:01')",
            )
            .expect("a row");
        }
        let keys =
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' \
                    AND table_name LIKE '%_events'";
        let warehouse = Arc::new(
            DuckDbWarehouse::open(path.clone(), dir.path().join("lake"))
                .await
                .expect("reopen"),
        );
        assert_eq!(warehouse.query_i64(keys).await.expect("keys"), 0);
        assert_eq!(
            warehouse
                .query_i64("SELECT count(*) FROM inventory_events WHERE event_id = 'e-1' AND quantity_change = -2")
                .await
                .expect("row"),
            1,
            "the stored row survives the rebuild"
        );
        assert_eq!(
            warehouse
                .query_i64("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%__keyed'")
                .await
                .expect("tables"),
            0
        );
        // The view was made again, and the tables take streamed rows as before.
        let sink = DuckDbEventSink::new(warehouse.clone());
        let batch = batch();
        sink.write(Arc::new(batch.clone())).await.expect("write");
        sink.write(Arc::new(batch.clone())).await.expect("again");
        assert_eq!(
            warehouse
                .query_i64("SELECT count(*) FROM order_events_clean")
                .await
                .expect("view"),
            batch.orders.len() as i64
        );
        assert_counts_kept(&warehouse).await;
        drop(sink);
        drop(warehouse);
        // A second open finds nothing to rebuild, and counts what the file holds.
        let again = DuckDbWarehouse::open(path, dir.path().join("lake"))
            .await
            .expect("third open");
        assert_counts_kept(&again).await;
        assert_eq!(
            again
                .query_i64("SELECT count(*) FROM inventory_events")
                .await
                .expect("count"),
            1 + batch.inventory.len() as i64
        );
    }

    #[tokio::test]
    async fn the_same_batch_delivered_twice_at_once_is_kept_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        let batch = batch();
        let sinks: Vec<_> = (0..4)
            .map(|_| DuckDbEventSink::new(warehouse.clone()))
            .collect();
        let writes = sinks.iter().map(|s| s.write(Arc::new(batch.clone())));
        for result in futures::future::join_all(writes).await {
            result.expect("write");
        }
        let rows: BTreeMap<String, u64> = warehouse.stream_table_rows().into_iter().collect();
        assert_eq!(rows["order_events"], batch.orders.len() as u64);
        assert_eq!(rows["inventory_events"], batch.inventory.len() as u64);
        assert_eq!(
            rows["user_activity_events"],
            batch.user_activity.len() as u64
        );
        assert_eq!(rows["dead_letter_events"], 1);
    }

    #[test]
    fn the_span_is_the_first_and_last_event_time() {
        let row = |t: &str| {
            let mut m = serde_json::Map::new();
            m.insert("event_time".into(), Value::String(t.into()));
            m
        };
        let rows = [
            row("2026-02-01T10:00:00.500Z"),
            row("2026-02-01T09:59:59.999Z"),
            row("2026-02-01T10:00:01.000Z"),
        ];
        assert_eq!(
            time_span(&rows),
            Some(("2026-02-01T09:59:59.999Z", "2026-02-01T10:00:01.000Z"))
        );
        assert_eq!(time_span(&[]), None);
        assert_eq!(
            time_span(&[row("2026-02-01T10:00:00.000Z"), serde_json::Map::new()]),
            None
        );
    }
}
