//! Log lines as Cloud Logging reads them: severity, message, source location, and the trace of
//! the request (the caller's, from `traceparent` or `X-Cloud-Trace-Context`, else a new one),
//! also on the lines of the jobs it starts, through the real router.

use axum::body::Body;
use axum::http::Request;
use retail_pipeline::api::build_router;
use retail_pipeline::app::{App, AppState, ServiceSettings};
use retail_pipeline::config::Config;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::telemetry;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use tracing_subscriber::EnvFilter;

/// Collects every line the subscriber writes.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

fn capture(json: bool, project: Option<&str>) -> (Lines, tracing::subscriber::DefaultGuard) {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = telemetry::subscriber(
        json,
        project.map(str::to_owned),
        EnvFilter::new("debug"),
        move || writer.clone(),
    );
    (lines, tracing::subscriber::set_default(subscriber))
}

#[test]
fn json_lines_carry_severity_message_and_fields() {
    let (lines, _guard) = capture(true, Some("retail-demo"));
    tracing::warn!(hours = 3_u64, table = "sales_data", "partition late");
    tracing::error!("refresh failed");
    tracing::debug!("detail");
    let lines = lines.json();
    assert_eq!(lines.len(), 3);
    let warn = &lines[0];
    assert_eq!(warn["severity"], "WARNING");
    assert_eq!(warn["message"], "partition late");
    assert_eq!(warn["hours"], 3);
    assert_eq!(warn["table"], "sales_data");
    assert_eq!(
        warn["logging.googleapis.com/sourceLocation"]["file"],
        "tests/logs.rs"
    );
    assert!(warn["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["severity"], "ERROR");
    assert_eq!(lines[2]["severity"], "DEBUG");
    assert!(warn.get(telemetry::TRACE_KEY).is_none());
}

/// A request span from the router's own `request_span`, for a POST to /generate with `header`.
fn request_with(header: &str, value: &str) -> tracing::Span {
    let request = Request::post("/generate")
        .header(header, value)
        .body(())
        .unwrap();
    telemetry::request_span(&request)
}

#[test]
fn span_fields_reach_the_line_and_trace_is_named_by_project() {
    let (lines, _guard) = capture(true, Some("retail-demo"));
    let span = request_with(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    );
    span.in_scope(|| tracing::info!(rows = 5_u64, "answered"));
    let line = &lines.json()[0];
    assert_eq!(line["url.path"], "/generate");
    assert_eq!(line["http.request.method"], "POST");
    assert_eq!(line["rows"], 5);
    assert_eq!(
        line[telemetry::TRACE_KEY],
        "projects/retail-demo/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    );
    // The request's own span, a child of the caller's.
    let span_id = line[telemetry::SPAN_KEY].as_str().unwrap();
    assert_eq!(span_id.len(), 16);
    assert_ne!(span_id, "00f067aa0ba902b7");
    assert_eq!(line[telemetry::SAMPLED_KEY], true);
    // Instructions to the OpenTelemetry layer are not log data.
    assert!(line.get("otel.name").is_none() && line.get("otel.kind").is_none());
}

#[test]
fn without_a_project_the_trace_key_holds_the_bare_trace_id() {
    let (lines, _guard) = capture(true, None);
    request_with(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )
    .in_scope(|| tracing::info!("answered"));
    let line = &lines.json()[0];
    assert_eq!(
        line[telemetry::TRACE_KEY],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(line[telemetry::SAMPLED_KEY], false);
}

/// A job started inside a request logs under the request's trace, and so does a request with
/// no caller: it starts a trace of its own.
#[test]
fn jobs_log_under_the_trace_of_the_request_that_started_them() {
    for project in [None, Some("retail-demo")] {
        let (lines, _guard) = capture(true, project);
        let request = Request::get("/status").body(()).unwrap();
        let span = telemetry::request_span(&request);
        span.in_scope(|| {
            tracing::info!("request line");
            let job = tracing::info_span!("job", job = "gen-1");
            telemetry::link_logs(&job);
            job.in_scope(|| tracing::info!("job line"));
        });
        drop(span);
        let lines = lines.json();
        let (request_line, job_line) = (&lines[0], &lines[1]);
        let trace = request_line[telemetry::TRACE_KEY].as_str().unwrap();
        assert!(trace.len() >= 32, "{request_line}");
        assert_eq!(job_line[telemetry::TRACE_KEY], trace, "{job_line}");
        assert_ne!(
            job_line[telemetry::SPAN_KEY],
            request_line[telemetry::SPAN_KEY]
        );
        assert_eq!(job_line["job"], "gen-1");
    }
}

#[test]
fn text_format_is_readable_not_json() {
    let (lines, _guard) = capture(false, None);
    tracing::info!(hours = 3_u64, "generated");
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("INFO") && text.contains("generated") && text.contains("hours=3"));
    assert!(serde_json::from_str::<Value>(text.trim()).is_err());
}

/// The router's request span picks the trace up from either header; the token of an
/// Authorization header and the query string never reach the log.
#[tokio::test]
async fn requests_log_under_the_callers_trace() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::local(dir.path(), 42, Scale::preset(ScaleName::Small));
    let settings = ServiceSettings {
        api_token: Some("s3cret-token".into()),
        ..ServiceSettings::default()
    };
    let app = Arc::new(App::build(config, settings).await.unwrap());
    let router = build_router(AppState(app));
    let (lines, _guard) = capture(true, Some("retail-demo"));
    let traced = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        (
            "x-cloud-trace-context",
            "105445aa7843bc8bf206b12000100000/7;o=1",
            "105445aa7843bc8bf206b12000100000",
        ),
    ];
    for (header, value, _) in traced {
        let request = Request::post("/generate?token=leak-me")
            .header(header, value)
            .header("authorization", "Bearer s3cret-token-wrong")
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401);
    }
    let lines = lines.json();
    for (_, _, trace) in traced {
        let want = format!("projects/retail-demo/traces/{trace}");
        let line = lines
            .iter()
            .find(|l| l[telemetry::TRACE_KEY] == want.as_str())
            .unwrap_or_else(|| panic!("no line under trace {trace}: {lines:?}"));
        assert_eq!(line["url.path"], "/generate");
        assert_eq!(line["http.request.method"], "POST");
        assert_eq!(line["http.route"], "/generate");
    }
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("s3cret") && !all.contains("leak-me"), "{all}");
}
