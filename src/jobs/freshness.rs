//! How fresh the pipeline's outputs are, as this process knows it: the newest complete hour in
//! the lake, and a short-lived cache of the warehouse's watermark and stream-table counts for
//! status pages. A handle the application holds; the jobs update it as they end.

use crate::bus::SubscriberStats;
use crate::model::PartitionHour;
use crate::warehouse::Warehouse;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What `/status` shows of the warehouse.
#[derive(Debug, Clone, Default)]
pub struct WarehouseView {
    pub watermark: Option<PartitionHour>,
    pub stream_rows: Vec<(String, u64)>,
}

/// A `WarehouseView`, when it was read, and the counters it was read under.
#[derive(Debug)]
struct CachedView {
    key: [u64; 4],
    at: Instant,
    view: WarehouseView,
}

/// Longest a cached `WarehouseView` is served: another instance (or process) may refresh the
/// same BigQuery dataset without this one knowing.
const WAREHOUSE_VIEW_MAX_AGE: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Freshness {
    last_generated: Mutex<Option<PartitionHour>>,
    /// Refresh jobs ended in this process: part of the view cache's key.
    refreshes_ended: AtomicU64,
    view: tokio::sync::Mutex<Option<CachedView>>,
}

impl Freshness {
    /// Starts from the newest complete hour found in the lake at start-up.
    pub fn new(last_generated: Option<PartitionHour>) -> Self {
        Self {
            last_generated: Mutex::new(last_generated),
            ..Self::default()
        }
    }

    /// The newest hour known to be complete in the lake.
    pub fn last_generated_hour(&self) -> Option<PartitionHour> {
        *self
            .last_generated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `hour` is complete in the lake.
    pub fn saw_hour(&self, hour: PartitionHour) {
        let mut last = self
            .last_generated
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|l| hour > l) {
            *last = Some(hour);
        }
    }

    /// Records that a refresh ended: the next view reads the warehouse again. Called before the
    /// job is seen to end, so a status read after it sees the new state.
    pub fn refresh_ended(&self) {
        self.refreshes_ended.fetch_add(1, Ordering::AcqRel);
    }

    /// The warehouse's watermark and stream-table rows for status pages. Re-read only when
    /// something in this process may have changed them (a refresh ended, the subscriber took or
    /// wrote a batch) or after `WAREHOUSE_VIEW_MAX_AGE`: `/status` is polled by dashboards,
    /// probes and load tests, and BigQuery's two queries take a round trip each. DuckDB answers
    /// both from memory, so with it a re-read costs nothing.
    pub async fn warehouse_view(
        &self,
        warehouse: Option<&Arc<dyn Warehouse>>,
        stats: &SubscriberStats,
    ) -> WarehouseView {
        let Some(warehouse) = warehouse else {
            return WarehouseView::default();
        };
        // Read before the queries: a change during them makes the next call read again.
        let key = [
            self.refreshes_ended.load(Ordering::Acquire),
            stats.received.load(Ordering::Acquire),
            stats.batches.load(Ordering::Acquire),
            stats.failed.load(Ordering::Acquire),
        ];
        let mut cached = self.view.lock().await;
        if let Some(c) = cached.as_ref() {
            if c.key == key && c.at.elapsed() < WAREHOUSE_VIEW_MAX_AGE {
                return c.view.clone();
            }
        }
        let watermark = warehouse.watermark().await.unwrap_or_else(|e| {
            tracing::warn!(error = %crate::error_chain(&e), "cannot read the warehouse watermark");
            None
        });
        let view = WarehouseView {
            watermark,
            stream_rows: warehouse.stream_rows().await.unwrap_or_default(),
        };
        *cached = Some(CachedView {
            key,
            at: Instant::now(),
            view: view.clone(),
        });
        view
    }
}
