//! Log lines as Cloud Logging reads them: severity, message, source location, and the
//! caller's trace from `traceparent` or `X-Cloud-Trace-Context`, through the real router.

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

#[test]
fn span_fields_reach_the_line_and_trace_is_named_by_project() {
    let (lines, _guard) = capture(true, Some("retail-demo"));
    let span = tracing::info_span!(
        "request",
        path = "/status",
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id = "00f067aa0ba902b7",
        trace_sampled = true
    );
    span.in_scope(|| tracing::info!(rows = 5_u64, "answered"));
    let line = &lines.json()[0];
    assert_eq!(line["path"], "/status");
    assert_eq!(line["rows"], 5);
    assert_eq!(
        line[telemetry::TRACE_KEY],
        "projects/retail-demo/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(line[telemetry::SPAN_KEY], "00f067aa0ba902b7");
    assert_eq!(line[telemetry::SAMPLED_KEY], true);
    assert!(line.get("trace_id").is_none());
}

#[test]
fn without_a_project_the_trace_id_stays_a_plain_field() {
    let (lines, _guard) = capture(true, None);
    tracing::info_span!("request", trace_id = "4bf92f3577b34da6a3ce929d0e0e4736")
        .in_scope(|| tracing::info!("answered"));
    let line = &lines.json()[0];
    assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(line.get(telemetry::TRACE_KEY).is_none());
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
        assert_eq!(line["path"], "/generate");
        assert_eq!(line["method"], "POST");
    }
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("s3cret") && !all.contains("leak-me"), "{all}");
}
