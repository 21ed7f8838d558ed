//! `refresh`: load the lake's new complete partitions into the embedded warehouse.

use super::{Outcome, UsageError};
use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct RefreshArgs {
    /// Print the report as JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn refresh(config: &Config, args: RefreshArgs) -> anyhow::Result<Outcome> {
    use crate::config::Backend;
    use crate::warehouse::WarehouseError;
    use anyhow::Context;

    if config.backend == Backend::Local && !config.lake_dir().is_dir() {
        return Err(UsageError(format!(
            "no lake at {}: run `retail-pipeline generate` first (or pass --data-dir)",
            config.lake_dir().display()
        ))
        .into());
    }
    let lake = crate::backends::open_lake(config).await?;
    let warehouse = match crate::backends::open_warehouse(config).await {
        Ok((Some(w), _)) => w,
        Ok((None, _)) => {
            return Err(UsageError(
                "this build has no embedded warehouse; rebuild with the `duckdb` feature".into(),
            )
            .into())
        }
        // Another process holds the file: the user's to resolve, in one line.
        Err(e) => match e.downcast_ref::<WarehouseError>() {
            Some(locked @ WarehouseError::Locked { .. }) => {
                return Err(UsageError(locked.to_string()).into())
            }
            _ => return Err(e).context("opening the warehouse"),
        },
    };
    // A bar on a terminal (hours tried of those pending, rows per second), log lines otherwise.
    let progress = crate::jobs::RunProgress::new();
    let reporter = super::progress::ProgressReporter::start(progress.clone());
    let report = warehouse
        .refresh_with_progress(&lake, &*progress)
        .await
        .context("refresh failed");
    reporter.finish();
    let report = report?;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let hours = report.hours_loaded.len();
        println!(
            "refreshed {} from {} in {:.2}s: {hours} hour{} loaded",
            warehouse.describe(),
            lake.store().describe(),
            report.elapsed_ms as f64 / 1000.0,
            if hours == 1 { "" } else { "s" },
        );
        for entry in &report.rows {
            println!(
                "  {:<27} {:>12} rows merged",
                entry.table.name(),
                entry.rows
            );
        }
        let show = |h: Option<crate::model::PartitionHour>| {
            h.map_or_else(|| "none".to_string(), |h| h.to_string())
        };
        println!(
            "watermark: {} -> {}",
            show(report.watermark_before),
            show(report.watermark_after)
        );
        if report.hours_incomplete > 0 {
            println!(
                "{} incomplete hours skipped (data without all manifests); they load once complete",
                report.hours_incomplete
            );
        }
    }
    if !report.failures.is_empty() {
        for failure in &report.failures {
            eprintln!("error: {failure}");
        }
        anyhow::bail!(
            "{} partition{} failed to load; everything else was loaded and the next refresh retries them",
            report.failures.len(),
            if report.failures.len() == 1 { "" } else { "s" }
        );
    }
    Ok(Outcome::Done)
}
