//! The embedded warehouse: one DuckDB file (`DATA_DIR/warehouse.duckdb`) running the SQL
//! files of `sql/duckdb/`.
//!
//! DuckDB calls block, so each runs on `spawn_blocking` with its own connection to the one
//! database instance (DuckDB connections are cheap and isolated by MVCC): analytics keep
//! answering while a refresh loads.

mod load;
mod query;
mod readers;
mod refresh;
mod sql;
mod stream;
mod views;

pub use readers::reader_macros;
pub use stream::{DuckDbEventSink, STREAM_TABLES};

use super::analytics::{AnalyticsSql, Cell, Param};
use super::{RefreshProgress, RefreshReport, Warehouse, WarehouseError};
use crate::lake::Lake;
use crate::model::{parse_date, PartitionHour, Table};
use async_trait::async_trait;
use duckdb::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// What `table_summaries` returns for one managed table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableSummary {
    pub table: &'static str,
    pub rows: i64,
    pub fingerprint: String,
}

/// One column of a warehouse table or view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub data_type: String,
}

#[derive(Debug)]
pub struct DuckDbWarehouse {
    inner: Arc<Inner>,
    /// Refreshes run one at a time; two would load the same hours twice over.
    refresh_lock: tokio::sync::Mutex<()>,
}

/// DuckDB's buffer pool defaults to 80% of the machine's memory and keeps what it read and
/// wrote cached up to that: in a long-running service beside the generator that reads as a
/// leak. Capped, it evicts (and spills to `<file>.tmp`) instead; queries over this warehouse's
/// tables need far less. `set_memory_limit` changes it (the service sets
/// `config::default_warehouse_memory_mib` unless told otherwise).
const LIMITS: &str = "SET memory_limit = '256MB';";

/// Freed memory is the other half: DuckDB's allocator keeps what a task freed for reuse until
/// a task peaks above `allocator_flush_threshold` (128 MiB by default), so with small tasks (a
/// batch of streamed events) it is never handed back and a long-running process's RSS climbs
/// while DuckDB's own account stays flat. A low threshold returns it after each task, at a
/// price: the first refresh of 30 days took 37 s instead of 24 s. So only `serve` asks for it.
const RELEASE_FREED: &str = "SET allocator_flush_threshold = '8MiB'; \
    SET allocator_bulk_deallocation_flush_threshold = '8MiB';";

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    lake_dir: PathBuf,
    /// Where verified partitions are copied for DuckDB to read; emptied at open.
    staging: PathBuf,
    /// The connection opened first; every operation works on a clone of it.
    conn: Mutex<Connection>,
    /// Whether every `_ext` view reads the lake (false while some is a stand-in).
    ext_views_ready: AtomicBool,
    /// The stream tables' own connection, held by each write to them (see `StreamWriter`).
    stream_writer: Mutex<stream::StreamWriter>,
    /// The writer's row counts, read without waiting for a write in flight.
    stream_rows: Arc<stream::StreamRowCounts>,
    /// The refresh watermark, read at open and re-read after each load's commit: like the
    /// stream rows, `/status` wants it on every call, and only this process moves it.
    watermark: Mutex<Option<PartitionHour>>,
}

