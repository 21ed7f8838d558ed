//! Seed 003's own curl flows, run with bash and curl against the real binary on a loopback
//! port: its README's "Quick Demo" and its docs/deployment-guide.md's "API Endpoints" and
//! "Complete demo flow" (mhassan01/gcp-realtime-data-pipeline), each command as written there.
//! The only edits are the ones its reader makes: `https://YOUR_SERVICE_URL` becomes the
//! service's address, the `TASK_ID` placeholder the id a start answered, and the gcloud, bq and
//! `open` lines (which talk to Google Cloud or a browser) are left out.

mod common;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// README.md, "Quick Demo".
const README_QUICK_DEMO: &str = r#"
# Get service URL
SERVICE_URL=$(gcloud run services describe dev-event-generator --region=us-central1 --format="value(status.url)")

# Health check
curl $SERVICE_URL/health

# Start light demo (150 events in 5 minutes)
curl -X POST $SERVICE_URL/scenarios/light_demo/start

# Monitor progress
curl $SERVICE_URL/generate/status

# API documentation
open $SERVICE_URL/docs
"#;

/// docs/deployment-guide.md, "API Endpoints", up to the predefined scenario starts.
const GUIDE_ENDPOINTS: &str = r#"
curl https://YOUR_SERVICE_URL/health

# Generate a single order event
curl -X POST https://YOUR_SERVICE_URL/generate/single/order

# Generate inventory event
curl -X POST https://YOUR_SERVICE_URL/generate/single/inventory

# Generate user activity event  
curl -X POST https://YOUR_SERVICE_URL/generate/single/user_activity

# Preview what an event looks like
curl https://YOUR_SERVICE_URL/sample/order
curl https://YOUR_SERVICE_URL/sample/inventory
curl https://YOUR_SERVICE_URL/sample/user_activity

curl https://YOUR_SERVICE_URL/scenarios
"#;

/// docs/deployment-guide.md, "Start a predefined scenario": alternatives, each run here after
/// the guide's own "Stop all tasks" (`DELETE /generate/stop`), as one scenario runs at a time.
const GUIDE_STARTS: [&str; 5] = [
    "curl -X POST https://YOUR_SERVICE_URL/scenarios/quick_sample/start",
    "curl -X POST https://YOUR_SERVICE_URL/scenarios/light_demo/start",
    "curl -X POST https://YOUR_SERVICE_URL/scenarios/moderate_load/start",
    "curl -X POST https://YOUR_SERVICE_URL/scenarios/heavy_load/start",
    "curl -X POST https://YOUR_SERVICE_URL/scenarios/stress_test/start",
];

/// docs/deployment-guide.md, "Monitor Running Tasks" and "Custom Generation".
const GUIDE_MONITOR_AND_CUSTOM: &str = r#"
# View all active generation tasks
curl https://YOUR_SERVICE_URL/generate/status

# Check specific task
curl https://YOUR_SERVICE_URL/generate/status/TASK_ID

# Stop specific task
curl -X DELETE https://YOUR_SERVICE_URL/generate/status/TASK_ID

# Stop all tasks
curl -X DELETE https://YOUR_SERVICE_URL/generate/stop

# Generate custom batch
curl -X POST https://YOUR_SERVICE_URL/generate/batch \
  -H "Content-Type: application/json" \
  -d '{
    "events_per_minute": 60,
    "duration_minutes": 5,
    "event_types": ["order", "inventory", "user_activity"],
    "environment": "dev"
  }'

# Start custom continuous generation
curl -X POST https://YOUR_SERVICE_URL/generate/start \
  -H "Content-Type: application/json" \
  -d '{
    "events_per_minute": 120,
    "duration_minutes": 10,
    "event_types": ["order", "inventory"],
    "environment": "dev"
  }'
"#;

/// docs/deployment-guide.md, "Recommended Demo Flow".
const GUIDE_COMPLETE_FLOW: &str = r#"
# Complete demo flow
SERVICE_URL="https://YOUR_SERVICE_URL"

# 1. Health check
curl $SERVICE_URL/health

# 2. Start light demo
TASK_RESPONSE=$(curl -X POST $SERVICE_URL/scenarios/light_demo/start)
TASK_ID=$(echo $TASK_RESPONSE | jq -r '.task_id')

# 3. Monitor progress
curl $SERVICE_URL/generate/status/$TASK_ID

# 4. Verify in BigQuery
bq query --use_legacy_sql=false 'SELECT COUNT(*) FROM `YOUR_PROJECT.dev_events_dataset.orders`'
"#;

