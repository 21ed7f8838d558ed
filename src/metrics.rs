//! Counters exported at `/metrics` in the Prometheus text format. Plain atomics: the service
//! has a handful of counters and no need for a metrics framework.

use crate::jobs::{JobKind, JobRegistry, JobState};
use crate::model::Table;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    rows_generated: [AtomicU64; 5],
    pub bytes_written: AtomicU64,
    pub hours_generated: AtomicU64,
    pub http_requests: AtomicU64,
    pub http_client_errors: AtomicU64,
    pub http_server_errors: AtomicU64,
    refresh_rows: [AtomicU64; 5],
    pub refresh_failures: AtomicU64,
}

impl Metrics {
    pub fn add_rows(&self, rows: &[u64; 5]) {
        for (counter, n) in self.rows_generated.iter().zip(rows) {
            counter.fetch_add(*n, Ordering::Relaxed);
        }
    }

    pub fn add_refresh(&self, report: &crate::warehouse::RefreshReport) {
        for (counter, table) in self.refresh_rows.iter().zip(Table::ALL) {
            counter.fetch_add(report.rows_of(table), Ordering::Relaxed);
        }
        self.refresh_failures
            .fetch_add(report.failures.len() as u64, Ordering::Relaxed);
    }

    pub fn render(&self, jobs: &JobRegistry) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        let rows: Vec<(String, u64)> = Table::ALL
            .iter()
            .zip(&self.rows_generated)
            .map(|(t, c)| (format!("{{table=\"{t}\"}}"), c.load(Ordering::Relaxed)))
            .collect();
        counter(
            "retail_pipeline_rows_generated_total",
            "Rows written to the lake, per table.",
            &rows,
        );
        let merged: Vec<(String, u64)> = Table::ALL
            .iter()
            .zip(&self.refresh_rows)
            .map(|(t, c)| (format!("{{table=\"{t}\"}}"), c.load(Ordering::Relaxed)))
            .collect();
        counter(
            "retail_pipeline_refresh_rows_merged_total",
            "Rows merged into the warehouse, per table.",
            &merged,
        );
        let one = |c: &AtomicU64| vec![(String::new(), c.load(Ordering::Relaxed))];
        counter(
            "retail_pipeline_bytes_written_total",
            "Bytes of data files written to the lake.",
            &one(&self.bytes_written),
        );
        counter(
            "retail_pipeline_hours_generated_total",
            "Hours written to the lake.",
            &one(&self.hours_generated),
        );
        counter(
            "retail_pipeline_http_requests_total",
            "HTTP requests answered.",
            &one(&self.http_requests),
        );
        counter(
            "retail_pipeline_http_errors_total",
            "HTTP requests answered with an error status, by class.",
            &[
                (
                    "{class=\"4xx\"}".into(),
                    self.http_client_errors.load(Ordering::Relaxed),
                ),
                (
                    "{class=\"5xx\"}".into(),
                    self.http_server_errors.load(Ordering::Relaxed),
                ),
            ],
        );
        let _ = writeln!(out, "# HELP retail_pipeline_jobs Jobs known to this process, by kind and state.\n# TYPE retail_pipeline_jobs gauge");
        let all = jobs.all();
        for kind in [JobKind::Generate, JobKind::Refresh, JobKind::Scenario] {
            for state in [
                JobState::Running,
                JobState::Completed,
                JobState::Failed,
                JobState::Cancelled,
            ] {
                let n = all
                    .iter()
                    .filter(|j| j.kind == kind && j.state() == state)
                    .count();
                let _ = writeln!(
                    out,
                    "retail_pipeline_jobs{{kind=\"{}\",state=\"{}\"}} {n}",
                    json_name(&kind),
                    json_name(&state)
                );
            }
        }
        out
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
