//! DuckDB's steps of the one refresh loop (`warehouse::refresh`): the pending hours loaded up
//! to a week at a time and each dimension merged, each in a transaction of its own on a
//! blocking thread.

use super::{load, query, read_watermark, sql, utc_now_literal, DuckDbWarehouse};
use crate::warehouse::refresh::{HourOutcome, HourParts, LoadState, RefreshSteps};
use crate::warehouse::{PartitionFailure, RefreshReport, VerifiedPartition, WarehouseError};
use async_trait::async_trait;
use std::sync::atomic::Ordering;

/// Hours loaded per transaction: a week. Past a few hundred thousand rows DuckDB writes a
/// transaction's rows straight to the database file instead of the WAL, so its commit is
/// cheap (on a 30-day lake, day-sized batches spent 40% of the load committing, week-sized
/// ones 3%); the refresh loop's byte bound keeps a batch's verified bytes in memory small.
const BATCH_HOURS: usize = 168;

#[async_trait]
impl RefreshSteps for DuckDbWarehouse {
    fn batch_hours(&self) -> usize {
        BATCH_HOURS
    }

    fn refresh_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.refresh_lock
    }

    async fn load_state(&self) -> Result<LoadState, WarehouseError> {
        self.with_conn(|conn, _| {
            let loaded = query::hours(conn, "state/loaded_hours.sql", sql::LOADED_HOURS)?;
            let watermark = read_watermark(conn)?;
            let dimension_sources = query::dimension_sources(conn, sql::DIMENSION_SOURCES)?;
            Ok(LoadState {
                loaded: loaded.into_iter().collect(),
                watermark,
                dimension_sources,
            })
        })
        .await
    }

    async fn load_hours(&self, hours: Vec<HourParts>) -> Result<Vec<HourOutcome>, WarehouseError> {
        let ingested_at = utc_now_literal();
        self.with_conn(move |conn, inner| {
            let outcomes = load::load_batch(conn, &inner.staging, &hours, &ingested_at);
            inner.note_watermark(conn)?;
            Ok(outcomes)
        })
        .await
    }

    async fn merge_dimension(
        &self,
        part: VerifiedPartition,
    ) -> Result<Result<u64, PartitionFailure>, WarehouseError> {
        let ingested_at = utc_now_literal();
        self.with_conn(move |conn, inner| {
            Ok(load::merge_dimension(
                conn,
                &inner.staging,
                &part,
                &ingested_at,
            ))
        })
        .await
    }

    /// The `_ext` views are made once the lake holds something to read.
    async fn after_refresh(&self, report: &RefreshReport) -> Result<(), WarehouseError> {
        if !self.inner.ext_views_ready.load(Ordering::Relaxed) && !report.is_noop() {
            self.with_conn(|_, inner| inner.create_ext_views()).await?;
        }
        Ok(())
    }
}
