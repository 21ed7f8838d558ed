//! Metrics exported at `/metrics` in the Prometheus text format. Plain atomics plus figures read
//! at render time from the job registry and the subscriber: the service has a handful of
//! series and no need for a metrics framework.

use crate::bus::StatsSnapshot;
use crate::jobs::{durations::BUCKETS, JobKind, JobRegistry, JobState, RunSummary};
use crate::model::Table;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    rows_generated: [AtomicU64; Table::COUNT],
    pub bytes_written: AtomicU64,
    pub hours_generated: AtomicU64,
    pub alerts_published: AtomicU64,
    /// Hours whose alerts could not be published (each after the publisher's own retries).
    pub alert_publish_errors: AtomicU64,
    pub http_requests: AtomicU64,
    pub http_client_errors: AtomicU64,
    pub http_server_errors: AtomicU64,
    refresh_rows: [AtomicU64; Table::COUNT],
    pub refresh_failures: AtomicU64,
}

/// What `/metrics` reads besides the counters.
pub struct Sources<'a> {
    pub jobs: &'a JobRegistry,
    pub stream: StatsSnapshot,
    /// The warehouse's memory in this process by kind (`Warehouse::memory`); empty if none.
    pub warehouse_memory: Vec<(String, u64)>,
}

impl Metrics {
    /// Counts one generate run: rows, bytes, hours and alerts.
    pub fn add_run(&self, summary: &RunSummary) {
        for (counter, n) in self.rows_generated.iter().zip(&summary.rows) {
            counter.fetch_add(*n, Ordering::Relaxed);
        }
        let add = |c: &AtomicU64, n: u64| c.fetch_add(n, Ordering::Relaxed);
        add(&self.bytes_written, summary.bytes);
        add(&self.hours_generated, summary.hours);
        add(&self.alerts_published, summary.alerts_published);
        add(&self.alert_publish_errors, summary.alert_publish_errors);
    }

    /// Owed alerts published by a later run count as published.
    pub fn add_republished(&self, done: &crate::jobs::Republished) {
        self.alerts_published
            .fetch_add(done.alerts, Ordering::Relaxed);
    }

    pub fn add_refresh(&self, report: &crate::warehouse::RefreshReport) {
        for (counter, table) in self.refresh_rows.iter().zip(Table::ALL) {
            counter.fetch_add(report.rows_of(table), Ordering::Relaxed);
        }
        self.refresh_failures
            .fetch_add(report.failures.len() as u64, Ordering::Relaxed);
    }

