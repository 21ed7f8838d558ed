//! OpenTelemetry export through the real binary. A collector stand-in on 127.0.0.1 (an axum
//! server in the test: no collector is packaged for this machine) receives OTLP/HTTP and decodes
//! each body with the official protobuf definitions (`opentelemetry-proto`), so what is checked
//! is what a real collector would read: sampling, the semantic-convention HTTP attributes, span
//! status, and that the spans still batched at SIGTERM arrive before the process exits.

mod common;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};
use prost::Message;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the collector was sent: each request's content type and decoded body.
type Received = Arc<Mutex<Vec<(String, ExportTraceServiceRequest)>>>;

/// Serves `POST /v1/traces` on 127.0.0.1, keeping each decoded export; answers 200 with an
/// empty `ExportTraceServiceResponse`, or 400 to a body that does not decode.
fn collector() -> (String, Received) {
    use axum::http::{HeaderMap, StatusCode as Http};
    let received: Received = Arc::default();
    let kept = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("collector runtime");
        runtime.block_on(async move {
            let app = axum::Router::new().route(
                "/v1/traces",
                axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                    let kept = kept.clone();
                    async move {
                        let Ok(export) = ExportTraceServiceRequest::decode(body) else {
                            return Http::BAD_REQUEST;
                        };
                        let content_type = headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        kept.lock().unwrap().push((content_type, export));
                        Http::OK
                    }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("collector");
        });
    });
    (addr, received)
}

fn spans(received: &Received) -> Vec<Span> {
    received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, export)| &export.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| s.spans.clone())
        .collect()
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a AnyValue> {
    span.attributes
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()
}

