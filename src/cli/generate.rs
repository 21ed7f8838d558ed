//! `generate` and `backfill`: plan the hours, generate what is missing, report.

use super::progress::ProgressReporter;
use super::signals::cancel_on_signals;
use super::{default_jobs, Outcome, UsageError};
use crate::config::Config;
use crate::generate::World;
use crate::jobs::{rolling_window, AlertPublisher, RunProgress, RunTarget};
use crate::model::{parse_date, parse_hour, HourRange, PartitionHour, Table};
use crate::service::{generate_hours, plan_hours};
use anyhow::Context;
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;

/// How the hours are written: what `generate` and `backfill` share.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct WriteArgs {
    /// Rewrite hours that are already complete.
    #[arg(long)]
    pub force: bool,
    /// Generation workers (default: all cores).
    #[arg(long, env = "RP_JOBS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Publish each written hour's negative-stock alerts to the bus, as the service does (and
    /// first the alerts earlier runs still owe). Alerts the bus refuses stay owed in the lake's
    /// outbox for the service to send. Off by default: a backfill of history rarely wants alerts.
    #[arg(long, env = "RP_PUBLISH_ALERTS")]
    pub publish_alerts: bool,
}

/// `YYYY-MM-DDTHH`, as clap's value parser.
fn partition_hour(s: &str) -> Result<PartitionHour, String> {
    s.parse::<PartitionHour>().map_err(|e| e.to_string())
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// The date to generate, YYYY-MM-DD (all 24 hours unless --hour is given).
    #[arg(long, value_parser = |s: &str| parse_date(s).map_err(|e| e.to_string()))]
    pub date: Option<chrono::NaiveDate>,
    /// The hour of --date, 0-23.
    #[arg(long, requires = "date", value_parser = |s: &str| parse_hour(s).map_err(|e| e.to_string()))]
    pub hour: Option<u8>,
    /// Days in the rolling window, used when no --date is given.
    #[arg(long, env = "RP_WINDOW_DAYS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub window_days: u32,
    #[command(flatten)]
    pub write: WriteArgs,
    /// Take this as the current time for the rolling window (YYYY-MM-DDTHH); for tests and replays.
    #[arg(long, env = "RP_NOW", hide = true, value_parser = partition_hour)]
    pub now: Option<PartitionHour>,
}

#[derive(clap::Args, Debug)]
pub struct BackfillArgs {
    /// First hour, YYYY-MM-DDTHH (inclusive).
    #[arg(long, value_parser = partition_hour)]
    pub from: PartitionHour,
    /// Last hour, YYYY-MM-DDTHH (inclusive).
    #[arg(long, value_parser = partition_hour)]
    pub to: PartitionHour,
    #[command(flatten)]
    pub write: WriteArgs,
    /// This task's share of the range when several processes split it (Cloud Run Jobs sets it).
    #[arg(long, env = "CLOUD_RUN_TASK_INDEX", default_value_t = 0)]
    pub task_index: u32,
    /// How many tasks split the range, by whole anchor weeks (Monday to Sunday).
    #[arg(long, env = "CLOUD_RUN_TASK_COUNT", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub task_count: u32,
}

pub async fn generate(config: &Config, args: GenerateArgs) -> anyhow::Result<Outcome> {
    let range = match (args.date, args.hour) {
        (Some(date), Some(hour)) => {
            let h = PartitionHour::new(date, hour).map_err(|e| UsageError(e.to_string()))?;
            HourRange::new(h, h)
        }
        (Some(date), None) => HourRange::day(date),
        (None, _) => {
            let now = match args.now {
                Some(h) => h
                    .date()
                    .and_hms_opt(u32::from(h.hour()), 0, 0)
                    .unwrap_or_default(),
                None => Utc::now().naive_utc(),
            };
            rolling_window(now, args.window_days)
        }
    }
    .map_err(|e| UsageError(e.to_string()))?;
    execute(config, range, &args.write, None).await
}

