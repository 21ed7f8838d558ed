//! Streamed events into the warehouse: the subscriber's rows land in `order_events`,
//! `inventory_events`, `user_activity_events` and `dead_letter_events` as they arrive, every
//! delivery a row (as a Pub/Sub BigQuery subscription writes them; readers take one row per
//! id, see `crate::warehouse::stream_tables`).

use super::{query, query_error, sql, DuckDbWarehouse};
use crate::bus::sink::on_blocking_pool;
use crate::bus::{EventSink, SinkBatch, SinkError};
use crate::warehouse::{stream_tables, WarehouseError};
use async_trait::async_trait;
use duckdb::Connection;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The warehouse's stream tables, in the order `/status` lists them.
pub const STREAM_TABLES: [&str; 4] = [
    stream_tables::ORDER_EVENTS.name,
    stream_tables::INVENTORY_EVENTS.name,
    stream_tables::USER_ACTIVITY_EVENTS.name,
    stream_tables::DEAD_LETTER_EVENTS.name,
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
                .map_err(|e| query_error(table, e))?;
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
/// their connection). Held by each write, which uses the staging tables.
#[derive(Debug)]
pub(super) struct StreamWriter {
    conn: Connection,
    /// Each stream table's columns, in order: the schema is fixed while the file is open, and
    /// asking `information_schema` cost 3-6 ms a table on every batch.
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
            .map_err(|e| query_error(table, e))?;
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

    /// Inserts each table's rows, all tables in one transaction: a batch lands whole or not at
    /// all, and pays for one commit. Returns the rows inserted. A row delivered again is
    /// inserted again, as a Pub/Sub subscription would; readers take one row per id.
    ///
    /// The rows go through DuckDB's appender into the table's staging table, then one
    /// `INSERT ... SELECT` casts them into the table.
    fn write(&mut self, tables: &[TableRows]) -> Result<u64, WarehouseError> {
        let tables: Vec<_> = tables.iter().filter(|(_, rows)| !rows.is_empty()).collect();
        if tables.is_empty() {
            return Ok(0);
        }
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|e| query_error("begin", e))?;
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
                    source: "not a stream table".into(),
                })?;
            // Empty: each commit below and each rollback leaves it so.
            let stage = stage(table);
            let n = append_rows(conn, &stage, columns, rows)
                .and_then(|()| {
                    conn.execute(
                        &format!("INSERT INTO {table} BY NAME SELECT * FROM temp.main.{stage}"),
                        [],
                    )
                })
                .map_err(|e| query_error(table, e))?;
            inserted.push((*table, n as u64));
        }
        // Emptied before the commit, so the staged text does not wait in memory for the next
        // batch. Part of the transaction: a failure rolls it back with the rest.
        let text = tables
            .iter()
            .map(|(table, _)| format!("DELETE FROM temp.main.{};", stage(table)))
            .collect::<String>();
        conn.execute_batch(&format!("{text} COMMIT"))
            .map_err(|e| query_error("commit", e))?;
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
        .map_err(WarehouseError::Worker)?
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
            [
                (STREAM_TABLES[0], rows(&batch.orders)),
                (STREAM_TABLES[1], rows(&batch.inventory)),
                (STREAM_TABLES[2], rows(&batch.user_activity)),
                (STREAM_TABLES[3], rows(&batch.dead_letters)),
            ]
        })
        .await?;
        self.warehouse.insert_stream(tables.into()).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "warehouse stream tables in {}",
            self.warehouse.path().display()
        )
    }
}

/// Files made before the stream tables took a subscription's shape (an `event_date` and an
/// `ingestion_time` column, keys on older files still): each such table is rebuilt in the new
/// shape, rows kept, all in one transaction. Run at open, before the schema. An old row's
/// `ingestion_time` becomes its `publish_time` (the nearest it knew); its message id and
/// subscription stay empty. An old dead letter's id, topic and time become its message id,
/// subscription name and publish time.
pub(super) fn upgrade_stream_tables(conn: &Connection) -> Result<(), WarehouseError> {
    let tables = STREAM_TABLES.map(sql::string).join(", ");
    let old = query::rows(
        conn,
        "stream table shapes",
        &format!(
            "SELECT DISTINCT table_name FROM information_schema.columns \
             WHERE table_schema = 'main' AND table_name IN ({tables}) \
             AND column_name IN ('ingestion_time', 'dead_letter_id') ORDER BY table_name"
        ),
        [],
        |r| r.get::<_, String>(0),
    )?;
    if old.is_empty() {
        return Ok(());
    }
    let mut text = String::from("BEGIN TRANSACTION; DROP VIEW IF EXISTS order_events_clean;");
    for t in &old {
        text += &format!("ALTER TABLE {t} RENAME TO {t}__old;");
    }
    text += sql::EVENT_TABLES;
    for t in &old {
        let copy = if t == "dead_letter_events" {
            format!(
                "INSERT INTO {t} BY NAME SELECT payload AS data, reason, detail, \
                 topic AS subscription_name, dead_letter_id AS message_id, \
                 received_at AS publish_time, attributes FROM {t}__old;"
            )
        } else {
            format!(
                "INSERT INTO {t} BY NAME SELECT * EXCLUDE (event_date, ingestion_time), \
                 ingestion_time AS publish_time FROM {t}__old;"
            )
        };
        text += &format!("{copy} DROP TABLE {t}__old;");
    }
    text += "COMMIT;";
    conn.execute_batch(&text).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        query_error("upgrading the stream tables", e)
    })?;
    tracing::info!(tables = ?old, "stream tables rebuilt in the subscription shape");
    Ok(())
}

