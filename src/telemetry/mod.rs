//! Logging: readable text on a terminal, JSON lines for Cloud Logging when deployed, with each
//! request's trace so its lines group under it.

mod cloud_json;
mod trace_context;

pub use cloud_json::{severity, CloudJson, SAMPLED_KEY, SPAN_KEY, TRACE_KEY};
pub use trace_context::{parse_cloud_trace, parse_traceparent, request_span, TraceContext};

use crate::config::LogFormat;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// True when running on Cloud Run (a service or a job).
pub fn on_cloud_run() -> bool {
    std::env::var_os("K_SERVICE").is_some() || std::env::var_os("CLOUD_RUN_JOB").is_some()
}

/// Whether `format` means JSON lines here.
pub fn is_json(format: LogFormat) -> bool {
    match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => on_cloud_run(),
    }
}

/// Installs the global subscriber. Level from `RUST_LOG` (default `info`). Logs go to stderr so
/// stdout stays for results. `project` names traces in JSON lines.
pub fn init(format: LogFormat, project: Option<String>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber(
        is_json(format),
        project,
        filter,
        std::io::stderr,
    ));
}

/// The subscriber `init` installs, writing to `writer`; tests capture lines with it.
pub fn subscriber<W>(
    json: bool,
    project: Option<String>,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if json {
        Box::new(
            builder
                .fmt_fields(JsonFields::new())
                .event_format(CloudJson { project })
                .finish(),
        )
    } else {
        // Colours only for a person at a terminal, never into files or CI logs.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        Box::new(
            builder
                .with_target(false)
                .with_ansi(ansi)
                .compact()
                .finish(),
        )
    }
}
