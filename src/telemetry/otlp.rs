//! OpenTelemetry traces through the OpenTelemetry SDK: `tracing-opentelemetry` turns the
//! `request` and `job` spans into OpenTelemetry spans, the SDK samples them and batches the
//! sampled ones, and `opentelemetry-otlp` sends each batch as OTLP/HTTP protobuf to
//! `{endpoint}/v1/traces`, http or https (rustls), through the reqwest the Google Cloud clients
//! use. On Cloud Run the endpoint is an OpenTelemetry Collector sidecar that forwards to Cloud
//! Trace.
//!
//! A tracer provider always exists, exporter or not: it gives every request a trace id (the
//! caller's, else a new one) that the request's and its jobs' log lines carry. Without an
//! endpoint it has no exporter and its spans go nowhere.
//!
//! Sampling is parent-based: a caller's `traceparent` (or `X-Cloud-Trace-Context`) decides,
//! sampled or not; a root span is sampled at `--otlp-sample-ratio`, except the probes and
//! scrapes, which are never a root span worth exporting: Cloud Run and Prometheus call them
//! every few seconds and they would drown the traces that matter.

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{
    Sampler, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample,
};
use opentelemetry_sdk::Resource;
use std::time::Duration;

/// Spans exported: the HTTP request and the job spans (`request`, `job`). Other spans are
/// for logs only.
pub const EXPORTED: [&str; 2] = ["request", "job"];

/// Routes never exported as a root span (a sampled caller's child still is).
pub const PROBES: [&str; 5] = ["/health", "/ready", "/healthz", "/readyz", "/metrics"];

/// The attribute the sampler reads the route from (OpenTelemetry's HTTP semantic conventions).
pub const ROUTE_ATTRIBUTE: &str = "http.route";

/// One POST of a batch. The collector is beside the service; a slow one must not hold spans
/// back for long, nor the shutdown.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the shutdown waits for the last spans to be sent: Cloud Run gives 10 s after
/// SIGTERM in all, most of it to the requests and jobs in flight (`cli/serve.rs`).
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("--otlp-endpoint '{0}' must be http://host[:port][/prefix] or https://... (an OTLP/HTTP collector)")]
    Endpoint(String),
    #[error("--otlp-sample-ratio {0} must be between 0 and 1")]
    Ratio(f64),
    #[error("cannot start the OTLP exporter")]
    Exporter(#[source] opentelemetry_otlp::ExporterBuildError),
}

/// Where spans are posted: `endpoint` (`http(s)://host[:port][/prefix]`) plus `/v1/traces`,
/// as the OTLP spec builds a signal's URL from `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub fn traces_url(endpoint: &str) -> Result<String, OtlpError> {
    let refuse = || OtlpError::Endpoint(endpoint.to_string());
    let mut url = reqwest::Url::parse(endpoint.trim()).map_err(|_| refuse())?;
    let host_ok = url.host_str().is_some_and(|h| !h.is_empty());
    if !matches!(url.scheme(), "http" | "https")
        || !host_ok
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(refuse());
    }
    let path = format!("{}/v1/traces", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url.to_string())
}

/// Checks a root-span sample ratio.
pub fn check_ratio(ratio: f64) -> Result<f64, OtlpError> {
    if (0.0..=1.0).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(OtlpError::Ratio(ratio))
    }
}

/// The tracer provider: sampled at `ratio` for root spans, exporting to `endpoint` if given.
pub fn provider(
    endpoint: Option<&str>,
    ratio: f64,
    service: &'static str,
) -> Result<SdkTracerProvider, OtlpError> {
    let ratio = check_ratio(ratio)?;
    let builder = SdkTracerProvider::builder()
        .with_sampler(ServiceSampler::new(ratio))
        .with_resource(Resource::builder().with_service_name(service).build());
    let Some(endpoint) = endpoint else {
        return Ok(builder.build());
    };
    // reqwest is built without a default crypto provider (no aws-lc); ring is ours.
    crate::tls::install_crypto_provider();
    // The batch processor sends from a thread of its own, not from the tokio runtime, hence the
    // blocking client (built by the exporter, with this timeout).
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(endpoint)?)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(OtlpError::Exporter)?;
    Ok(builder.with_batch_exporter(exporter).build())
}

/// A provider with no exporter: trace ids for log lines, nothing sent. What tests build on.
pub fn local_provider() -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_sampler(ServiceSampler::new(1.0))
        .build()
}

/// Parent-based sampling at a ratio for root spans, and never a probe or scrape as a root.
#[derive(Debug, Clone)]
pub struct ServiceSampler(Sampler);

impl ServiceSampler {
    pub fn new(ratio: f64) -> Self {
        Self(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
    }
}

impl ShouldSample for ServiceSampler {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let has_parent = parent.is_some_and(|cx| cx.span().span_context().is_valid());
        let probe = attributes.iter().any(|kv| {
            kv.key.as_str() == ROUTE_ATTRIBUTE && PROBES.contains(&kv.value.as_str().as_ref())
        });
        if probe && !has_parent {
            return SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: TraceState::default(),
            };
        }
        self.0
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags};

    #[test]
    fn endpoints_are_http_or_https_and_get_the_traces_path() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318").unwrap(),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://collector.example/otlp/").unwrap(),
            "https://collector.example/otlp/v1/traces"
        );
        for bad in [
            "127.0.0.1:4318",
            "collector:4318",
            "ftp://x:4318",
            "http://",
            "http://x:4318/?a=b",
            "http://user@x:4318",
            "",
        ] {
            assert!(traces_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ratios_outside_zero_to_one_are_refused() {
        assert!(check_ratio(0.0).is_ok() && check_ratio(1.0).is_ok());
        for bad in [-0.1, 1.5, f64::NAN] {
            assert!(check_ratio(bad).is_err(), "{bad}");
        }
    }

    fn decide(sampler: &ServiceSampler, parent: Option<bool>, route: &str) -> SamplingDecision {
        let cx = match parent {
            Some(sampled) => Context::new().with_remote_span_context(SpanContext::new(
                TraceId::from(7_u128),
                SpanId::from(9_u64),
                if sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                },
                true,
                TraceState::default(),
            )),
            None => Context::new(),
        };
        sampler
            .should_sample(
                Some(&cx),
                TraceId::from(7_u128),
                "request",
                &SpanKind::Server,
                &[KeyValue::new(ROUTE_ATTRIBUTE, route.to_string())],
                &[],
            )
            .decision
    }

    #[test]
    fn probes_are_never_roots_and_callers_decide() {
        let all = ServiceSampler::new(1.0);
        assert_eq!(
            decide(&all, None, "/status"),
            SamplingDecision::RecordAndSample
        );
        for probe in PROBES {
            assert_eq!(decide(&all, None, probe), SamplingDecision::Drop, "{probe}");
            assert_eq!(
                decide(&all, Some(true), probe),
                SamplingDecision::RecordAndSample,
                "{probe}"
            );
        }
        assert_eq!(decide(&all, Some(false), "/status"), SamplingDecision::Drop);
        let none = ServiceSampler::new(0.0);
        assert_eq!(decide(&none, None, "/status"), SamplingDecision::Drop);
        assert_eq!(
            decide(&none, Some(true), "/status"),
            SamplingDecision::RecordAndSample
        );
    }
}
