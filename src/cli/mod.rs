//! The command line: one binary, clap subcommands.

mod bench;
mod generate;
mod http;
mod progress;
mod refresh;
mod scenario;
mod serve;
mod signals;

use crate::config::{CommonArgs, Config};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "retail-pipeline",
    version,
    about = "Hourly retail data pipeline: a linked retail data set every hour, in a Hive-partitioned lake, served over HTTP."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP service on the configured backends, with the internal hourly schedule.
    Serve(serve::ServeArgs),
    /// Generate one hour, one date, or (with neither) the missing hours of the rolling window.
    Generate(generate::GenerateArgs),
    /// Generate every hour from --from to --to (inclusive) in parallel; resumable.
    Backfill(generate::BackfillArgs),
    /// List or run the named event scenarios on the embedded backends.
    Scenario(scenario::ScenarioArgs),
    /// Measure generation and lake-write throughput and write the figures to a file.
    Bench(bench::BenchArgs),
    /// Load the lake's new complete hours into the warehouse (DATA_DIR/warehouse.duckdb).
    Refresh(refresh::RefreshArgs),
}

/// Exit codes: 0 done, 1 failed, 2 bad input, 130 interrupted.
pub enum Outcome {
    Done,
    Interrupted,
}

/// Runs a parsed command. Errors are one line for the user (bad input) or an anyhow chain.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Serve(args) => serve::serve(config, args).await,
        Command::Scenario(args) => scenario::scenario(config, args).await,
        Command::Generate(args) => generate::generate(&config, args).await,
        Command::Backfill(args) => generate::backfill(&config, args).await,
        Command::Bench(args) => bench::bench(&config, args).await,
        Command::Refresh(args) => refresh::refresh(&config, args).await,
    }
}

/// Builds the application on the configured backends; a data dir that cannot be used is the
/// user's to fix, so it is reported as one line (exit 2).
pub(crate) async fn start_app(
    config: Config,
    settings: crate::app::ServiceSettings,
) -> anyhow::Result<std::sync::Arc<crate::app::App>> {
    let place = match config.backend {
        crate::config::Backend::Local => format!("data dir {}", config.data_dir.display()),
        crate::config::Backend::Gcp => "Google Cloud".to_string(),
    };
    let app = crate::app::App::build(config, settings)
        .await
        .map_err(|e| UsageError(format!("cannot start on {place}: {}", error_chain(&e))))?;
    Ok(std::sync::Arc::new(app))
}

/// A user-facing input problem: printed as one line, exit code 2, nothing written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// An error and its causes on one line, each cause said once. Error types here often show
/// their source in their own message as well as exposing it as `source()`, so anyhow's `{:#}`
/// would repeat it ("storage error at F: disk full: disk full").
pub fn error_chain(e: &anyhow::Error) -> String {
    crate::error_chain(e.as_ref())
}

#[cfg(test)]
mod error_chain_tests {
    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::other("No space left on device");
        let e = anyhow::Error::new(io)
            .context("storage error at /d/f: No space left on device")
            .context("writing hour 2026-10-01T15");
        assert_eq!(
            super::error_chain(&e),
            "writing hour 2026-10-01T15: storage error at /d/f: No space left on device"
        );
    }
}
