//! The caller's trace, from W3C `traceparent` or Google's `X-Cloud-Trace-Context`, so a
//! request's log lines group under its trace in Cloud Logging.

use axum::http::{HeaderMap, Request};
use tracing::Span;

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

/// The span of one HTTP request: method, path and, when the caller sent one, its trace. Only
/// the path is logged, never the query string or headers (they may carry a token).
pub fn request_span<B>(request: &Request<B>) -> Span {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        trace_sampled = tracing::field::Empty,
    );
    if let Some(trace) = TraceContext::from_headers(request.headers()) {
        span.record("trace_id", trace.trace_id.as_str());
        if let Some(id) = &trace.span_id {
            span.record("span_id", id.as_str());
        }
        span.record("trace_sampled", trace.sampled);
    }
    span
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
}
