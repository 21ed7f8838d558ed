//! Progress of a run: a bar on a terminal, a log line every few seconds elsewhere.

use crate::jobs::RunProgress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

pub struct ProgressReporter {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
}

impl ProgressReporter {
    pub fn start(progress: Arc<RunProgress>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} hours {msg} (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let task_bar = bar.clone();
        let task = tokio::spawn(async move {
            let period = if task_bar.is_some() {
                Duration::from_millis(200)
            } else {
                Duration::from_secs(5)
            };
            loop {
                tokio::time::sleep(period).await;
                let done = progress.hours_done.load(Ordering::Relaxed);
                let total = progress.hours_total.load(Ordering::Relaxed);
                let rows = progress.rows.load(Ordering::Relaxed);
                let secs = progress.elapsed().as_secs_f64().max(1e-9);
                match &task_bar {
                    Some(bar) => {
                        bar.set_length(total);
                        bar.set_position(done);
                        bar.set_message(format!("{:.0} rows/s", rows as f64 / secs));
                    }
                    None => tracing::info!(
                        hours_done = done,
                        hours_total = total,
                        rows,
                        rows_per_sec = (rows as f64 / secs) as u64,
                        "progress"
                    ),
                }
            }
        });
        Self { task, bar }
    }

    pub fn finish(self) {
        self.task.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
