//! The refresh: list the lake, read what is loaded, then load the pending hours a day at a
//! time and merge the dimensions, each in a transaction of its own on a blocking thread.

use super::{load, utc_now_literal, DuckDbWarehouse, FACT_TABLES};
use crate::lake::Lake;
use crate::model::Table;
use crate::warehouse::{
    dimension_candidates, fetch_partition, list_lake_hours, pending_hours, settled_dates,
    DimensionMerge, RefreshReport, Warehouse, WarehouseError,
};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Hours loaded per transaction: a day's worth bounds what one commit holds (about 20 MB of
/// CSV at the default scale) while saving all but one WAL sync per day.
const BATCH_HOURS: usize = 24;

impl DuckDbWarehouse {
    /// `Warehouse::refresh`: see the trait for the contract.
    pub(super) async fn refresh_lake(&self, lake: &Lake) -> Result<RefreshReport, WarehouseError> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let started = Instant::now();
        let state = self.load_state().await?;
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

        for chunk in pending_hours(&lake_hours.complete, &state.loaded).chunks(BATCH_HOURS) {
            let mut batch = Vec::with_capacity(chunk.len());
            for &hour in chunk {
                let mut parts = Vec::with_capacity(FACT_TABLES.len());
                for table in FACT_TABLES {
                    match fetch_partition(lake, table, hour).await {
                        Ok(part) => parts.push(part),
                        Err(failure) => {
                            report.failures.push(failure);
                            break;
                        }
                    }
                }
                if parts.len() == FACT_TABLES.len() {
                    batch.push((hour, parts));
                }
            }
            if batch.is_empty() {
                continue;
            }
            let ingested_at = utc_now_literal();
            let batch_started = Instant::now();
            let outcomes = self
                .with_conn(move |conn, inner| {
                    let outcomes = load::load_batch(conn, &inner.staging, &batch, &ingested_at);
                    inner.note_watermark(conn)?;
                    Ok(outcomes)
                })
                .await?;
            tracing::debug!(
                hours = outcomes.len(),
                ms = batch_started.elapsed().as_millis() as u64,
                "hours loaded"
            );
            for (hour, loaded) in outcomes {
                match loaded {
                    Ok(rows) => {
                        report.hours_loaded.push(hour);
                        for (table, n) in rows {
                            report.add_rows(table, n);
                        }
                    }
                    Err(failure) => report.failures.push(failure),
                }
            }
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
                let ingested_at = utc_now_literal();
                let merged = self
                    .with_conn(move |conn, inner| {
                        Ok(load::merge_dimension(
                            conn,
                            &inner.staging,
                            &part,
                            &ingested_at,
                        ))
                    })
                    .await?;
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

        if !self.inner.ext_views_ready.load(Ordering::Relaxed) && !report.is_noop() {
            self.with_conn(|_, inner| inner.create_ext_views()).await?;
        }
        for failure in &report.failures {
            tracing::error!(%failure, "partition not loaded");
        }
        report.watermark_after = self.watermark().await?;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }
}