pub async fn backfill(config: &Config, args: BackfillArgs) -> anyhow::Result<Outcome> {
    let range = HourRange::new(args.from, args.to).map_err(|e| UsageError(e.to_string()))?;
    if args.task_index >= args.task_count {
        return Err(UsageError(format!(
            "--task-index {} must be below --task-count {}",
            args.task_index, args.task_count
        ))
        .into());
    }
    let shard = (args.task_count > 1).then_some((args.task_index, args.task_count));
    execute(config, range, &args.write, shard).await
}

async fn execute(
    config: &Config,
    range: HourRange,
    write: &WriteArgs,
    shard: Option<(u32, u32)>,
) -> anyhow::Result<Outcome> {
    let WriteArgs {
        force,
        jobs,
        publish_alerts,
    } = *write;
    let lake = crate::backends::open_lake(config)
        .await
        .map_err(|e| UsageError(format!("{e}: {}", e.root_cause())))?;
    let location = lake.store().describe();
    let identity = config.identity();
    lake.ensure_identity(&identity)
        .await
        .map_err(|e| UsageError(e.to_string()))?;

    let mine: Vec<PartitionHour> = match shard {
        Some((index, count)) => {
            let all: Vec<PartitionHour> = range.hours().collect();
            let mine = crate::jobs::plan::shard(&all, range.from().date(), index, count);
            tracing::info!(
                task = index,
                tasks = count,
                hours = mine.len(),
                "taking a shard"
            );
            mine
        }
        None => range.hours().collect(),
    };
    let total = mine.len();
    let planned = plan_hours(&lake, mine, force).await?;
    if planned.hours.is_empty() && !publish_alerts {
        println!(
            "nothing to do: all {} hours from {} to {}{} are complete in {}",
            total,
            range.from(),
            range.to(),
            shard.map_or(String::new(), |(i, n)| format!(" of task {i}/{n}")),
            location
        );
        return Ok(Outcome::Done);
    }

    let started = Instant::now();
    let scale = config.scale.clone();
    let seed = config.seed;
    let world = tokio::task::spawn_blocking(move || Arc::new(World::new(seed, &scale)))
        .await
        .context("building the world")?;
    let alerts = match publish_alerts {
        true => {
            let topics = crate::backends::topics(config);
            let (publisher, _feed) = crate::backends::open_bus(config, &topics)
                .await
                .context("opening the bus for alerts")?;
            Some(AlertPublisher {
                publisher,
                topic: topics.alerts,
            })
        }
        false => None,
    };
    let progress = RunProgress::new();
    let reporter = ProgressReporter::start(progress.clone());
    let cancel = cancel_on_signals();
    let target = RunTarget {
        lake: &lake,
        world,
        identity: &identity,
        jobs: jobs.map(usize::from).unwrap_or_else(default_jobs),
        alerts: alerts.as_ref(),
    };
    let result = generate_hours(target, planned, progress, cancel).await;
    reporter.finish();
    let report = result?;
    let summary = &report.summary;
    let skipped = report.already_complete;
    let secs = started.elapsed().as_secs_f64();
    let rows: u64 = summary.rows.iter().sum();
    let sales = summary.rows[Table::SalesData.index()];
    let alerts = summary.rows[Table::NegativeInventoryAlerts.index()];
    println!(
        "wrote {} hours to {} in {:.2}s: {} rows ({} sales lines, {} negative-stock alerts), {:.1} MB{}",
        summary.hours,
        location,
        secs,
        rows,
        sales,
        alerts,
        summary.bytes as f64 / 1e6,
        if skipped > 0 {
            format!("; {skipped} hours were already complete")
        } else {
            String::new()
        }
    );
    if publish_alerts {
        let owed = report.republished.still_pending + summary.alert_publish_errors;
        println!(
            "published {} alerts ({} owed by earlier runs); {owed} hours still owe alerts",
            summary.alerts_published + report.republished.alerts,
            report.republished.alerts,
        );
    }
    if summary.cancelled {
        eprintln!(
            "interrupted: every hour written is complete; run the same command again to resume"
        );
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::Done)
}
