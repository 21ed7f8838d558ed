//! The pipeline panel: freshness and jobs. Part of the page, and served alone as
//! `/dashboard/live`, which the page's script swaps in every few seconds.

use super::components::tile;
use super::data::Live;
use super::format::thousands;
use crate::jobs::{JobState, JobView};
use maud::{html, Markup};

/// Freshness and jobs. The wrapper's data attributes tell the script what changed.
pub fn live_fragment(live: &Live) -> Markup {
    let (lag_class, lag) = match (live.lag_hours, &live.warehouse_watermark) {
        (Some(0), _) => ("ok", "up to date".to_string()),
        (Some(1), _) => ("ok", "1 hour behind".to_string()),
        (Some(h), _) => ("warn", format!("{h} hours behind")),
        (None, None) if live.last_generated_hour.is_some() => {
            ("warn", "nothing loaded yet".to_string())
        }
        (None, _) => ("", "unknown".to_string()),
    };
    let streamed: u64 = live.stream_rows.values().sum();
    html! {
        div class="live" data-watermark=(live.warehouse_watermark.as_deref().unwrap_or(""))
            data-running=(live.running()) {
            h2 id="live-h" { "Pipeline" }
            div class="tiles" {
                (tile("Last generated hour", live.last_generated_hour.as_deref().unwrap_or("none yet"), ""))
                (tile("Warehouse watermark", live.warehouse_watermark.as_deref().unwrap_or("none yet"), ""))
                (tile("Warehouse lag", &lag, lag_class))
                (tile("Events landed", &thousands(streamed as i64), ""))
            }
            @if live.jobs.is_empty() {
                p class="muted" {
                    "No jobs yet. Start one with " code { "POST /generate" } ", "
                    code { "POST /bq/refresh" } " or " code { "POST /scenarios/{name}/start" } "."
                }
            } @else {
                table class="jobs" {
                    caption { "Jobs (running first)" }
                    thead {
                        tr {
                            @for h in ["Job", "What", "State", "Progress", "Rate", "ETA"] {
                                th scope="col" { (h) }
                            }
                        }
                    }
                    tbody { @for job in &live.jobs { (job_row(job)) } }
                }
            }
        }
    }
}

fn job_row(job: &JobView) -> Markup {
    let state = match job.state {
        JobState::Running => "running",
        JobState::Completed => "completed",
        JobState::Failed => "failed",
        JobState::Cancelled => "cancelled",
    };
    let percent = job.percent.unwrap_or(0.0);
    // A scenario measures its own rate over its scheduled events; prefer that.
    let per_sec = job
        .detail
        .as_ref()
        .and_then(|d| d.get("measured_per_minute"))
        .and_then(serde_json::Value::as_f64)
        .map_or(job.rate_per_sec, |m| m / 60.0);
    let eta = job
        .eta_secs
        .map_or_else(|| "—".to_string(), |s| format!("{s:.0} s"));
    let kind = serde_json::to_value(job.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    html! {
        tr {
            td { code { (job.id) } }
            td {
                (kind) " " (job.name)
                @if let Some(e) = &job.error { div class="err" { (e) } }
            }
            td { span class={ "state " (state) } { (state) } }
            @if let Some(nothing) = nothing_to_do(job) {
                td { (nothing) }
                td { "—" }
            } @else {
                td {
                    progress max="100" value=(format!("{percent:.1}")) aria-label={ (job.id) " progress" } {
                        (format!("{percent:.0}%"))
                    }
                    " " (thousands(job.done as i64)) " / " (thousands(job.target as i64)) " " (job.unit)
                }
                td { (format!("{per_sec:.1}")) " " (job.unit) "/s" }
            }
            td { (eta) }
        }
    }
}

/// What a job that ended with nothing to count did, in words: a generation whose hours were
/// all complete already reads "nothing to write: 72 hours already complete", not "0 / 0 hours"
/// at "0.0 hours/s". `None` while the job runs or when it counted work.
fn nothing_to_do(job: &JobView) -> Option<String> {
    if job.state == JobState::Running || job.target > 0 {
        return None;
    }
    let complete = job
        .result
        .as_ref()
        .and_then(|r| r.get("hours_already_complete"))
        .and_then(serde_json::Value::as_u64);
    Some(match complete {
        Some(1) => "nothing to write: 1 hour already complete".to_string(),
        Some(n) if n > 0 => format!(
            "nothing to write: {} hours already complete",
            thousands(n as i64)
        ),
        _ => format!("no {} to do", job.unit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobKind;

    fn job(state: JobState, done: u64, target: u64, result: Option<serde_json::Value>) -> JobView {
        JobView {
            id: "generate-7".into(),
            kind: JobKind::Generate,
            name: "2026-11-20T00..2026-11-22T23".into(),
            state,
            unit: "hours".into(),
            done,
            target,
            percent: (target > 0).then(|| done as f64 * 100.0 / target as f64),
            rate_per_sec: 0.0,
            elapsed_secs: 0.2,
            eta_secs: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            finished_at: None,
            error: None,
            result,
            detail: None,
        }
    }

    #[test]
    fn a_job_that_found_every_hour_complete_says_so() {
        let result = serde_json::json!({"hours_written": 0, "hours_already_complete": 72});
        let row = job_row(&job(JobState::Completed, 0, 0, Some(result))).into_string();
        assert!(
            row.contains("nothing to write: 72 hours already complete"),
            "{row}"
        );
        assert!(!row.contains("0 / 0") && !row.contains("hours/s"), "{row}");
    }

    #[test]
    fn a_job_with_work_shows_its_progress_and_rate() {
        let row = job_row(&job(JobState::Running, 3, 72, None)).into_string();
        assert!(
            row.contains("3 / 72 hours") && row.contains("hours/s"),
            "{row}"
        );
        let finished = job_row(&job(JobState::Completed, 72, 72, None)).into_string();
        assert!(finished.contains("72 / 72 hours"), "{finished}");
        let empty = job_row(&job(JobState::Completed, 0, 0, None)).into_string();
        assert!(empty.contains("no hours to do"), "{empty}");
    }
}
