//! OpenTelemetry export through the real binary: a collector stand-in on 127.0.0.1 (a plain
//! HTTP listener that keeps what it is sent; no collector is packaged for this machine)
//! receives OTLP/JSON, and a request that carried a `traceparent` yields a request span and a
//! job span in the caller's trace, parented request -> job.

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Accepts POSTs, answers 200 and keeps each JSON body.
fn collector() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                if let Ok(v) = serde_json::from_slice(&body) {
                    kept.lock().unwrap().push(v);
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        }
    });
    (addr, bodies)
}

fn spans(bodies: &[Value]) -> Vec<Value> {
    bodies
        .iter()
        .flat_map(|b| {
            b["resourceSpans"][0]["scopeSpans"][0]["spans"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?["value"]["stringValue"]
        .as_str()
}

#[test]
fn request_and_job_spans_reach_the_collector_in_the_callers_trace() {
    let (collector_addr, bodies) = collector();
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["--scale", "small", "--otlp-endpoint"])
        .arg(format!("http://{collector_addr}"))
        .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
        .env("RUST_LOG", "warn")
        .env_remove("RP_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let addr = common::serve_address(&mut child);

    // POST /generate with the caller's trace.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let body = r#"{"date": "2026-03-01", "hour": 5}"#;
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "POST /generate HTTP/1.1\r\nHost: {addr}\r\ntraceparent: 00-{trace}-{caller_span}-01\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let (request, job) = loop {
        let all = spans(&bodies.lock().unwrap());
        let find = |name: &str| all.iter().find(|s| s["name"] == name).cloned();
        if let (Some(r), Some(j)) = (find("request"), find("job")) {
            break (r, j);
        }
        assert!(Instant::now() < deadline, "spans received: {all:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(request["traceId"], trace, "{request}");
    assert_eq!(request["parentSpanId"], caller_span, "{request}");
    assert_eq!(attribute(&request, "path"), Some("/generate"), "{request}");
    assert_eq!(job["traceId"], trace, "{job}");
    assert_eq!(job["parentSpanId"], request["spanId"], "{job}");
    assert_eq!(attribute(&job, "kind"), Some("generate"), "{job}");
    let nanos = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<u128>().ok())
            .expect("time")
    };
    assert!(nanos(&job["endTimeUnixNano"]) >= nanos(&job["startTimeUnixNano"]));

    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_bad_endpoint_is_refused_at_start() {
    let o = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .args([
            "--otlp-endpoint",
            "https://collector.example:4318",
            "scenario",
            "list",
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--otlp-endpoint") && err.contains("http://host:port"),
        "{err}"
    );
}
