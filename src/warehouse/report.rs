//! What a refresh did: rows merged per table, hours loaded, the watermark, and failures.

use crate::model::{PartitionHour, Table};
use serde::{Serialize, Serializer};
use std::fmt;

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
    pub reason: String,
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