/// The columns of a stream table, in table order.
pub(super) fn stream_columns(
    conn: &Connection,
    table: &str,
) -> Result<Vec<String>, WarehouseError> {
    query::rows(
        conn,
        table,
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = 'main' AND table_name = ? \
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

/// Each row as a JSON object of its table's columns.
fn rows<T: Serialize>(rows: &[T]) -> Vec<serde_json::Map<String, Value>> {
    rows.iter()
        .filter_map(|row| {
            // Plain data with string keys: serialization cannot fail, and is an object.
            match serde_json::to_value(row) {
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
    use crate::bus::{Delivered, RowMetadata};
    use crate::generate::events::{EventGenerator, EventPools, EventTime, EventType};
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
        let meta = |n: u64, ty: &str| RowMetadata {
            subscription_name: Some("retail-events-local".into()),
            message_id: Some(format!("m-{n}")),
            publish_time: Some(EventTime::from_millis(AT - 2_000 + n as i64)),
            attributes: Some(BTreeMap::from([("event_type".into(), ty.into())])),
        };
        for seq in 0..120 {
            let event = generator.event(seq, EventTime::from_millis(AT - 5_000 + seq as i64 * 7));
            let ty = event.event_type().as_str();
            // Every fifth row as a test or a replay writes it: no metadata.
            let meta = if seq % 5 == 0 {
                RowMetadata::default()
            } else {
                meta(seq, ty)
            };
            batch.push_event(event, meta);
        }
        batch.dead_letters.push(Delivered::new(
            DeadLetter {
                data: "{not json, with 'quotes' and \"doubles\"".into(),
                reason: "invalid_json".into(),
                detail: "expected value at line 1 column 1".into(),
            },
            meta(999, "order"),
        ));
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
    async fn every_column_round_trips_and_every_delivery_is_a_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        let sink = DuckDbEventSink::new(warehouse.clone());
        let batch = batch();
        sink.write(Arc::new(batch.clone())).await.expect("write");

        let mut expected = vec![
            ("order_events", "event_id", rows(&batch.orders)),
            ("inventory_events", "event_id", rows(&batch.inventory)),
            (
                "user_activity_events",
                "event_id",
                rows(&batch.user_activity),
            ),
            (
                "dead_letter_events",
                "message_id",
                rows(&batch.dead_letters),
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

        // Delivered again (a redelivery, a retried batch): every delivery is a row, and the
        // clean view still has each order once.
        sink.write(Arc::new(batch.clone()))
            .await
            .expect("redelivered");
        let stored = warehouse
            .query_i64("SELECT count(*) FROM order_events")
            .await
            .expect("count");
        assert_eq!(stored as usize, 2 * batch.orders.len());
        let clean = warehouse
            .query_i64("SELECT count(*) FROM order_events_clean")
            .await
            .expect("clean");
        assert_eq!(clean as usize, batch.orders.len(), "one row per event_id");
        let dead = warehouse
            .query_i64("SELECT count(*) FROM dead_letters WHERE reason = 'invalid_json'")
            .await
            .expect("dead letters");
        assert_eq!(dead, 1, "one dead letter per message_id, its reason kept");
        assert_counts_kept(&warehouse).await;
    }

    #[tokio::test]
    async fn a_row_that_does_not_fit_fails_the_whole_batch_and_inserts_none_of_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        let batch = batch();
        let orders = rows(&batch.orders);
        let mut inventory = rows(&batch.inventory);
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

    /// Two stream tables as files made before they took a subscription's shape had them:
    /// an `event_date`, an `ingestion_time`, and (older still) keys.
    const OLD_SHAPE: &str = "
        CREATE TABLE inventory_events (
            event_id VARCHAR PRIMARY KEY, event_type VARCHAR NOT NULL,
            event_time TIMESTAMP NOT NULL, event_date DATE NOT NULL,
            schema_version INTEGER NOT NULL, store_id VARCHAR NOT NULL,
            product_id VARCHAR NOT NULL, quantity_change INTEGER NOT NULL,
            reason VARCHAR NOT NULL, ingestion_time TIMESTAMP NOT NULL);
        CREATE TABLE dead_letter_events (
            dead_letter_id VARCHAR NOT NULL, topic VARCHAR NOT NULL,
            received_at TIMESTAMP NOT NULL, reason VARCHAR NOT NULL, detail VARCHAR,
            attributes JSON, payload VARCHAR, ingestion_time TIMESTAMP NOT NULL);
        INSERT INTO inventory_events VALUES ('e-1', 'inventory',
            TIMESTAMP '2026-02-01 10:00:00', DATE '2026-02-01', 1, 'S001', 'P00001', -2,
            'sale', TIMESTAMP '2026-02-01 10:00:01');
        INSERT INTO dead_letter_events VALUES ('dl-7', 'retail-events',
            TIMESTAMP '2026-02-01 10:00:02', 'invalid_json', 'eof', NULL, '{', 
            TIMESTAMP '2026-02-01 10:00:03');";

    #[tokio::test]
    async fn a_file_with_stream_tables_of_the_old_shape_is_rebuilt_and_keeps_its_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.duckdb");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(OLD_SHAPE).expect("old schema");
        }
        let warehouse = Arc::new(
            DuckDbWarehouse::open(path.clone(), dir.path().join("lake"))
                .await
                .expect("reopen"),
        );
        let keys = "SELECT count(*) FROM duckdb_constraints() \
                    WHERE constraint_type = 'PRIMARY KEY' AND table_name LIKE '%_events'";
        assert_eq!(warehouse.query_i64(keys).await.expect("keys"), 0);
        let old_columns = "SELECT count(*) FROM information_schema.columns \
             WHERE table_name LIKE '%_events' \
             AND column_name IN ('event_date', 'ingestion_time', 'dead_letter_id')";
        assert_eq!(warehouse.query_i64(old_columns).await.expect("columns"), 0);
        assert_eq!(
            warehouse
                .query_i64(
                    "SELECT count(*) FROM inventory_events WHERE event_id = 'e-1' \
                     AND quantity_change = -2 AND publish_time = TIMESTAMP '2026-02-01 10:00:01'"
                )
                .await
                .expect("row"),
            1,
            "the stored row survives the rebuild, its ingestion time as its publish time"
        );
        assert_eq!(
            warehouse
                .query_i64(
                    "SELECT count(*) FROM dead_letters WHERE message_id = 'dl-7' \
                     AND reason = 'invalid_json' AND data = '{'"
                )
                .await
                .expect("dead letter"),
            1
        );
        assert_eq!(
            warehouse
                .query_i64("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%__old'")
                .await
                .expect("tables"),
            0
        );
        // The views were made again, and the tables take streamed rows as before.
        let sink = DuckDbEventSink::new(warehouse.clone());
        let batch = batch();
        sink.write(Arc::new(batch.clone())).await.expect("write");
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

    /// The DuckDB stream tables have the BigQuery schema files' columns, in order: the tables
    /// the subscriptions write deployed.
    #[tokio::test]
    async fn the_stream_tables_have_the_subscription_schemas_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let warehouse = open(&dir).await;
        warehouse
            .with_conn(|conn, _| {
                for table in stream_tables::STREAM_TABLES {
                    assert_eq!(
                        stream_columns(conn, table.name).expect("columns"),
                        table.column_names(),
                        "{}",
                        table.name
                    );
                }
                Ok(())
            })
            .await
            .expect("checks");
    }

    /// Writes at once go one after another, each whole: nothing lost, nothing torn.
    #[tokio::test]
    async fn the_same_batch_delivered_four_times_at_once_lands_four_times_whole() {
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
        assert_eq!(rows["order_events"], 4 * batch.orders.len() as u64);
        assert_eq!(rows["inventory_events"], 4 * batch.inventory.len() as u64);
        assert_eq!(
            rows["user_activity_events"],
            4 * batch.user_activity.len() as u64
        );
        assert_eq!(rows["dead_letter_events"], 4);
        assert_counts_kept(&warehouse).await;
    }
}
