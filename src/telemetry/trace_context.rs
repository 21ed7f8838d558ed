//! The caller's trace, from W3C `traceparent` or Google's `X-Cloud-Trace-Context`: the parent
//! of the request's span, so the request joins the caller's trace, in the exported spans and in
//! Cloud Logging alike.

use axum::extract::MatchedPath;
use axum::http::{HeaderMap, Request, Response};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use std::time::Duration;
use tower_http::trace::{DefaultOnResponse, OnResponse};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// The caller's span: 16 hex digits (traceparent) or a decimal (X-Cloud-Trace-Context).
    pub span_id: Option<String>,
    pub sampled: bool,
}

impl TraceContext {
    /// Reads `traceparent` first (what Cloud Run forwards today), then
    /// `X-Cloud-Trace-Context`. Malformed headers are ignored, never an error.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        get("traceparent")
            .and_then(parse_traceparent)
            .or_else(|| get("x-cloud-trace-context").and_then(parse_cloud_trace))
    }
}

/// `00-<32 hex trace>-<16 hex span>-<2 hex flags>`; all-zero ids are invalid.
pub fn parse_traceparent(value: &str) -> Option<TraceContext> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version.len() != 2 || version == "ff" || !is_hex(version) {
        return None;
    }
    if version == "00" && parts.next().is_some() {
        return None;
    }
    if trace.len() != 32 || !is_hex(trace) || trace.bytes().all(|b| b == b'0') {
        return None;
    }
    if span.len() != 16 || !is_hex(span) || span.bytes().all(|b| b == b'0') {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16)
        .ok()
        .filter(|_| flags.len() == 2)?;
    Some(TraceContext {
        trace_id: trace.to_ascii_lowercase(),
        span_id: Some(span.to_ascii_lowercase()),
        sampled: flags & 1 == 1,
    })
}

/// `TRACE_ID[/SPAN_ID][;o=OPTIONS]`, the span id decimal.
pub fn parse_cloud_trace(value: &str) -> Option<TraceContext> {
    let (ids, options) = match value.trim().split_once(';') {
        Some((ids, options)) => (ids, Some(options)),
        None => (value.trim(), None),
    };
    let (trace, span) = match ids.split_once('/') {
        Some((t, s)) => (t, Some(s)),
        None => (ids, None),
    };
    if trace.len() != 32 || !is_hex(trace) {
        return None;
    }
    let span = span.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    Some(TraceContext {
        trace_id: trace.to_ascii_lowercase(),
        span_id: span.map(str::to_string),
        sampled: options == Some("o=1"),
    })
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl TraceContext {
    /// The caller's span as an OpenTelemetry parent; `None` without a usable span id (an
    /// `X-Cloud-Trace-Context` with none names a trace but no span to be a child of).
    pub fn remote_parent(&self, trace_state: TraceState) -> Option<SpanContext> {
        let trace = TraceId::from_hex(&self.trace_id).ok()?;
        let span = self.span_id.as_deref()?;
        let span = if span.len() == 16 {
            SpanId::from_hex(span).ok()?
        } else {
            // X-Cloud-Trace-Context's span id is a decimal u64.
            SpanId::from(span.parse::<u64>().ok()?)
        };
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let context = SpanContext::new(trace, span, flags, true, trace_state);
        context.is_valid().then_some(context)
    }
}

/// The caller's context, to be the request span's parent: from `traceparent` (with its
/// `tracestate`), else from `X-Cloud-Trace-Context`.
fn caller_context(headers: &HeaderMap) -> Option<opentelemetry::Context> {
    let trace = TraceContext::from_headers(headers)?;
    let state = headers
        .get("tracestate")
        .filter(|_| headers.contains_key("traceparent"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<TraceState>().ok())
        .unwrap_or_default();
    let parent = trace.remote_parent(state)?;
    Some(opentelemetry::Context::new().with_remote_span_context(parent))
}

/// The span of one HTTP request, an OpenTelemetry server span in the caller's trace, with the
/// semantic conventions' HTTP attributes: method, route template (also its name, `GET
/// /jobs/{id}`) and path. Only the path is recorded, never the query string or headers (they
/// may carry a token). Its log lines carry its trace (`telemetry::link_logs`).
pub fn request_span<B>(request: &Request<B>) -> Span {
    let method = request.method().as_str();
    // Routing ran before this layer (Router::layer wraps each route), so the template is known.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_string(),
    };
    let span = tracing::info_span!(
        "request",
        otel.name = %name,
        otel.kind = "server",
        "http.request.method" = %method,
        "http.route" = route,
        "url.path" = %request.uri().path(),
        "http.response.status_code" = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    if let Some(parent) = caller_context(request.headers()) {
        // Only fails when the span is disabled or already started; neither can be here.
        let _ = span.set_parent(parent);
    }
    // After the parent: this starts the span, and the sampler decides with its attributes.
    super::link_logs(&span);
    span
}

/// Records the response on the request span: its status code, and an error status on a 5xx
/// (a 4xx is the client's error, not the server span's, in the semantic conventions).
pub fn record_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status();
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    DefaultOnResponse::default().on_response(response, latency, span);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_traceparent() {
        let t =
            parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.span_id.as_deref(), Some("00f067aa0ba902b7"));
        assert!(t.sampled);
        let unsampled =
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!unsampled.sampled);
    }

    #[test]
    fn refuses_malformed_traceparent() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_cloud_trace_context() {
        let t = parse_cloud_trace("105445aa7843bc8bf206b12000100000/1;o=1").unwrap();
        assert_eq!(t.trace_id, "105445aa7843bc8bf206b12000100000");
        assert_eq!(t.span_id.as_deref(), Some("1"));
        assert!(t.sampled);
        let bare = parse_cloud_trace("105445aa7843bc8bf206b12000100000").unwrap();
        assert_eq!((bare.span_id, bare.sampled), (None, false));
        assert_eq!(parse_cloud_trace("nothex/1;o=1"), None);
    }

    #[test]
    fn traceparent_wins_over_cloud_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-cloud-trace-context",
            "105445aa7843bc8bf206b12000100000/1;o=1".parse().unwrap(),
        );
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let t = TraceContext::from_headers(&headers).unwrap();
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        headers.remove("traceparent");
        let t = TraceContext::from_headers(&headers).unwrap();
        assert_eq!(t.trace_id, "105445aa7843bc8bf206b12000100000");
    }

    #[test]
    fn callers_become_remote_parents() {
        let w3c =
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let parent = w3c.remote_parent(TraceState::default()).unwrap();
        assert_eq!(
            parent.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(parent.span_id().to_string(), "00f067aa0ba902b7");
        assert!(parent.is_sampled() && parent.is_remote());
        let cloud = parse_cloud_trace("105445aa7843bc8bf206b12000100000/255;o=0").unwrap();
        let parent = cloud.remote_parent(TraceState::default()).unwrap();
        assert_eq!(parent.span_id().to_string(), "00000000000000ff");
        assert!(!parent.is_sampled());
        let bare = parse_cloud_trace("105445aa7843bc8bf206b12000100000").unwrap();
        assert_eq!(bare.remote_parent(TraceState::default()), None);
        let zero = parse_cloud_trace("105445aa7843bc8bf206b12000100000/0;o=1").unwrap();
        assert_eq!(zero.remote_parent(TraceState::default()), None);
    }
}
