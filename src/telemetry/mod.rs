//! Logging: readable text on a terminal, JSON lines for Cloud Logging when deployed, with each
//! request's trace so its lines group under it.

mod cloud_json;
pub mod otlp;
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
/// stdout stays for results. `project` names traces in JSON lines. With `otlp_endpoint`,
/// request and job spans are also exported there as OpenTelemetry traces.
pub fn init(
    format: LogFormat,
    project: Option<String>,
    otlp_endpoint: Option<&str>,
) -> Result<(), String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otlp = otlp_endpoint
        .map(|e| otlp::OtlpLayer::start(e, "retail-pipeline"))
        .transpose()?;
    // A second init (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber_with(
        is_json(format),
        project,
        filter,
        std::io::stderr,
        otlp,
    ));
    Ok(())
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
    subscriber_with(json, project, filter, writer, None)
}

/// `subscriber`, plus the OTLP span exporter when there is one.
pub fn subscriber_with<W>(
    json: bool,
    project: Option<String>,
    filter: EnvFilter,
    writer: W,
    otlp: Option<otlp::OtlpLayer>,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    // Each layer has its own filter: RUST_LOG decides what is logged, never what is traced.
    let otlp = otlp.map(|layer| {
        layer.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.is_span() && otlp::EXPORTED.contains(&meta.name())
        }))
    });
    let registry = tracing_subscriber::registry().with(otlp);
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    if json {
        let logs = layer
            .fmt_fields(JsonFields::new())
            .event_format(CloudJson { project })
            .with_filter(filter);
        Box::new(registry.with(logs))
    } else {
        // Colours only for a person at a terminal, never into files or CI logs.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let logs = layer
            .with_target(false)
            .with_ansi(ansi)
            .compact()
            .with_filter(filter);
        Box::new(registry.with(logs))
    }
}