    pub fn render(&self, sources: &Sources<'_>) -> String {
        let mut out = Exposition::default();
        let per_table = |counters: &[AtomicU64; Table::COUNT]| -> Vec<(String, f64)> {
            Table::ALL
                .iter()
                .zip(counters)
                .map(|(t, c)| (format!("table=\"{t}\""), c.load(Ordering::Relaxed) as f64))
                .collect()
        };
        let one = |c: &AtomicU64| vec![(String::new(), c.load(Ordering::Relaxed) as f64)];
        out.family(
            "retail_pipeline_rows_generated_total",
            "counter",
            "Rows written to the lake, per table.",
            &per_table(&self.rows_generated),
        );
        out.family(
            "retail_pipeline_bytes_written_total",
            "counter",
            "Bytes of data files written to the lake.",
            &one(&self.bytes_written),
        );
        out.family(
            // Not `hours_generated`: promtool reads "hours" as a time unit (base unit seconds).
            "retail_pipeline_hour_partitions_generated_total",
            "counter",
            "Hours written to the lake (one partition of each table each).",
            &one(&self.hours_generated),
        );
        out.family(
            "retail_pipeline_alerts_published_total",
            "counter",
            "Negative-stock alerts published to the alerts topic.",
            &one(&self.alerts_published),
        );
        out.family(
            "retail_pipeline_publish_errors_total",
            "counter",
            "Hours whose alerts could not be published after retries.",
            &one(&self.alert_publish_errors),
        );
        out.family(
            "retail_pipeline_refresh_rows_merged_total",
            "counter",
            "Rows merged into the warehouse, per table.",
            &per_table(&self.refresh_rows),
        );
        out.family(
            "retail_pipeline_refresh_failures_total",
            "counter",
            "Partitions a refresh could not load (retried by the next one).",
            &one(&self.refresh_failures),
        );
        self.render_stream(&mut out, &sources.stream);
        out.family(
            "retail_pipeline_http_requests_total",
            "counter",
            "HTTP requests answered.",
            &one(&self.http_requests),
        );
        out.family(
            "retail_pipeline_http_errors_total",
            "counter",
            "HTTP requests answered with an error status, by class.",
            &[
                (
                    "class=\"4xx\"".into(),
                    self.http_client_errors.load(Ordering::Relaxed) as f64,
                ),
                (
                    "class=\"5xx\"".into(),
                    self.http_server_errors.load(Ordering::Relaxed) as f64,
                ),
            ],
        );
        render_jobs(&mut out, sources.jobs);
        if !sources.warehouse_memory.is_empty() {
            let samples: Vec<(String, f64)> = sources
                .warehouse_memory
                .iter()
                // DuckDB's tags are upper-case words; anything else is left out of the label.
                .filter(|(tag, _)| tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .map(|(tag, n)| (format!("tag=\"{tag}\""), *n as f64))
                .collect();
            out.family(
                "retail_pipeline_warehouse_memory_bytes",
                "gauge",
                "Memory the embedded warehouse holds, by DuckDB's tag (capped by --warehouse-memory-mib).",
                &samples,
            );
        }
        out.text
    }

    fn render_stream(&self, out: &mut Exposition, s: &StatsSnapshot) {
        let n = |v: u64| v as f64;
        out.family(
            "retail_pipeline_stream_messages_total",
            "counter",
            "Messages the subscriber received, by outcome.",
            &[
                ("outcome=\"order\"".into(), n(s.orders)),
                ("outcome=\"inventory\"".into(), n(s.inventory)),
                ("outcome=\"user_activity\"".into(), n(s.user_activity)),
                ("outcome=\"alert\"".into(), n(s.alerts)),
                ("outcome=\"dead_letter\"".into(), n(s.dead_letters)),
                ("outcome=\"failed\"".into(), n(s.failed)),
            ],
        );
        let reasons: Vec<(String, f64)> = s
            .dead_by_reason
            .iter()
            .map(|(reason, v)| (format!("reason=\"{reason}\""), n(*v)))
            .collect();
        out.family(
            "retail_pipeline_dead_letters_total",
            "counter",
            "Messages refused as dead letters, by reason.",
            &reasons,
        );
        out.family(
            "retail_pipeline_stream_batches_total",
            "counter",
            "Batches the subscriber wrote (archive and sink).",
            &[(String::new(), n(s.batches))],
        );
        out.family(
            "retail_pipeline_stream_write_seconds_total",
            "counter",
            "Time spent writing those batches, retries included; over the batches, one batch's cost.",
            &[(String::new(), s.write_micros as f64 / 1e6)],
        );
    }
}

fn render_jobs(out: &mut Exposition, jobs: &JobRegistry) {
    const KINDS: [JobKind; 3] = [JobKind::Generate, JobKind::Refresh, JobKind::Scenario];
    let running = jobs.all();
    let samples: Vec<(String, f64)> = KINDS
        .iter()
        .map(|kind| {
            let n = running
                .iter()
                .filter(|j| j.kind == *kind && j.state() == JobState::Running)
                .count();
            (format!("kind=\"{}\"", json_name(kind)), n as f64)
        })
        .collect();
    out.family(
        "retail_pipeline_jobs_running",
        "gauge",
        "Jobs running now, by kind.",
        &samples,
    );
    // The running scenario's measured send rate: events per second right now.
    let rate: f64 = running
        .iter()
        .filter(|j| j.kind == JobKind::Scenario && j.state() == JobState::Running)
        .map(|j| j.view().rate_per_sec)
        .sum();
    out.family(
        "retail_pipeline_scenario_events_per_second",
        "gauge",
        "Events per second sent by the running scenario (0 when none runs).",
        &[(String::new(), rate)],
    );
    let name = "retail_pipeline_job_duration_seconds";
    let _ = writeln!(
        out.text,
        "# HELP {name} How long finished jobs took, by kind and final state.\n# TYPE {name} histogram"
    );
    for (kind, state, h) in jobs.durations().snapshot() {
        let labels = format!(
            "kind=\"{}\",state=\"{}\"",
            json_name(&kind),
            json_name(&state)
        );
        for (bound, count) in BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(out.text, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out.text,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(out.text, "{name}_sum{{{labels}}} {}", h.sum);
        let _ = writeln!(out.text, "{name}_count{{{labels}}} {}", h.count);
    }
}

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    /// One metric family: HELP, TYPE and a sample per label set (`a="x"`, or empty).
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            if labels.is_empty() {
                let _ = writeln!(self.text, "{name} {v}");
            } else {
                let _ = writeln!(self.text, "{name}{{{labels}}} {v}");
            }
        }
    }
}

/// The name serde gives a unit variant (`JobKind::Generate` -> `generate`).
pub(crate) fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
