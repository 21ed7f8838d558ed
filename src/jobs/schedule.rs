//! The internal hourly schedule, for the embedded default (deployed, Cloud Scheduler calls in
//! instead): generate the rolling window at minute 0 of every hour. The last hour each task ran
//! for is kept in `DATA_DIR/schedule.json`, so a restart neither skips nor repeats an hour: on
//! start, a task that has not run for the current hour runs at once.

use crate::app::App;
use crate::jobs::rolling_window;
use crate::model::PartitionHour;
use chrono::{Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Ledger {
    /// The hour (`YYYY-MM-DDTHH`) of the last scheduled generate.
    generate: Option<String>,
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
        tracing::warn!(error = %e, path = %path.display(), "cannot record the schedule");
    }
}

/// Runs until `stop` is cancelled.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    loop {
        let now = Utc::now();
        let Ok(current) = PartitionHour::containing(now.naive_utc()) else {
            return;
        };
        let mut ledger = read_ledger(&app);
        if ledger.generate.as_deref() != Some(current.to_string().as_str()) {
            match rolling_window(now.naive_utc(), 3) {
                Ok(window) => match app.start_generate(window, false) {
                    Ok((job, _)) => {
                        tracing::info!(job = %job.id, hour = %current, "scheduled generate");
                        ledger.generate = Some(current.to_string());
                        write_ledger(&app, &ledger);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "scheduled generate not started; retrying in a minute")
                    }
                },
                Err(e) => tracing::error!(error = %e, "no rolling window"),
            }
        }
        // Wake at the next hour, or in a minute if this hour's task could not start.
        let done = read_ledger(&app).generate.as_deref() == Some(current.to_string().as_str());
        let wait = if done {
            let secs_into_hour = u64::from(now.minute() * 60 + now.second());
            Duration::from_secs(3600 - secs_into_hour.min(3599))
        } else {
            Duration::from_secs(60)
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
