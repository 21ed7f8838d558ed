//! Generating hours into the lake: the one path that `POST /generate`, the hourly schedule and
//! the CLI's `generate` and `backfill` all take. They differ only in what their caller passes:
//! the service publishes each hour's alerts and first re-sends alerts owed by earlier runs; the
//! CLI does so only with `--publish-alerts`.

use super::job::{BackgroundJob, Ended};
use crate::app::App;
use crate::jobs::{
    publish_pending_alerts, run_hours, Admission, AlertPublisher, Job, JobKind, JobProgress,
    Republished, RunProgress, RunSummary, RunTarget,
};
use crate::lake::Lake;
use crate::model::{HourRange, PartitionHour, Table};
use anyhow::Context;
use serde::Serialize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What one generation did: the run, the hours it found already complete, and the owed
/// alerts it re-sent first.
#[derive(Debug, Default)]
pub struct GenerateReport {
    pub summary: RunSummary,
    pub already_complete: usize,
    pub republished: Republished,
}

/// The hours a run will write, and how many of those asked for it found complete already.
#[derive(Debug, Default)]
pub struct Planned {
    pub hours: Vec<PartitionHour>,
    pub already_complete: usize,
}

/// All of `hours` with `force`, else the ones not complete in the lake.
pub async fn plan_hours(
    lake: &Lake,
    hours: Vec<PartitionHour>,
    force: bool,
) -> anyhow::Result<Planned> {
    if force {
        return Ok(Planned {
            hours,
            already_complete: 0,
        });
    }
    let asked = hours.len();
    let hours = lake
        .missing_hours(hours)
        .await
        .context("reading the lake's manifests")?;
    Ok(Planned {
        already_complete: asked - hours.len(),
        hours,
    })
}

/// Generates the planned hours. With `target.alerts`, the alerts owed by earlier runs go out
/// first; a failure there is logged and does not stop the new hours.
pub async fn generate_hours(
    target: RunTarget<'_>,
    planned: Planned,
    progress: Arc<RunProgress>,
    cancel: CancellationToken,
) -> anyhow::Result<GenerateReport> {
    let Planned {
        hours,
        already_complete,
    } = planned;
    let mut republished = Republished::default();
    if let Some(alerts) = target.alerts {
        republished = publish_pending_alerts(target.lake, &target.world, alerts)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %crate::error_chain(&e), "cannot publish owed alerts");
                Republished::default()
            });
    }
    if hours.is_empty() {
        return Ok(GenerateReport {
            already_complete,
            republished,
            ..GenerateReport::default()
        });
    }
    tracing::info!(hours = hours.len(), already_complete, "generating");
    let summary = run_hours(target, hours, progress, cancel)
        .await
        .context("generation failed")?;
    Ok(GenerateReport {
        summary,
        already_complete,
        republished,
    })
}

/// The result a generate job keeps.
#[derive(Debug, Serialize)]
pub struct GenerateResult {
    pub hours_written: u64,
    pub hours_already_complete: usize,
    pub rows: u64,
    pub sales_lines: u64,
    pub alerts: u64,
    pub bytes: u64,
    pub alerts_published: u64,
    pub alert_publish_errors: u64,
    pub alerts_republished: u64,
    /// Hours whose alerts are still owed to the bus after this run.
    pub hours_still_owing_alerts: u64,
}

impl From<&GenerateReport> for GenerateResult {
    fn from(r: &GenerateReport) -> Self {
        let s = &r.summary;
        Self {
            hours_written: s.hours,
            hours_already_complete: r.already_complete,
            rows: s.rows.iter().sum(),
            sales_lines: s.rows[Table::SalesData.index()],
            alerts: s.rows[Table::NegativeInventoryAlerts.index()],
            bytes: s.bytes,
            alerts_published: s.alerts_published,
            alert_publish_errors: s.alert_publish_errors,
            alerts_republished: r.republished.alerts,
            hours_still_owing_alerts: r.republished.still_pending + s.alert_publish_errors,
        }
    }
}

/// The service's generate job: a range of hours, with alerts to the bus.
pub struct GenerateJob {
    pub app: Arc<App>,
    pub range: HourRange,
    pub force: bool,
    pub progress: Arc<RunProgress>,
}

impl GenerateJob {
    pub fn new(app: Arc<App>, range: HourRange, force: bool) -> Self {
        Self {
            app,
            range,
            force,
            progress: RunProgress::new(),
        }
    }
}

impl BackgroundJob for GenerateJob {
    const KIND: JobKind = JobKind::Generate;
    const UNIT: &'static str = "hours";
    // A repeated request for the same hours joins the run instead of writing them twice.
    const ADMISSION: Admission = Admission::JoinSameName;
    type Output = GenerateResult;

    fn name(&self) -> String {
        let force = if self.force { " (force)" } else { "" };
        format!("{}..{}{force}", self.range.from(), self.range.to())
    }

    fn progress(&self) -> Arc<dyn JobProgress> {
        self.progress.clone()
    }

    async fn run(self, job: Arc<Job>) -> anyhow::Result<Ended<GenerateResult>> {
        let app = &self.app;
        let alerts = AlertPublisher {
            publisher: app.bus.clone(),
            topic: app.topics.alerts.clone(),
        };
        let target = RunTarget {
            lake: &app.lake,
            world: app.world.clone(),
            identity: &app.identity,
            jobs: app.settings.jobs_per_generate,
            alerts: Some(&alerts),
        };
        let planned = plan_hours(&app.lake, self.range.hours().collect(), self.force).await?;
        let report = generate_hours(target, planned, self.progress, job.cancel.clone()).await?;
        app.metrics.add_republished(&report.republished);
        app.metrics.add_run(&report.summary);
        if !report.summary.cancelled {
            // Every hour of the range is complete now.
            app.freshness.saw_hour(self.range.to());
        }
        let result = GenerateResult::from(&report);
        tracing::info!(job = %job.id, hours = result.hours_written, skipped = result.hours_already_complete, "generate job ended");
        Ok(Ended {
            cancelled: report.summary.cancelled,
            output: result,
            failure: None,
        })
    }
}