impl DuckDbWarehouse {
    /// Opens (or creates) the warehouse file, creates what is missing of the schema and
    /// points the `_ext` views at `lake_dir`. Blocks: call it from `spawn_blocking` or `open`.
    pub fn open_blocking(path: &Path, lake_dir: &Path) -> Result<Self, WarehouseError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| WarehouseError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        conn.execute_batch(LIMITS)
            .map_err(|e| query_error("memory limit", e))?;
        stream::upgrade_stream_tables(&conn)?;
        for (name, text) in sql::SETUP {
            conn.execute_batch(text).map_err(|e| query_error(name, e))?;
        }
        conn.execute_batch(&readers::reader_macros())
            .map_err(|e| query_error("lake readers", e))?;
        let stream_writer = conn
            .try_clone()
            .map_err(|e| query_error("connect", e))
            .and_then(stream::StreamWriter::open)?;
        let stream_rows = stream_writer.counts();
        let watermark = read_watermark(&conn)?;
        let staging = staging_dir(path);
        // The views keep the lake's path; a relative one would follow the reader's cwd.
        let lake_dir = std::path::absolute(lake_dir).map_err(|source| WarehouseError::Io {
            path: lake_dir.to_path_buf(),
            source,
        })?;
        // Left over only by a crash; nothing in it is needed (loads are transactional).
        let _ = std::fs::remove_dir_all(&staging);
        let inner = Inner {
            path: path.to_path_buf(),
            lake_dir,
            staging,
            conn: Mutex::new(conn),
            ext_views_ready: AtomicBool::new(false),
            stream_writer: Mutex::new(stream_writer),
            stream_rows,
            watermark: Mutex::new(watermark),
        };
        inner.create_ext_views()?;
        Ok(Self {
            inner: Arc::new(inner),
            refresh_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// `open_blocking` on a blocking thread.
    pub async fn open(path: PathBuf, lake_dir: PathBuf) -> Result<Self, WarehouseError> {
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, &lake_dir))
            .await
            .map_err(WarehouseError::Worker)?
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Caps DuckDB's buffer pool at `mib` MiB (see `LIMITS`). Its memory grows with the
    /// tables up to the cap and stays there: blocks it wrote are kept until it needs room.
    pub async fn set_memory_limit(&self, mib: u32) -> Result<(), WarehouseError> {
        self.with_conn(move |conn, _| {
            // A number we format ourselves: nothing from outside reaches the SQL text.
            conn.execute_batch(&format!("SET memory_limit = '{mib}MiB';"))
                .map_err(|e| query_error("memory limit", e))
        })
        .await
    }

    /// Has DuckDB hand freed memory back after each task (see `RELEASE_FREED`): for the
    /// long-running service, whose memory must stay flat.
    pub async fn release_freed_memory(&self) -> Result<(), WarehouseError> {
        self.with_conn(|conn, _| {
            conn.execute_batch(RELEASE_FREED)
                .map_err(|e| query_error("allocator settings", e))
        })
        .await
    }

    /// DuckDB's own account of its memory: bytes in use per tag (table data, indexes, hash
    /// tables, ...), tags holding none left out. For `/metrics`.
    pub async fn memory_by_tag(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        self.with_conn(|conn, _| {
            let text = "SELECT tag, memory_usage_bytes FROM duckdb_memory() \
                        WHERE memory_usage_bytes > 0 ORDER BY tag";
            let mut stmt = conn.prepare(text).map_err(|e| query_error("memory", e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(|e| query_error("memory", e))?;
            rows.map(|r| {
                r.map(|(tag, n)| (tag, n.max(0) as u64))
                    .map_err(|e| query_error("memory", e))
            })
            .collect()
        })
        .await
    }

    /// Runs an ad-hoc query that returns one integer, for diagnostics and tests (for
    /// example `SELECT count(*) FROM sales_data_ext`).
    pub async fn query_i64(&self, text: &str) -> Result<i64, WarehouseError> {
        let text = text.to_string();
        self.with_conn(move |conn, _| {
            conn.query_row(&text, [], |r| r.get(0))
                .map_err(|e| query_error(&text, e))
        })
        .await
    }

    /// Runs an ad-hoc query and returns every row, each value as DuckDB's text of it (`None`
    /// for NULL), for diagnostics and tests that read whole result sets (the seeds' own
    /// queries on `seed_compat`, `tests/seed_queries.rs`). `text` is one query, no `;`.
    pub async fn query_rows(&self, text: &str) -> Result<Vec<Vec<Option<String>>>, WarehouseError> {
        let name = text.to_string();
        // Every column cast to text by DuckDB itself, whatever its type.
        let text = format!("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({text})");
        self.with_conn(move |conn, _| {
            let mut stmt = conn.prepare(&text).map_err(|e| query_error(&name, e))?;
            let mut rows = stmt.query([]).map_err(|e| query_error(&name, e))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(|e| query_error(&name, e))? {
                let width = row.as_ref().column_count();
                let cells = (0..width)
                    .map(|i| row.get::<_, Option<String>>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| query_error(&name, e))?;
                out.push(cells);
            }
            Ok(out)
        })
        .await
    }

    /// Every column of the warehouse's tables and views, ordered by table then position: the
    /// schema that `sql/bigquery/` mirrors.
    pub async fn columns(&self) -> Result<Vec<ColumnInfo>, WarehouseError> {
        self.with_conn(|conn, _| {
            let text = "SELECT table_name, column_name, data_type FROM information_schema.columns \
                        WHERE table_schema = 'main' ORDER BY table_name, ordinal_position";
            let mut stmt = conn.prepare(text).map_err(|e| query_error("columns", e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(ColumnInfo {
                        table: r.get(0)?,
                        column: r.get(1)?,
                        data_type: r.get(2)?,
                    })
                })
                .map_err(|e| query_error("columns", e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| query_error("columns", e))
        })
        .await
    }

    /// Rows and a content fingerprint (ingestion times left out) of every managed table,
    /// in `Table::ALL` order: equal fingerprints mean equal contents. For status and checks.
    pub async fn table_summaries(&self) -> Result<Vec<TableSummary>, WarehouseError> {
        self.with_conn(|conn, _| {
            Table::ALL
                .iter()
                .map(|&table| {
                    let text = sql::render(sql::TABLE_SUMMARY, &[("table", table.managed())]);
                    conn.query_row(&text, [], |r| {
                        Ok(TableSummary {
                            table: table.managed(),
                            rows: r.get(0)?,
                            fingerprint: r.get(1)?,
                        })
                    })
                    .map_err(|e| query_error("state/table_summary.sql", e))
                })
                .collect()
        })
        .await
    }

    /// Runs `f` on a blocking thread with a connection of its own.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, WarehouseError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T, WarehouseError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.connection()?;
            f(&mut conn, &inner)
        })
        .await
        .map_err(WarehouseError::Worker)?
    }
}

/// The stored watermark (`state/watermark.sql`).
fn read_watermark(conn: &Connection) -> Result<Option<PartitionHour>, WarehouseError> {
    Ok(query::hours(conn, "state/watermark.sql", sql::WATERMARK)?
        .into_iter()
        .next())
}

impl Inner {
    /// Re-reads the watermark into memory; called on the loading connection after its loads
    /// committed (or rolled back), while the refresh lock keeps any other load out.
    fn note_watermark(&self, conn: &Connection) -> Result<(), WarehouseError> {
        let watermark = read_watermark(conn)?;
        *self
            .watermark
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = watermark;
        Ok(())
    }