/// One curl call of a flow: its arguments, status and body.
#[derive(Debug)]
struct Call {
    args: String,
    method: String,
    status: u16,
    body: Value,
}

impl Call {
    fn is(&self, method: &str, path_end: &str) -> bool {
        self.method == method && self.args.lines().any(|a| a.ends_with(path_end))
    }
}

struct Service {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

fn start() -> Service {
    let dir = tempfile::tempdir().expect("tempdir");
    let (child, addr) = common::spawn_serve(
        common::binary(dir.path())
            .args(["--scale", "small"])
            .args(common::SERVE_ON_LOOPBACK)
            .args(["--schedule", "false"])
            .stderr(Stdio::null()),
    );
    Service {
        child,
        addr,
        _dir: dir,
    }
}

/// Runs `script` (doc lines, placeholders filled, cloud lines dropped) in bash with a `curl`
/// that records each call, and returns the calls in order.
fn run(service: &Service, script: &str, task_id: &str) -> Vec<Call> {
    let out = tempfile::tempdir().expect("tempdir");
    std::fs::write(out.path().join("n"), "0").expect("counter");
    let body: String = script
        .replace("https://YOUR_SERVICE_URL", "$SERVICE_URL")
        .replace("/TASK_ID", &format!("/{task_id}"))
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !(l.starts_with("SERVICE_URL=$(gcloud")
                || l.starts_with("gcloud ")
                || l.starts_with("bq ")
                || l.starts_with("open "))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let prelude = r#"set -euo pipefail
curl() {
  local n; n=$(( $(cat "$OUT/n") + 1 )); echo "$n" > "$OUT/n"
  printf '%s\n' "$@" > "$OUT/$n.args"
  command curl -sS -D "$OUT/$n.headers" "$@" | tee "$OUT/$n.body"
}
"#;
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!("{prelude}{body}"))
        .env("SERVICE_URL", format!("http://{}", service.addr))
        .env("OUT", out.path())
        .stdout(Stdio::null())
        .status()
        .expect("bash");
    assert!(status.success(), "the flow failed in bash:\n{body}");
    let n: usize = std::fs::read_to_string(out.path().join("n"))
        .expect("counter")
        .trim()
        .parse()
        .expect("count");
    (1..=n)
        .map(|i| {
            let read = |ext: &str| {
                std::fs::read_to_string(out.path().join(format!("{i}.{ext}"))).unwrap_or_default()
            };
            let args = read("args");
            let headers = read("headers");
            let status = headers
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let method = args
                .lines()
                .skip_while(|a| *a != "-X")
                .nth(1)
                .unwrap_or("GET")
                .to_string();
            let text = read("body");
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Call {
                args,
                method,
                status,
                body,
            }
        })
        .collect()
}

fn one<'a>(calls: &'a [Call], method: &str, path_end: &str) -> &'a Call {
    calls
        .iter()
        .find(|c| c.is(method, path_end))
        .unwrap_or_else(|| panic!("no {method} ...{path_end} in {calls:#?}"))
}

fn stop_all(service: &Service) {
    let calls = run(service, "curl -X DELETE $SERVICE_URL/generate/stop", "");
    assert_eq!(calls[0].status, 200, "{calls:?}");
    assert_eq!(calls[0].body["status"], "all_stopped");
}

