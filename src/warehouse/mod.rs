//! The warehouse: managed tables filled incrementally from the lake, and the analytics over
//! them. One trait, held as `Arc<dyn Warehouse>`; the embedded implementation is DuckDB
//! (`duckdb` feature), BigQuery the Cloud one (`gcp` feature), with the same tables, columns
//! and contract.

pub mod analytics;
#[cfg(feature = "gcp")]
pub mod bigquery;
pub mod contract;
#[cfg(feature = "duckdb")]
pub mod duckdb;
mod fetch;
mod filter;
mod plan;
mod refresh;
mod report;
pub mod stream_tables;
mod template;

pub use analytics::{
    BasketStats, CategorySales, HourlySales, HourlyStock, ProductSales, RunAnalytics, StoreRevenue,
};
pub use fetch::{fetch_partition, VerifiedPartition};
pub use filter::{AnalyticsFilter, DateFilter};
pub use plan::{dimension_candidates, list_lake_hours, pending_hours, settled_dates, LakeHours};
pub use report::{DimensionMerge, PartitionFailure, PartitionReason, RefreshReport, TableRows};

use crate::lake::{Lake, LakeError};
use crate::model::PartitionHour;
use analytics::{AnalyticsSql, Cell, Param};
use async_trait::async_trait;
use std::fmt;
use std::path::PathBuf;

/// What a refresh reports while it runs (`Warehouse::refresh_with_progress`). `()` ignores it.
pub trait RefreshProgress: Send + Sync {
    /// The hours this refresh will try to load, known once the lake is listed.
    fn pending(&self, hours: u64);
    /// `hours` more were tried (loaded or failed), `rows` rows loaded with them.
    fn tried(&self, hours: u64, rows: u64);
}

impl RefreshProgress for () {
    fn pending(&self, _hours: u64) {}
    fn tried(&self, _hours: u64, _rows: u64) {}
}

/// File name of the embedded warehouse inside the data directory.
pub const WAREHOUSE_FILE: &str = "warehouse.duckdb";

/// Why a warehouse operation failed as a whole. A single bad partition during a refresh is
/// not an error: it is reported in `RefreshReport::failures` and the refresh goes on.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("the warehouse file {path} is locked by another process ({detail}); stop the other retail-pipeline (serve or refresh) or use another --data-dir")]
    Locked { path: PathBuf, detail: String },
    #[error("cannot open the warehouse file {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement failed, or its answer was not what the query declares; the source is the
    /// engine's or service's own error, or says what was wrong with the answer.
    #[error("warehouse query {query} failed")]
    Query {
        query: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("reading the lake: {0}")]
    Lake(#[from] LakeError),
    #[error("warehouse storage error at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a warehouse worker failed")]
    Worker(#[source] tokio::task::JoinError),
    /// A query panicked while holding the connection; the service should be restarted.
    #[error("the warehouse connection is unusable after a failed worker; restart the service")]
    Poisoned,
}

/// The warehouse contract. Every implementation keeps the same tables (`*_ext` views over the
/// lake, `*_managed` tables, `negative_inventory_alerts`, refresh state), refreshes through the
/// one loop of `refresh.rs` (supplying its load steps), and runs the shared suite
/// `warehouse::contract`, which holds it to each promise of `refresh` below.
#[async_trait]
pub trait Warehouse: Send + Sync + fmt::Debug {
    /// Loads every complete lake hour (all five tables have manifests) that is not loaded yet:
    /// hours newer than the watermark and older ones that arrived late, in time order.
    ///
    /// - Per hour, atomic: the hour's three fact tables (sales, inventory, alerts) are
    ///   replaced and the hour recorded as loaded (with each file's crc32c) in one
    ///   transaction (several hours may share one). A crash leaves the hour either fully
    ///   loaded or not at all.
    /// - Idempotent: a second run finds nothing to load and changes nothing; a repeated
    ///   load of an hour replaces its rows instead of adding to them.
    /// - Dimensions (catalog, stores) are merged by id from the newest complete hour, and only
    ///   if it is newer than the hour their current state came from.
    /// - Corrupt partitions: each file is checked against its manifest (size, crc32c, rows,
    ///   header) before anything is loaded; a bad file fails its hour only, named in
    ///   `failures`, with nothing of that hour loaded. Other hours still load; the failed one
    ///   is retried by the next refresh.
    /// - Incomplete hours (data without all manifests) are skipped until they are complete.
    /// - A loaded hour is not read again, even if the lake rewrites it (the lake refuses
    ///   another seed, scale or generator version, so a rewrite holds the same bytes); to
    ///   reload one, delete its `partition_state` rows.
    /// - Cost grows with the hours loaded, not with the history: only the new files are read.
    ///
    /// Concurrent calls on one warehouse run one after the other.
    /// Errors only when the lake cannot be listed or the warehouse cannot be read at all.
    async fn refresh(&self, lake: &Lake) -> Result<RefreshReport, WarehouseError> {
        self.refresh_with_progress(lake, &()).await
    }

    /// `refresh`, telling `progress` the hours it will try once the lake is listed and each
    /// batch's hours as they end (loaded or failed), for a progress bar or a job's counts.
    async fn refresh_with_progress(
        &self,
        lake: &Lake,
        progress: &dyn RefreshProgress,
    ) -> Result<RefreshReport, WarehouseError>;

    /// The newest fact hour loaded, `None` before the first load. Hours older than it may
    /// still be missing (a late or failed hour); `refresh` loads them when they are complete.
    /// `/status` asks on every call: an implementation that is its store's only writer may
    /// answer from memory, so this is no probe of the store (`ping` is).
    async fn watermark(&self) -> Result<Option<PartitionHour>, WarehouseError>;

    /// Whether the warehouse answers a query now, for readiness. By default the watermark's
    /// query.
    async fn ping(&self) -> Result<(), WarehouseError> {
        self.watermark().await.map(|_| ())
    }

    /// Runs one analytics query in this warehouse's dialect (`AnalyticsSql::duckdb` or
    /// `::bigquery`) with its parameters bound, and returns its rows as cells: the one method
    /// behind every query of `analytics` (callers use `analytics::run` for typed rows).
    /// Read-only; every value is text, an integer or a float (the SQL casts them).
    async fn run_analytics(
        &self,
        sql: AnalyticsSql,
        params: Vec<Param>,
    ) -> Result<Vec<Vec<Cell>>, WarehouseError>;

    /// Rows in each stream table (events written as they arrive), for status; exact once the
    /// writes that added them have returned. Like `watermark`, may come from memory.
    async fn stream_rows(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        Ok(Vec::new())
    }

    /// Memory the warehouse holds in this process, in bytes per kind, for `/metrics`. Empty
    /// when it lives elsewhere (BigQuery).
    async fn memory(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        Ok(Vec::new())
    }

    /// Where the warehouse lives, for logs and status (never a secret).
    fn describe(&self) -> String;
}
