//! The one refresh loop of every backend: read what is loaded, list the lake, fetch and verify
//! the pending hours' partitions, hand them to the backend a batch at a time, then merge each
//! dimension from the newest hour that verifies. The backend supplies only its steps
//! (`RefreshSteps`); the order, the failure handling and the report are decided here once.

use super::{
    dimension_candidates, fetch_partition, list_lake_hours, pending_hours, settled_dates,
    DimensionMerge, PartitionFailure, RefreshProgress, RefreshReport, VerifiedPartition, Warehouse,
    WarehouseError,
};
use crate::lake::Lake;
use crate::model::{PartitionHour, Table};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// The fact tables of an hour, loaded together so that the warehouse never holds an hour's
/// sales without its inventory (units_sold reconciles with the sales lines).
pub const FACT_TABLES: [Table; 3] = [
    Table::SalesData,
    Table::InventoryData,
    Table::NegativeInventoryAlerts,
];

/// The verified bytes a batch may hold in memory before it is loaded, whatever
/// `RefreshSteps::batch_hours` allows: a week of Parquet at the default scale is about 20 MB,
/// a week of CSV about 135 MB, an hour of CSV at the large scale about 50 MB.
const BATCH_BYTES: usize = 256 << 20;

/// Verified hours waiting to be loaded, and their size.
#[derive(Default)]
struct Batch {
    hours: Vec<HourParts>,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, hour: PartitionHour, parts: Vec<VerifiedPartition>) {
        self.bytes += parts
            .iter()
            .flat_map(|p| &p.contents)
            .map(|c| c.len())
            .sum::<usize>();
        self.hours.push((hour, parts));
    }

    /// Whether to load the batch now: it holds `max_hours` hours, or `BATCH_BYTES`.
    fn is_full(&self, max_hours: usize) -> bool {
        self.hours.len() >= max_hours.max(1) || self.bytes >= BATCH_BYTES
    }
}

/// What the warehouse has loaded, read at the start of a refresh.
#[derive(Debug, Default)]
pub(crate) struct LoadState {
    pub loaded: BTreeSet<PartitionHour>,
    pub watermark: Option<PartitionHour>,
    /// The partition each dimension's current state came from, by table name.
    pub dimension_sources: BTreeMap<String, PartitionHour>,
}

/// One fact hour's partitions (its `FACT_TABLES`, in that order), verified and ready to load.
pub(crate) type HourParts = (PartitionHour, Vec<VerifiedPartition>);

/// What loading one hour gave: rows per table, or why the hour failed (nothing of it loaded).
pub(crate) type HourOutcome = (PartitionHour, Result<Vec<(Table, u64)>, PartitionFailure>);

/// A backend's own steps of the refresh. An `Err` of `WarehouseError` ends the refresh (the
/// warehouse cannot be used at all); a `PartitionFailure` fails one hour or partition only.
#[async_trait]
pub(crate) trait RefreshSteps: Warehouse {
    /// Hours handed to `load_hours` at once, at most (`BATCH_BYTES` may close a batch first).
    fn batch_hours(&self) -> usize;

    /// Held for a whole refresh: refreshes of one warehouse run one at a time (two would
    /// load the same hours twice over).
    fn refresh_lock(&self) -> &tokio::sync::Mutex<()>;

    async fn load_state(&self) -> Result<LoadState, WarehouseError>;

    /// Loads verified fact hours (time order), each atomically with its record in the state
    /// and the watermark; one outcome per hour, in the same order.
    async fn load_hours(&self, hours: Vec<HourParts>) -> Result<Vec<HourOutcome>, WarehouseError>;

    /// Merges one verified dimension partition by id and records it as the dimension's
    /// source; the rows merged.
    async fn merge_dimension(
        &self,
        part: VerifiedPartition,
    ) -> Result<Result<u64, PartitionFailure>, WarehouseError>;

    /// Runs after the loads and merges, before the watermark is read for the report.
    async fn after_refresh(&self, _report: &RefreshReport) -> Result<(), WarehouseError> {
        Ok(())
    }
}

