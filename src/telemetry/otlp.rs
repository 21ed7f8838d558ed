//! OpenTelemetry traces over OTLP/HTTP with JSON encoding: one span per request and per job,
//! sent in batches to `{endpoint}/v1/traces` of a collector over plain HTTP: on Cloud Run an
//! OpenTelemetry Collector sidecar on localhost, which forwards to Cloud Trace. Written against
//! the OTLP spec rather than pulling in the opentelemetry crates and their gRPC stack: two span
//! kinds need a hundred lines, not a dependency tree. With no endpoint configured no layer is
//! installed, so it costs nothing.
//!
//! A span joins the caller's trace: `trace_id` / `span_id` fields recorded on the request span
//! (from `traceparent`) become its trace and parent; a job span inherits the trace of the span
//! it was started in. Spans are queued without blocking; a full queue drops spans (counted)
//! rather than slowing the service. Spans still queued when the process exits are lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Spans exported: the HTTP request and the job spans (`request`, `job`).
pub const EXPORTED: [&str; 2] = ["request", "job"];
const QUEUE: usize = 4_096;
const BATCH: usize = 512;
/// How long a batch waits for more spans after its first.
const LINGER: Duration = Duration::from_millis(200);

/// Spans dropped because the queue was full or the collector refused them.
pub static DROPPED_SPANS: AtomicU64 = AtomicU64::new(0);

/// One finished span, ready to encode.
#[derive(Debug, Clone)]
struct SpanRecord {
    trace_id: u128,
    span_id: u64,
    parent: Option<u64>,
    name: &'static str,
    start: u128,
    end: u128,
    attributes: Vec<(&'static str, String)>,
}

/// What a live span carries in its extensions.
struct Live(SpanRecord);

pub struct OtlpLayer {
    queue: SyncSender<SpanRecord>,
}

impl OtlpLayer {
    /// The layer and its exporter thread, sending to `endpoint` (`http://host:4318`).
    pub fn start(endpoint: &str, service: &str) -> Result<Self, String> {
        let target = Target::parse(endpoint)?;
        let (queue, rx) = sync_channel(QUEUE);
        let service = service.to_string();
        std::thread::Builder::new()
            .name("otlp-export".into())
            .spawn(move || export_loop(&target, &service, rx))
            .map_err(|e| format!("cannot start the OTLP exporter: {e}"))?;
        Ok(Self { queue })
    }
}

/// Where spans go: `host:port` and the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub authority: String,
    pub path: String,
}

