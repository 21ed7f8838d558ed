//! What a refresh did: rows merged per table, hours loaded, the watermark, and failures.

use super::WarehouseError;
use crate::lake::LakeError;
use crate::model::{PartitionHour, Table};
use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Rows one refresh merged into one table's managed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRows {
    pub table: Table,
    pub rows: u64,
}

/// One lake partition that could not be loaded, and why. Nothing of its hour was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionFailure {
    #[serde(serialize_with = "display")]
    pub hour: PartitionHour,
    pub table: Table,
    /// The lake object at fault (data file or manifest), from the lake's root.
    pub path: String,
    #[serde(serialize_with = "display")]
    pub reason: PartitionReason,
}

/// Why a partition was not loaded. Its text is the failure's `reason` in reports and logs;
/// the lake's or the warehouse's error stays its source where there is one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PartitionReason {
    /// A file or manifest failed the lake's checks (size, CRC-32C, rows, JSON): the lake's
    /// reason.
    #[error("{0}")]
    Corrupt(String),
    #[error("listed in the manifest but missing")]
    Missing,
    /// The lake could not be read.
    #[error("{0}")]
    Lake(#[source] Arc<LakeError>),
    #[error("manifest describes {table} {date} hour {hour}")]
    WrongManifest {
        table: String,
        date: String,
        hour: u8,
    },
    #[error("header is '{found}', the data contract says '{expected}'")]
    Header { found: String, expected: String },
    #[error("loaded {loaded} rows, the manifest says {expected}")]
    RowCount { loaded: u64, expected: u64 },
    #[error("not a dimension table")]
    NotDimension,
    /// The warehouse refused the load: its own message (a query's, without the query name).
    #[error("{}", warehouse_message(.0))]
    Warehouse(#[source] Arc<WarehouseError>),
    /// The warehouse engine or service refused the load: its own error (DuckDB's, with the
    /// lake's file named where DuckDB named the staged copy; BigQuery's load job's).
    #[error(transparent)]
    Load(Arc<dyn std::error::Error + Send + Sync>),
}

impl PartitionReason {
    /// `Load` of an engine's error.
    pub fn load(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Load(Arc::new(e))
    }
}

impl From<WarehouseError> for PartitionReason {
    fn from(e: WarehouseError) -> Self {
        Self::Warehouse(Arc::new(e))
    }
}

/// Reports compare reasons as they read.
impl PartialEq for PartitionReason {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for PartitionReason {}

fn warehouse_message(e: &WarehouseError) -> String {
    match e {
        WarehouseError::Query { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

impl fmt::Display for PartitionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hour {} not loaded: {} {}: {}",
            self.hour, self.table, self.path, self.reason
        )
    }
}

/// A dimension's current state replaced by the rows of one newer partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionMerge {
    pub table: Table,
    #[serde(serialize_with = "display")]
    pub hour: PartitionHour,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Rows merged per table, one entry per lake table in `Table::ALL` order.
    pub rows: Vec<TableRows>,
    /// Fact hours loaded by this refresh, in the order loaded (time order).
    #[serde(serialize_with = "display_all")]
    pub hours_loaded: Vec<PartitionHour>,
    /// Dimension partitions merged (at most one per dimension).
    pub dimensions_merged: Vec<DimensionMerge>,
    /// Hours with some but not all manifests: skipped until complete.
    pub hours_incomplete: usize,
    #[serde(serialize_with = "display_opt")]
    pub watermark_before: Option<PartitionHour>,
    #[serde(serialize_with = "display_opt")]
    pub watermark_after: Option<PartitionHour>,
    pub failures: Vec<PartitionFailure>,
    pub elapsed_ms: u64,
}

impl RefreshReport {
    pub fn new(watermark_before: Option<PartitionHour>) -> Self {
        Self {
            rows: Table::ALL
                .iter()
                .map(|&table| TableRows { table, rows: 0 })
                .collect(),
            hours_loaded: Vec::new(),
            dimensions_merged: Vec::new(),
            hours_incomplete: 0,
            watermark_before,
            watermark_after: watermark_before,
            failures: Vec::new(),
            elapsed_ms: 0,
        }
    }

    pub fn add_rows(&mut self, table: Table, rows: u64) {
        if let Some(entry) = self.rows.iter_mut().find(|r| r.table == table) {
            entry.rows += rows;
        }
    }

    pub fn rows_of(&self, table: Table) -> u64 {
        self.rows
            .iter()
            .find(|r| r.table == table)
            .map_or(0, |r| r.rows)
    }

    /// True when nothing was loaded or merged.
    pub fn is_noop(&self) -> bool {
        self.hours_loaded.is_empty() && self.dimensions_merged.is_empty()
    }
}

fn display<S: Serializer, T: fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn display_opt<S: Serializer, T: fmt::Display>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn display_all<S: Serializer, T: fmt::Display>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(ToString::to_string))
}