    fn connection(&self) -> Result<Connection, WarehouseError> {
        let conn = self.conn.lock().map_err(|_| WarehouseError::Poisoned)?;
        conn.try_clone().map_err(|e| query_error("connect", e))
    }
}

fn staging_dir(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".staging");
    path.with_file_name(name)
}

/// DuckDB holds an exclusive lock on its file while open; another process gets this.
fn open_error(path: &Path, e: duckdb::Error) -> WarehouseError {
    let message = e.to_string();
    if message.contains("Could not set lock") || message.contains("Conflicting lock") {
        let detail = message
            .split_once("Conflicting lock is held in ")
            .map(|(_, rest)| format!("held by {}", rest.trim()))
            .unwrap_or_else(|| "conflicting lock".into());
        return WarehouseError::Locked {
            path: path.to_path_buf(),
            detail,
        };
    }
    WarehouseError::Open {
        path: path.to_path_buf(),
        source: Box::new(e),
    }
}

fn query_error(name: &str, e: duckdb::Error) -> WarehouseError {
    WarehouseError::Query {
        query: name.to_string(),
        source: Box::new(e),
    }
}

fn utc_now_literal() -> String {
    sql::timestamp(chrono::Utc::now())
}

#[async_trait]
impl Warehouse for DuckDbWarehouse {
    async fn refresh_with_progress(
        &self,
        lake: &Lake,
        progress: &dyn RefreshProgress,
    ) -> Result<RefreshReport, WarehouseError> {
        super::refresh::refresh(self, lake, progress).await
    }

    async fn stream_rows(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        Ok(self.stream_table_rows())
    }

    async fn memory(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        self.memory_by_tag().await
    }

    async fn ping(&self) -> Result<(), WarehouseError> {
        self.with_conn(|conn, _| {
            conn.execute_batch("SELECT 1")
                .map_err(|e| query_error("ping", e))
        })
        .await
    }

    /// From memory: kept by `Inner::note_watermark` after every load (see `Inner::watermark`).
    async fn watermark(&self) -> Result<Option<PartitionHour>, WarehouseError> {
        Ok(*self
            .inner
            .watermark
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The query's DuckDB SQL on a connection of its own, on a blocking thread.
    async fn run_analytics(
        &self,
        sql: AnalyticsSql,
        params: Vec<Param>,
    ) -> Result<Vec<Vec<Cell>>, WarehouseError> {
        self.with_conn(move |conn, _| query::analytics(conn, sql.file, sql.duckdb, &params))
            .await
    }

    fn describe(&self) -> String {
        format!("duckdb:{}", self.inner.path.display())
    }
}

/// Parses the `(date VARCHAR, hour INTEGER)` pairs the state queries return.
fn partition_hour(date: &str, hour: i32) -> Option<PartitionHour> {
    let date = parse_date(date).ok()?;
    PartitionHour::new(date, u8::try_from(hour).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_cap_is_set_and_the_memory_is_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let w = DuckDbWarehouse::open(dir.path().join("w.duckdb"), dir.path().join("lake"))
            .await
            .expect("opens");
        w.set_memory_limit(100).await.expect("sets the cap");
        let limit: String = w
            .with_conn(|conn, _| {
                conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
                    .map_err(|e| query_error("memory_limit", e))
            })
            .await
            .expect("reads the cap");
        assert_eq!(limit, "100.0 MiB");
        // Every tag reported holds memory; an idle warehouse may hold none at all.
        let memory = w.memory_by_tag().await.expect("reports memory");
        assert!(
            memory.iter().all(|(tag, n)| !tag.is_empty() && *n > 0),
            "{memory:?}"
        );
    }

    #[tokio::test]
    async fn a_long_running_warehouse_hands_freed_memory_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let w = DuckDbWarehouse::open(dir.path().join("w.duckdb"), dir.path().join("lake"))
            .await
            .expect("opens");
        async fn setting(w: &DuckDbWarehouse) -> String {
            w.with_conn(|conn, _| {
                conn.query_row(
                    "SELECT current_setting('allocator_flush_threshold')",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .map_err(|e| query_error("allocator_flush_threshold", e))
            })
            .await
            .expect("reads the setting")
        }
        assert_eq!(
            setting(&w).await,
            "128.0 MiB",
            "DuckDB's default for one-shot commands"
        );
        w.release_freed_memory().await.expect("sets it");
        assert_eq!(setting(&w).await, "8.0 MiB");
    }
}
