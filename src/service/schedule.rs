//! The internal hourly schedule, for the embedded default (deployed, Cloud Scheduler calls in
//! instead): generate the rolling window at minute 0 of every hour and refresh the warehouse at
//! minute 15 (or, on a start past :15, as soon as the generation has finished). The last hour
//! each task ran for is kept in `DATA_DIR/schedule.json`, so a restart neither skips nor
//! repeats an hour.

use crate::app::App;
use crate::jobs::{rolling_window, JobKind};
use crate::model::PartitionHour;
use chrono::{Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the schedule looks at the clock.
const TICK: Duration = Duration::from_secs(15);
/// Minute of the hour at which the refresh runs.
const REFRESH_MINUTE: u32 = 15;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Ledger {
    /// The hour (`YYYY-MM-DDTHH`) of the last scheduled generate.
    generate: Option<String>,
    /// The hour of the last scheduled refresh.
    #[serde(default)]
    refresh: Option<String>,
}

fn ledger_path(app: &App) -> PathBuf {
    app.config.data_dir.join("schedule.json")
}

fn read_ledger(app: &App) -> Ledger {
    std::fs::read(ledger_path(app))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_ledger(app: &App, ledger: &Ledger) {
    let path = ledger_path(app);
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(ledger).unwrap_or_default();
    if let Err(e) = std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, &path)) {
        tracing::warn!(error = %crate::error_chain(&e), path = %path.display(), "cannot record the schedule");
    }
}

/// Runs until `stop` is cancelled.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    loop {
        tick(&app);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(TICK) => {}
        }
    }
}

/// Starts whatever is due now. A task that cannot start (too many jobs) is retried next tick.
fn tick(app: &Arc<App>) {
    let now = Utc::now();
    let Ok(current) = PartitionHour::containing(now.naive_utc()) else {
        return;
    };
    let hour = current.to_string();
    let mut ledger = read_ledger(app);
    if ledger.generate.as_deref() != Some(hour.as_str()) {
        let started = rolling_window(now.naive_utc(), 3)
            .map_err(|e| crate::error_chain(&e))
            .and_then(|w| super::start_generate(app, w, false).map_err(|e| crate::error_chain(&e)));
        match started {
            Ok((job, _)) => {
                tracing::info!(job = %job.id, %hour, "scheduled generate");
                ledger.generate = Some(hour.clone());
                write_ledger(app, &ledger);
            }
            Err(e) => tracing::warn!(error = %e, "scheduled generate not started"),
        }
    }
    let generating = !app.jobs.running_of(JobKind::Generate).is_empty();
    let due = now.minute() >= REFRESH_MINUTE && !generating;
    if due && app.warehouse.is_some() && ledger.refresh.as_deref() != Some(hour.as_str()) {
        match super::start_refresh(app) {
            Ok(Some((job, _))) => {
                tracing::info!(job = %job.id, %hour, "scheduled refresh");
                ledger.refresh = Some(hour);
                write_ledger(app, &ledger);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %crate::error_chain(&e), "scheduled refresh not started")
            }
        }
    }
}