#[test]
fn seed_003s_curl_flows_answer_as_seed_003_defines_them() {
    let mut service = start();
    let _reaper = common::KillOnDrop(service.child.id());

    // README "Quick Demo".
    let calls = run(&service, README_QUICK_DEMO, "");
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert_eq!(one(&calls, "GET", "/health").status, 200);
    let started = one(&calls, "POST", "/scenarios/light_demo/start");
    // Ours answers this shared path 202 (seed 003: 200) with seed 003's fields beside ours.
    assert_eq!(started.status, 202, "{started:?}");
    let task_id = started.body["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    assert_eq!(started.body["status"], "started");
    assert_eq!(started.body["scenario_name"], "light_demo");
    assert_eq!(started.body["estimated_total_events"], 150);
    let status = one(&calls, "GET", "/generate/status");
    assert_eq!(status.status, 200);
    let task = &status.body["tasks"][&task_id];
    assert_eq!(task["status"], "running", "{}", status.body);
    assert_eq!(task["scenario_name"], "light_demo");
    assert_eq!(task["config"]["events_per_minute"], 30);
    assert_eq!(task["config"]["duration_minutes"], 5);
    assert!(status.body["active_tasks"].as_u64() >= Some(1));

    // A second start while one runs: seed 003 runs both; here one scenario runs at a time.
    let second = run(
        &service,
        "curl -X POST $SERVICE_URL/scenarios/quick_sample/start",
        "",
    );
    assert_eq!(second[0].status, 409, "{second:?}");
    assert_eq!(second[0].body["code"], "scenario_running");

    // Deployment guide, "API Endpoints": health, single events, samples, the catalogue.
    let calls = run(&service, GUIDE_ENDPOINTS, "");
    assert_eq!(calls.len(), 8, "{calls:#?}");
    assert!(calls.iter().all(|c| c.status == 200), "{calls:#?}");
    for ty in ["order", "inventory", "user_activity"] {
        let single = one(&calls, "POST", &format!("/generate/single/{ty}"));
        assert_eq!(single.body["status"], "success", "{single:?}");
        assert_eq!(single.body["event_type"], ty);
        assert_eq!(single.body["event"]["event_type"], ty);
        assert!(single.body["event"]["event_id"].is_string(), "{single:?}");
        assert!(single.body["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }

    // Each predefined start, after the guide's own "Stop all tasks".
    let mut last_task = task_id.clone();
    for line in GUIDE_STARTS {
        stop_all(&service);
        let calls = run(&service, line, "");
        assert_eq!(calls[0].status, 202, "{line}: {calls:?}");
        last_task = calls[0].body["task_id"]
            .as_str()
            .expect("task_id")
            .to_string();
    }

    // "Monitor Running Tasks" and "Custom Generation", TASK_ID filled with the last start's.
    let calls = run(&service, GUIDE_MONITOR_AND_CUSTOM, &last_task);
    assert_eq!(calls.len(), 6, "{calls:#?}");
    assert!(calls.iter().all(|c| c.status == 200), "{calls:#?}");
    assert_eq!(calls[0].body["tasks"][&last_task]["status"], "running");
    assert_eq!(calls[1].body["id"], last_task.as_str());
    assert_eq!(calls[1].body["scenario_name"], "stress_test");
    assert_eq!(calls[2].body["status"], "stopped");
    assert_eq!(calls[2].body["task_id"], last_task.as_str());
    assert_eq!(calls[2].body["task_info"]["status"], "stopped");
    assert_eq!(calls[3].body["status"], "all_stopped");
    let batch = &calls[4].body;
    assert_eq!(batch["status"], "completed", "{batch}");
    assert_eq!(
        (
            &batch["total_events"],
            &batch["successful_events"],
            &batch["failed_events"]
        ),
        (&Value::from(60), &Value::from(60), &Value::from(0))
    );
    assert_eq!(batch["results"].as_array().map(Vec::len), Some(60));
    let custom = &calls[5].body;
    assert_eq!(custom["status"], "started", "{custom}");
    assert_eq!(custom["config"]["environment"], "dev");
    assert_eq!(
        custom["config"]["event_types"],
        serde_json::json!(["order", "inventory"])
    );
    assert_eq!(custom["estimated_total_events"], 1200);
    assert_eq!(custom["estimated_duration_minutes"], 10);
    let custom_id = custom["task_id"].as_str().expect("task_id").to_string();

    // "Recommended Demo Flow", after stopping the custom run.
    stop_all(&service);
    let calls = run(&service, GUIDE_COMPLETE_FLOW, "");
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let started = one(&calls, "POST", "/scenarios/light_demo/start");
    let polled = &calls[2];
    assert_eq!(polled.status, 200, "{polled:?}");
    assert_eq!(
        polled.body["id"], started.body["task_id"],
        "jq's TASK_ID is polled"
    );
    assert_eq!(polled.body["status"], "running");

    // The stopped custom run is gone from the list, as seed 003 forgets a stopped task.
    let calls = run(&service, "curl $SERVICE_URL/generate/status", "");
    assert!(
        calls[0].body["tasks"].get(&custom_id).is_none(),
        "{:?}",
        calls[0]
    );
    stop_all(&service);

    // The events published by single, batch and the scenarios reached our subscriber.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) =
            common::http(&service.addr, "GET", "/status", "", Duration::from_secs(10));
        assert_eq!(code, 200);
        let status: Value = serde_json::from_str(&body).expect("json");
        let stream = &status["stream"];
        let rows = ["orders", "inventory", "user_activity"]
            .iter()
            .map(|t| stream[t].as_u64().unwrap_or(0))
            .sum::<u64>();
        if rows >= 63 {
            assert_eq!(stream["dead_letters"], 0, "{stream}");
            break;
        }
        assert!(Instant::now() < deadline, "only {rows} rows: {stream}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = service.child.kill();
}

/// The endpoints seed 003's service code defines that its documents do not call.
#[test]
fn seed_003s_other_endpoints_answer_as_its_service_does() {
    let mut service = start();
    let _reaper = common::KillOnDrop(service.child.id());
    let get = |path: &str| {
        let (code, body) = common::http(&service.addr, "GET", path, "", Duration::from_secs(10));
        (
            code,
            serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body)),
        )
    };
    let (code, root) = get("/");
    assert_eq!(
        (code, &root["status"]),
        (200, &Value::from("healthy")),
        "{root}"
    );
    assert!(root["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(get("/liveness").0, 200);
    assert_eq!(get("/readiness").0, 200);
    let (code, light) = get("/scenarios/light_demo");
    assert_eq!(code, 200, "{light}");
    assert_eq!(light["total_events"], 150);
    assert_eq!(light["duration"], "5 minutes");
    assert_eq!(light["config"]["events_per_minute"], 30);
    assert_eq!(get("/scenarios/quick_sample").1["duration"], "1 minute");
    let (code, missing) = get("/scenarios/no_such");
    assert_eq!(
        (code, &missing["code"]),
        (404, &Value::from("scenario_not_found"))
    );
    assert_eq!(get("/generate/status/scn-999").0, 404);

    let calls = run(
        &service,
        "curl -X POST $SERVICE_URL/generate/start -H 'Content-Type: application/json' -d '{\"events_per_minute\": 30, \"duration_minutes\": 5}'",
        "",
    );
    assert_eq!(calls[0].status, 200, "{calls:?}");
    let id = calls[0].body["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    assert_eq!(calls[0].body["config"]["environment"], "dev", "the default");
    let stop = run(
        &service,
        &format!("curl -X DELETE $SERVICE_URL/generate/stop/{id}"),
        "",
    );
    assert_eq!(stop[0].status, 200, "{stop:?}");
    assert_eq!(stop[0].body["task_info"]["status"], "stopped");
    let unknown = run(
        &service,
        "curl -X POST $SERVICE_URL/generate/single/refund",
        "",
    );
    assert_eq!(unknown[0].status, 400, "{unknown:?}");
    let missing = run(
        &service,
        "curl -X DELETE $SERVICE_URL/generate/stop/task-nope",
        "",
    );
    assert_eq!(missing[0].status, 404, "{missing:?}");
    let _ = service.child.kill();
}

/// With a token configured, seed 003's calls that publish, start or stop need it, as ours do;
/// its probes stay open.
#[tokio::test]
async fn seed_003s_mutating_calls_need_the_token() {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use retail_pipeline::api::build_router;
    use retail_pipeline::app::{App, AppState, ServiceSettings};
    use retail_pipeline::config::Config;
    use retail_pipeline::model::{Scale, ScaleName};
    use std::sync::Arc;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::local(dir.path(), 42, Scale::preset(ScaleName::Small));
    let settings = ServiceSettings {
        api_token: Some("s3cret".into()),
        ..ServiceSettings::default()
    };
    let app = Arc::new(App::build(config, settings).await.expect("app"));
    let router = build_router(AppState(app));
    let status = |method: Method, uri: &str, token: Option<&str>| {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Body::empty()).expect("request");
        let router = router.clone();
        async move { router.oneshot(req).await.expect("response").status() }
    };
    for (method, uri) in [
        (Method::POST, "/generate/single/order"),
        (Method::POST, "/generate/batch"),
        (Method::POST, "/generate/start"),
        (Method::DELETE, "/generate/stop"),
        (Method::DELETE, "/generate/stop/scn-1"),
        (Method::DELETE, "/generate/status/scn-1"),
    ] {
        assert_eq!(
            status(method.clone(), uri, None).await,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}"
        );
    }
    assert_eq!(
        status(Method::DELETE, "/generate/stop", Some("s3cret")).await,
        StatusCode::OK
    );
    for uri in [
        "/",
        "/liveness",
        "/readiness",
        "/generate/status",
        "/scenarios/light_demo",
    ] {
        assert_eq!(
            status(Method::GET, uri, None).await,
            StatusCode::OK,
            "{uri}"
        );
    }
}
