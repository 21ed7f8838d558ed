//! Logging and tracing: readable text on a terminal, JSON lines for Cloud Logging when deployed,
//! each line with the trace of its request (or of the request that started its job) so that
//! they group under it; and the request and job spans as OpenTelemetry traces (`otlp`).

mod cloud_json;
pub mod otlp;
mod trace_context;

pub use cloud_json::{json_line, severity, CloudJson, SAMPLED_KEY, SPAN_KEY, TRACE_KEY};
pub use trace_context::{
    parse_cloud_trace, parse_traceparent, record_response, request_span, TraceContext,
};

use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// How logs are written (`--log-format`): JSON lines for Cloud Logging, readable text for a
/// terminal, or `auto`, JSON exactly when running on Cloud Run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Text,
    Json,
}

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

/// The name spans are exported under (`service.name`).
pub const SERVICE: &str = "retail-pipeline";

/// The trace a span's log lines carry, kept in the span's registry extensions by
/// [`link_logs`]: the OpenTelemetry trace and span ids (hex) and the sampling decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTrace {
    pub trace_id: String,
    pub span_id: String,
    pub sampled: bool,
}

/// Gives `span`'s log lines (and those of the spans under it) its OpenTelemetry trace. Call it
/// once the span's parent is set: it starts the OpenTelemetry span, so the sampler decides now.
/// Does nothing when the subscriber has no OpenTelemetry layer.
pub fn link_logs(span: &tracing::Span) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::registry::LookupSpan;
    let cx = span.context();
    let otel = cx.span();
    let context = otel.span_context();
    if !context.is_valid() {
        return;
    }
    let trace = LogTrace {
        trace_id: context.trace_id().to_string(),
        span_id: context.span_id().to_string(),
        sampled: context.is_sampled(),
    };
    // The formatter reads it from the registry; no field, so it is not exported as an attribute.
    span.with_subscriber(|(id, dispatch)| {
        if let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>() {
            if let Some(data) = registry.span(id) {
                data.extensions_mut().insert(trace);
            }
        }
    });
}

/// The tracer provider behind the subscriber; shut it down before exiting so that the spans
/// still batched are sent.
pub struct Telemetry {
    provider: opentelemetry_sdk::trace::SdkTracerProvider,
}

impl Telemetry {
    /// Flushes the spans not yet sent, waiting at most [`otlp::FLUSH_TIMEOUT`]. Blocks: call it
    /// outside the async runtime.
    pub fn shutdown(&self) {
        // Nothing to do with an error at exit: the spans are lost either way.
        let _ = self.provider.shutdown_with_timeout(otlp::FLUSH_TIMEOUT);
    }
}

/// Installs the global subscriber. Level from `RUST_LOG` (default `info`). Logs go to stderr so
/// stdout stays for results. `project` names traces in JSON lines. With `otlp_endpoint`,
/// request and job spans are also exported there as OpenTelemetry traces, root spans sampled at
/// `sample_ratio`.
pub fn init(
    format: LogFormat,
    project: Option<String>,
    otlp_endpoint: Option<&str>,
    sample_ratio: f64,
) -> Result<Telemetry, otlp::OtlpError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let provider = otlp::provider(otlp_endpoint, sample_ratio, SERVICE)?;
    // A second init (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber_with(
        is_json(format),
        project,
        filter,
        std::io::stderr,
        &provider,
    ));
    Ok(Telemetry { provider })
}

/// The subscriber `init` installs, writing to `writer`, with a tracer provider that exports
/// nothing; tests capture lines with it.
pub fn subscriber<W>(
    json: bool,
    project: Option<String>,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber_with(json, project, filter, writer, &otlp::local_provider())
}

/// `subscriber`, with the spans going to `provider`.
pub fn subscriber_with<W>(
    json: bool,
    project: Option<String>,
    filter: EnvFilter,
    writer: W,
    provider: &opentelemetry_sdk::trace::SdkTracerProvider,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    use opentelemetry::trace::TracerProvider;
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    // Each layer has its own filter: RUST_LOG decides what is logged, never what is traced.
    // The OpenTelemetry layer sits right on the registry: `link_logs` and the layer's own
    // context lookups downcast the dispatcher to it.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(SERVICE))
        .with_threads(false)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.is_span() && otlp::EXPORTED.contains(&meta.name())
        }));
    let registry = tracing_subscriber::registry().with(otel);
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