fn string_attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    match attribute(span, key)? {
        AnyValue::StringValue(s) => Some(s),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One HTTP/1.1 request with `headers`; the status code and the body.
fn call(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = if method == "POST" {
        r#"{"date": "2026-03-01", "hour": 5}"#
    } else {
        ""
    };
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(head.as_bytes()).expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let status = response
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn traceparent(trace: &str, span: &str, sampled: bool) -> String {
    format!("00-{trace}-{span}-{}", if sampled { "01" } else { "00" })
}

#[test]
fn spans_are_sampled_follow_the_conventions_and_are_flushed_at_sigterm() {
    let (collector_addr, received) = collector();
    let data = tempfile::tempdir().expect("temp dir");
    let stderr_path = data.path().join("stderr.log");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut child = common::binary(data.path())
        .args(["--scale", "small", "--log-format", "json"])
        .arg("--otlp-endpoint")
        .arg(format!("http://{collector_addr}"))
        .args(common::SERVE_ON_LOOPBACK)
        .args(["--schedule", "false"])
        .env("RUST_LOG", "info")
        // A minute between batches: whatever arrives before it came with the shutdown flush.
        .env("OTEL_BSP_SCHEDULE_DELAY", "60000")
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn serve");
    // Under --log-format json the banner on stdout is a JSON line too.
    let mut banner = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut banner).expect("banner");
    let banner: serde_json::Value =
        serde_json::from_str(&banner).unwrap_or_else(|e| panic!("not JSON ({e}): {banner}"));
    assert_eq!(banner["severity"], "INFO", "{banner}");
    assert!(banner["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("retail-pipeline listening on http://127.0.0.1:")));
    let addr = banner["addr"].as_str().expect("addr").to_string();
    assert_eq!(banner["url"], format!("http://{addr}"));

    // Roots: a read is exported; the probes and the scrape are not.
    assert_eq!(call(&addr, "GET", "/status", &[]).0, 200);
    for probe in ["/health", "/healthz", "/ready", "/readyz", "/metrics"] {
        assert_eq!(call(&addr, "GET", probe, &[]).0, 200, "{probe}");
    }
    // Callers decide: not sampled is not exported, sampled is, and so is the job it starts.
    let unsampled = "0af7651916cd43dd8448eb211c80319c";
    let sampled = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let header = traceparent(unsampled, caller_span, false);
    assert_eq!(
        call(&addr, "GET", "/status", &[("traceparent", &header)]).0,
        200
    );
    let header = traceparent(sampled, caller_span, true);
    let (status, body) = call(&addr, "POST", "/generate", &[("traceparent", &header)]);
    assert_eq!(status, 202, "{body}");
    let job: serde_json::Value = serde_json::from_str(&body).expect("job JSON");
    let job_id = job["job_id"].as_str().expect("job id").to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = call(&addr, "GET", &format!("/jobs/{job_id}"), &[]);
        if !body.contains("\"state\":\"running\"") {
            assert!(body.contains("\"state\":\"completed\""), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "job still running: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A 5xx: readiness fails once the lake's identity file is gone. A probe, so exported only
    // as the child of a sampled caller.
    std::fs::remove_file(data.path().join("lake").join("_lake.json")).expect("remove identity");
    let failing = "5b8efff798038103d269b633813fc60c";
    let header = traceparent(failing, caller_span, true);
    assert_eq!(
        call(&addr, "GET", "/ready", &[("traceparent", &header)]).0,
        503
    );

    // Nothing sent yet: the batch waits a minute.
    assert!(spans(&received).is_empty(), "{:?}", spans(&received));
    let started = Instant::now();
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM");
    let exit = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no exit in 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");

    // Everything below arrived before the process exited: the flush.
    let all = spans(&received);
    assert!(
        !all.is_empty(),
        "no span arrived before the exit: no flush at shutdown"
    );
    let (content_type, _) = received.lock().unwrap()[0].clone();
    assert_eq!(content_type, "application/x-protobuf");
    let route = |s: &Span| string_attribute(s, "http.route").map(str::to_string);
    let status_roots: Vec<&Span> = all
        .iter()
        .filter(|s| route(s).as_deref() == Some("/status"))
        .collect();
    assert_eq!(status_roots.len(), 1, "{all:?}");
    let status_span = status_roots[0];
    assert_eq!(status_span.name, "GET /status");
    assert_eq!(status_span.kind, SpanKind::Server as i32);
    assert!(status_span.parent_span_id.is_empty(), "a root");
    assert_eq!(
        string_attribute(status_span, "http.request.method"),
        Some("GET")
    );
    assert_eq!(
        attribute(status_span, "http.response.status_code"),
        Some(&AnyValue::IntValue(200))
    );
    let unset = StatusCode::Unset as i32;
    assert!(status_span.status.as_ref().is_none_or(|s| s.code == unset));
    for probe in ["/health", "/healthz", "/readyz", "/metrics"] {
        assert!(
            all.iter().all(|s| route(s).as_deref() != Some(probe)),
            "{probe} exported: {all:?}"
        );
    }
    assert!(
        all.iter().all(|s| hex(&s.trace_id) != unsampled),
        "an unsampled caller's request was exported"
    );

    // The route template, not the path.
    let job_reads: Vec<&Span> = all
        .iter()
        .filter(|s| route(s).as_deref() == Some("/jobs/{id}"))
        .collect();
    assert!(!job_reads.is_empty(), "{all:?}");
    assert_eq!(job_reads[0].name, "GET /jobs/{id}");
    assert_eq!(
        string_attribute(job_reads[0], "url.path"),
        Some(format!("/jobs/{job_id}").as_str())
    );

    // The sampled caller's request and the job it started, in the caller's trace.
    let in_trace: Vec<&Span> = all.iter().filter(|s| hex(&s.trace_id) == sampled).collect();
    let request = in_trace
        .iter()
        .find(|s| s.name == "POST /generate")
        .unwrap_or_else(|| panic!("no request span: {in_trace:?}"));
    assert_eq!(hex(&request.parent_span_id), caller_span);
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(&AnyValue::IntValue(202))
    );
    let job_span = in_trace
        .iter()
        .find(|s| s.name == "job")
        .unwrap_or_else(|| panic!("no job span: {in_trace:?}"));
    assert_eq!(job_span.parent_span_id, request.span_id);
    assert_eq!(string_attribute(job_span, "kind"), Some("generate"));
    assert_eq!(job_span.kind, SpanKind::Internal as i32);
    assert!(job_span.end_time_unix_nano >= job_span.start_time_unix_nano);

    // The failing probe: exported under its sampled caller, with an error status.
    let ready = all
        .iter()
        .find(|s| hex(&s.trace_id) == failing)
        .unwrap_or_else(|| panic!("no /ready span: {all:?}"));
    assert_eq!(route(ready).as_deref(), Some("/ready"));
    assert_eq!(
        attribute(ready, "http.response.status_code"),
        Some(&AnyValue::IntValue(503))
    );
    assert_eq!(
        ready.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );

    // Logs: every line is JSON, and the job's lines carry the trace of the request that
    // started it (no project here: the bare trace id).
    let logs = std::fs::read_to_string(&stderr_path).expect("stderr");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ended = lines
        .iter()
        .find(|l| l["message"] == "generate job ended")
        .unwrap_or_else(|| panic!("no job line: {logs}"));
    assert_eq!(ended["logging.googleapis.com/trace"], sampled, "{ended}");
    assert_eq!(
        ended["logging.googleapis.com/spanId"],
        hex(&job_span.span_id),
        "{ended}"
    );
}

#[test]
fn https_endpoints_are_accepted_and_bad_ones_refused_at_start() {
    // https builds the exporter's rustls client (ring): a missing crypto provider would panic.
    let o = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .args([
            "--otlp-endpoint",
            "https://127.0.0.1:9/otlp",
            "scenario",
            "list",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (flag, value, says) in [
        (
            "--otlp-endpoint",
            "ftp://collector.example:4318",
            "http://host",
        ),
        ("--otlp-endpoint", "collector:4318", "http://host"),
        ("--otlp-sample-ratio", "1.5", "between 0 and 1"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
            .args([flag, value, "scenario", "list"])
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(flag) && err.contains(says), "{err}");
    }
}
