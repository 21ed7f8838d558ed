//! The incremental refresh of the warehouse from the lake, as a job: what `POST /bq/refresh`
//! and the schedule start. (The CLI's `refresh` calls `Warehouse::refresh` directly: it has no
//! registry to join and prints the report.)

use super::job::{BackgroundJob, Ended};
use crate::app::App;
use crate::jobs::{Admission, Job, JobKind, JobProgress, RunProgress};
use crate::warehouse::{RefreshReport, Warehouse};
use std::sync::Arc;

pub struct RefreshJob {
    pub app: Arc<App>,
    pub warehouse: Arc<dyn Warehouse>,
    /// Hours tried of those pending, and rows loaded, as the refresh goes.
    pub progress: Arc<RunProgress>,
}

impl RefreshJob {
    /// `None` when this build or configuration has no warehouse.
    pub fn new(app: Arc<App>) -> Option<Self> {
        Some(Self {
            warehouse: app.warehouse.clone()?,
            app,
            progress: RunProgress::new(),
        })
    }
}

impl BackgroundJob for RefreshJob {
    const KIND: JobKind = JobKind::Refresh;
    const UNIT: &'static str = "hours";
    // One refresh at a time: a request while one runs joins it.
    const ADMISSION: Admission = Admission::JoinSameName;
    type Output = RefreshReport;

    fn name(&self) -> String {
        "warehouse".into()
    }

    fn progress(&self) -> Arc<dyn JobProgress> {
        self.progress.clone()
    }

    async fn run(self, job: Arc<Job>) -> anyhow::Result<Ended<RefreshReport>> {
        let app = &self.app;
        let outcome = self
            .warehouse
            .refresh_with_progress(&app.lake, &*self.progress)
            .await;
        app.freshness.refresh_ended();
        let report = outcome?;
        let loaded = report.hours_loaded.len() as u64;
        app.metrics.add_refresh(&report);
        // Hours the warehouse is behind the lake: what the deployed alert policy on the
        // watermark reads from this line (deploy/operations.tf).
        let lag_hours = match (app.freshness.last_generated_hour(), report.watermark_after) {
            (Some(last), Some(mark)) => last.index() - mark.index(),
            (Some(_), None) => -1,
            _ => 0,
        };
        tracing::info!(job = %job.id, hours = loaded, failures = report.failures.len(), lag_hours, "refresh ended");
        let failure = (!report.failures.is_empty()).then(|| {
            report
                .failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        });
        Ok(Ended {
            output: report,
            cancelled: false,
            failure,
        })
    }
}
