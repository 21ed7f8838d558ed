//! Logging: readable text on a terminal, JSON lines for Cloud Logging when deployed.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// True when running on Cloud Run (a service or a job).
pub fn on_cloud_run() -> bool {
    std::env::var_os("K_SERVICE").is_some() || std::env::var_os("CLOUD_RUN_JOB").is_some()
}

/// Installs the global subscriber. Level from `RUST_LOG` (default `info`). Logs go to stderr so
/// stdout stays for results.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => on_cloud_run(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.with_target(false).compact().try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
