//! `retail-pipeline`: parse the command line, read the configuration once, run.

use clap::Parser;
use retail_pipeline::cli::{self, Cli, Outcome, UsageError};
use retail_pipeline::config::Config;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let config = match Config::from_args(&cli.common) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match retail_pipeline::telemetry::init(
        config.log_format,
        config.trace_project(),
        config.otlp_endpoint.as_deref(),
        config.otlp_sample_ratio,
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(config = %serde_json::to_string(&config).unwrap_or_default(), "starting");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli, config));
    // After serve's graceful shutdown (SIGTERM included), before exiting: the spans of the last
    // requests and jobs are still in the exporter's batch.
    telemetry.shutdown();
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(e) => {
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                eprintln!("error: {usage}");
                return ExitCode::from(2);
            }
            eprintln!("error: {}", cli::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Help and version print as clap renders them; a usage error prints as one line.
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            // clap's first line; for missing arguments it lists them on the lines below.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("error: invalid arguments");
            let missing = match e.get(clap::error::ContextKind::InvalidArg) {
                Some(clap::error::ContextValue::Strings(args)) if first.ends_with(':') => {
                    format!(" {}", args.join(", "))
                }
                _ => String::new(),
            };
            eprintln!("{first}{missing} (see --help)");
            ExitCode::from(2)
        }
    }
}