/// `Warehouse::refresh_with_progress` on any backend; see the trait for the contract.
pub(crate) async fn refresh<B: RefreshSteps>(
    backend: &B,
    lake: &Lake,
    progress: &dyn RefreshProgress,
) -> Result<RefreshReport, WarehouseError> {
    let _one_at_a_time = backend.refresh_lock().lock().await;
    let started = Instant::now();
    let state = backend.load_state().await?;
    let settled = settled_dates(&state.loaded, &state.dimension_sources);
    let lake_hours = list_lake_hours(lake, &settled).await?;
    tracing::debug!(
        complete = lake_hours.complete.len(),
        loaded = state.loaded.len(),
        ms = started.elapsed().as_millis() as u64,
        "lake listed, warehouse state read"
    );
    let mut report = RefreshReport::new(state.watermark);
    report.hours_incomplete = lake_hours.incomplete.len();

    let pending = pending_hours(&lake_hours.complete, &state.loaded);
    progress.pending(pending.len() as u64);
    let mut reported = 0;
    let mut batch = Batch::default();
    for (i, &hour) in pending.iter().enumerate() {
        if let Some(parts) = fetch_hour(lake, hour, &mut report.failures).await {
            batch.push(hour, parts);
        }
        let last = i + 1 == pending.len();
        if batch.hours.is_empty() || !(last || batch.is_full(backend.batch_hours())) {
            continue;
        }
        let hours = std::mem::take(&mut batch).hours;
        let batch_started = Instant::now();
        let outcomes = backend.load_hours(hours).await?;
        tracing::debug!(
            hours = outcomes.len(),
            ms = batch_started.elapsed().as_millis() as u64,
            "hours loaded"
        );
        let mut batch_rows = 0;
        for (hour, loaded) in outcomes {
            match loaded {
                Ok(rows) => {
                    report.hours_loaded.push(hour);
                    for (table, n) in rows {
                        report.add_rows(table, n);
                        batch_rows += n;
                    }
                }
                Err(failure) => report.failures.push(failure),
            }
        }
        // Hours that failed to verify were tried too: everything up to this one.
        progress.tried((i + 1 - reported) as u64, batch_rows);
        reported = i + 1;
    }
    if pending.len() > reported {
        progress.tried((pending.len() - reported) as u64, 0);
    }

    for table in Table::DIMENSIONS {
        let current = state.dimension_sources.get(table.name()).copied();
        for hour in dimension_candidates(&lake_hours.complete, current) {
            let part = match fetch_partition(lake, table, hour).await {
                Ok(part) => part,
                Err(failure) => {
                    report.failures.push(failure);
                    continue;
                }
            };
            let merged = backend.merge_dimension(part).await?;
            tracing::debug!(%table, %hour, ms = started.elapsed().as_millis() as u64, "dimension merged");
            match merged {
                Ok(rows) => {
                    report.add_rows(table, rows);
                    report
                        .dimensions_merged
                        .push(DimensionMerge { table, hour });
                    break;
                }
                Err(failure) => report.failures.push(failure),
            }
        }
    }

    backend.after_refresh(&report).await?;
    for failure in &report.failures {
        tracing::error!(%failure, "partition not loaded");
    }
    report.watermark_after = backend.watermark().await?;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// The hour's fact partitions, verified; `None` (the failure noted) at the first bad one.
async fn fetch_hour(
    lake: &Lake,
    hour: PartitionHour,
    failures: &mut Vec<PartitionFailure>,
) -> Option<Vec<VerifiedPartition>> {
    let mut parts = Vec::with_capacity(FACT_TABLES.len());
    for table in FACT_TABLES {
        match fetch_partition(lake, table, hour).await {
            Ok(part) => parts.push(part),
            Err(failure) => {
                failures.push(failure);
                return None;
            }
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::Manifest;
    use bytes::Bytes;

    fn hour_of(bytes: usize, h: u8) -> (PartitionHour, Vec<VerifiedPartition>) {
        let hour: PartitionHour = format!("2026-11-20T{h:02}").parse().expect("an hour");
        let part = VerifiedPartition {
            table: Table::SalesData,
            hour,
            manifest: Manifest {
                table: "sales_data".into(),
                date: "2026-11-20".into(),
                hour: h,
                rows: 1,
                files: Vec::new(),
                seed: 42,
                generator_version: 3,
            },
            contents: vec![Bytes::from(vec![0; bytes])],
        };
        (hour, vec![part])
    }

    /// A batch closes at its backend's hour count, or earlier at `BATCH_BYTES` (the large
    /// scale's CSV hours, about 50 MB each, must not all sit in memory at once).
    #[test]
    fn a_batch_closes_at_its_hours_or_its_bytes() {
        let mut small = Batch::default();
        for h in 0..3 {
            let (hour, parts) = hour_of(1000, h);
            small.push(hour, parts);
            assert_eq!(small.is_full(3), h == 2, "after {} hours", h + 1);
        }
        assert!(
            small.is_full(0),
            "a backend asking for 0 hours gets one at a time"
        );

        let mut big = Batch::default();
        let (hour, parts) = hour_of(BATCH_BYTES / 2, 0);
        big.push(hour, parts);
        assert!(!big.is_full(168));
        let (hour, parts) = hour_of(BATCH_BYTES / 2, 1);
        big.push(hour, parts);
        assert_eq!(big.bytes, BATCH_BYTES);
        assert!(big.is_full(168), "two hours of half the bound fill it");
    }
}