impl Target {
    /// `http://host:port[/prefix]`; spans go to `/prefix/v1/traces`. Plain HTTP only: the
    /// collector runs beside the service (a sidecar or a local agent).
    pub fn parse(endpoint: &str) -> Result<Self, String> {
        let rest = endpoint.trim().strip_prefix("http://").ok_or_else(|| {
            format!("--otlp-endpoint '{endpoint}' must be http://host:port (a collector beside the service)")
        })?;
        let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let port_ok = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(format!(
                "--otlp-endpoint '{endpoint}' needs a host and a port"
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        Ok(Self {
            authority: authority.to_string(),
            path: if prefix.is_empty() {
                "/v1/traces".into()
            } else {
                format!("/{prefix}/v1/traces")
            },
        })
    }

    /// One POST; true on a 2xx answer.
    fn post(&self, body: &[u8]) -> bool {
        use std::io::{Read, Write};
        let attempt = || -> std::io::Result<bool> {
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&self.authority)?
                .next()
                .ok_or(std::io::ErrorKind::NotFound)?;
            let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            stream.set_write_timeout(Some(Duration::from_secs(5)))?;
            write!(
                stream,
                "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                self.path,
                self.authority,
                body.len()
            )?;
            stream.write_all(body)?;
            let mut head = [0u8; 12];
            stream.read_exact(&mut head)?;
            Ok(head.starts_with(b"HTTP/1.") && head[9] == b'2')
        };
        attempt().unwrap_or(false)
    }
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let name = span.metadata().name();
        if !EXPORTED.contains(&name) {
            return;
        }
        // The nearest exported ancestor gives the trace and the parent.
        let ancestor = span.scope().skip(1).find_map(|s| {
            s.extensions()
                .get::<Live>()
                .map(|l| (l.0.trace_id, l.0.span_id))
        });
        let mut record = SpanRecord {
            trace_id: ancestor.map_or_else(random_u128, |(t, _)| t),
            span_id: random_u64(),
            parent: ancestor.map(|(_, s)| s),
            name,
            start: now_nanos(),
            end: 0,
            attributes: Vec::new(),
        };
        attrs.record(&mut Fields(&mut record));
        span.extensions_mut().insert(Live(record));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(live) = extensions.get_mut::<Live>() {
            values.record(&mut Fields(&mut live.0));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Live(mut record)) = span.extensions_mut().remove::<Live>() else {
            return;
        };
        record.end = now_nanos();
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(record)
        {
            DROPPED_SPANS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Fields become attributes; the caller's `trace_id` and `span_id` become trace and parent.
struct Fields<'a>(&'a mut SpanRecord);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "trace_id" => {
                if let Ok(t) = u128::from_str_radix(value, 16) {
                    self.0.trace_id = t;
                }
            }
            // The caller's span is hex (traceparent) or decimal (X-Cloud-Trace-Context).
            "span_id" => {
                let parsed = if value.len() == 16 {
                    u64::from_str_radix(value, 16).ok()
                } else {
                    value.parse().ok()
                };
                if parsed.is_some() {
                    self.0.parent = parsed;
                }
            }
            name => self.0.attributes.push((name, value.to_string())),
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

fn export_loop(target: &Target, service: &str, rx: Receiver<SpanRecord>) {
    // Block for the first span, then take what else is queued, up to a batch.
    while let Ok(first) = rx.recv() {
        std::thread::sleep(LINGER);
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
        let body = encode(service, &batch).to_string();
        // Never log from here: a log line inside the exporter could feed the exporter.
        if !target.post(body.as_bytes()) {
            DROPPED_SPANS.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
    }
}

/// The OTLP/JSON `ExportTraceServiceRequest` of `spans` (ids in hex, times as strings).
fn encode(service: &str, spans: &[SpanRecord]) -> serde_json::Value {
    let string = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let spans: Vec<_> = spans
        .iter()
        .map(|s| {
            let mut span = serde_json::json!({
                "traceId": format!("{:032x}", s.trace_id),
                "spanId": format!("{:016x}", s.span_id),
                "name": s.name,
                // SERVER for requests, INTERNAL for jobs.
                "kind": if s.name == "request" { 2 } else { 1 },
                "startTimeUnixNano": s.start.to_string(),
                "endTimeUnixNano": s.end.to_string(),
                "attributes": s.attributes.iter().map(|(k, v)| string(k, v)).collect::<Vec<_>>(),
            });
            if let Some(parent) = s.parent {
                span["parentSpanId"] = format!("{parent:016x}").into();
            }
            span
        })
        .collect();
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [string("service.name", service)]},
        "scopeSpans": [{"scope": {"name": "retail-pipeline"}, "spans": spans}],
    }]})
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Span ids need uniqueness, not secrecy: SplitMix64 over a counter seeded from the clock.
fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut z = STATE
        .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
        .wrapping_add(now_nanos() as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).max(1)
}

fn random_u128() -> u128 {
    (u128::from(random_u64()) << 64) | u128::from(random_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_otlp_json() {
        let span = SpanRecord {
            trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
            span_id: 1,
            parent: Some(0x00f0_67aa_0ba9_02b7),
            name: "request",
            start: 10,
            end: 20,
            attributes: vec![("path", "/generate".into())],
        };
        let json = encode("svc", &[span]);
        let s = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(s["spanId"], "0000000000000001");
        assert_eq!(s["parentSpanId"], "00f067aa0ba902b7");
        assert_eq!(s["kind"], 2);
        assert_eq!(s["startTimeUnixNano"], "10");
        assert_eq!(s["attributes"][0]["value"]["stringValue"], "/generate");
        assert_eq!(
            json["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"],
            "svc"
        );
    }

    #[test]
    fn endpoints_are_plain_http_with_a_port() {
        assert_eq!(
            Target::parse("http://127.0.0.1:4318").unwrap(),
            Target {
                authority: "127.0.0.1:4318".into(),
                path: "/v1/traces".into()
            }
        );
        assert_eq!(
            Target::parse("http://collector:4318/otlp/").unwrap().path,
            "/otlp/v1/traces"
        );
        for bad in [
            "https://x:4318",
            "127.0.0.1:4318",
            "http://host",
            "http://:4318",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_distinct_and_never_zero() {
        let ids: std::collections::BTreeSet<u64> = (0..10_000).map(|_| random_u64()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(!ids.contains(&0));
    }
}
