//! The real router, called in-process with `oneshot`: every endpoint and every error.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::router::{assert_bad_field, assert_error, call, send, test_app, TestApp};
use http_body_util::BodyExt;
use retail_pipeline::model::ScaleName;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

/// A quarter's hours: a job still running when the test acts on it.
const A_QUARTER: &str = r#"{"from":"2026-01-01T00","to":"2026-03-31T23"}"#;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let t = test_app(ScaleName::Small, None, 4).await;
    // `/health` and `/ready` for Cloud Run (which reserves some paths ending in `z`), the
    // `z` spellings for local use: the same answers.
    for path in ["/health", "/healthz"] {
        assert_eq!(
            t.get(path).await,
            (StatusCode::OK, json!({"status": "ok"})),
            "{path}"
        );
    }
    for path in ["/ready", "/readyz"] {
        assert_eq!(
            t.get(path).await,
            (StatusCode::OK, json!({"status": "ready"})),
            "{path}"
        );
    }
    let (status, text) = t.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().expect("text");
    assert!(
        text.contains("retail_pipeline_rows_generated_total{table=\"sales_data\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("retail_pipeline_jobs_running{kind=\"generate\"} 0"),
        "{text}"
    );
    for idle in [
        "retail_pipeline_stream_batches_total 0\n",
        "retail_pipeline_stream_write_seconds_total 0\n",
    ] {
        assert!(text.contains(idle), "{idle} in {text}");
    }
}

/// `/metrics` passes Prometheus's own linter, `promtool check metrics` (names, units, types,
/// help), with every family holding values: after a generate, a refresh, an error, and while and
/// after a scenario streams.
#[tokio::test]
async fn metrics_pass_promtool_after_activity() {
    if std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skip_or_fail(
            "promtool not installed (Debian's prometheus package; scripts/test.sh installs it)",
        );
        return;
    }
    let t = test_app(ScaleName::Small, None, 4).await;
    let (_, accepted) = t.generate(r#"{"date":"2026-11-20","hour":19}"#).await;
    let job = t.wait_for_accepted(&accepted).await;
    assert_eq!(job["state"], "completed", "{job}");
    let (status, job) = t.post("/bq/refresh?wait=true", None).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    t.get("/jobs/nope").await;
    let (status, accepted) = t
        .start_custom(r#"{"events_per_minute":1200,"duration_seconds":2}"#)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, streaming) = t.get("/metrics").await;
    t.wait_for_accepted(&accepted).await;
    t.app.bus.flush().await.expect("flush");
    let (_, after) = t.get("/metrics").await;
    for text in [&streaming, &after] {
        let text = text.as_str().expect("text");
        for family in [
            "retail_pipeline_hour_partitions_generated_total 1\n",
            "retail_pipeline_refresh_rows_merged_total{",
            "retail_pipeline_job_duration_seconds_bucket{",
        ] {
            assert!(text.contains(family), "{family} in {text}");
        }
        let mut promtool = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool");
        {
            use std::io::Write;
            let mut stdin = promtool.stdin.take().expect("stdin");
            stdin.write_all(text.as_bytes()).expect("write");
        }
        let out = promtool.wait_with_output().expect("promtool ran");
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "promtool check metrics: {}{}\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn generate_one_hour_then_follow_the_job() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let (status, accepted) = t.generate(r#"{"date":"2026-11-20","hour":19}"#).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["job_id"].as_str().expect("job id").to_owned();
    assert_eq!(accepted["status_url"], format!("/jobs/{id}"));
    let job = t.wait_for_end(&id).await;
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["result"]["hours_written"], 1);
    assert_eq!(
        (job["done"].clone(), job["target"].clone()),
        (json!(1), json!(1))
    );

    let (_, status) = t.get("/status").await;
    assert_eq!(status["last_generated_hour"], "2026-11-20T19");
    assert_eq!(status["jobs"][0]["id"], id.as_str());
    for table in retail_pipeline::model::Table::ALL {
        t.app
            .lake
            .verify(table, "2026-11-20T19".parse().expect("hour"))
            .await
            .expect("complete partition");
    }

    // Asking again for work already done is no error and writes nothing.
    let (status, again) = t.generate(r#"{"date":"2026-11-20","hour":19}"#).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = t.wait_for_accepted(&again).await;
    assert_eq!(job["result"]["hours_written"], 0);
    assert_eq!(job["result"]["hours_already_complete"], 1);
    let (_, metrics) = t.get("/metrics").await;
    let metrics = metrics.as_str().expect("text");
    assert!(metrics.contains("retail_pipeline_hour_partitions_generated_total 1\n"));
    // Both jobs ended, so both are in the duration histogram, and within the last bucket.
    assert!(
        metrics.contains(
            "retail_pipeline_job_duration_seconds_count{kind=\"generate\",state=\"completed\"} 2\n"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        "retail_pipeline_job_duration_seconds_bucket{kind=\"generate\",state=\"completed\",le=\"+Inf\"} 2\n"
    ));
    // Every alert of the hour was published, none failed.
    let alerts = job_alerts(&t).await;
    assert!(
        alerts > 0,
        "the small shop oversells at 19:00 of 2026-11-20"
    );
    assert!(
        metrics.contains(&format!(
            "retail_pipeline_alerts_published_total {alerts}\n"
        )),
        "{metrics}"
    );
    assert!(metrics.contains("retail_pipeline_publish_errors_total 0\n"));
}

/// Rows of the alerts table of the one hour generated.
async fn job_alerts(t: &TestApp) -> u64 {
    let hour = "2026-11-20T19".parse().expect("hour");
    let (manifest, _) = t
        .app
        .lake
        .read_verified(retail_pipeline::model::Table::NegativeInventoryAlerts, hour)
        .await
        .expect("alerts partition");
    manifest.rows
}

#[tokio::test]
async fn concurrent_requests_for_the_same_hours_share_one_job() {
    let t = test_app(ScaleName::Default, None, 4).await;
    let body = r#"{"from":"2026-11-01T00","to":"2026-11-02T23"}"#;
    let (a, b) = tokio::join!(t.generate(body), t.generate(body));
    assert_eq!((a.0, b.0), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(
        a.1["job_id"], b.1["job_id"],
        "the second request joins the first job"
    );
    assert_ne!(a.1["existing"], b.1["existing"]);
    let job = t.wait_for_accepted(&a.1).await;
    assert_eq!(job["result"]["hours_written"], 48);
    let missing = t
        .app
        .lake
        .missing_hours(
            retail_pipeline::model::HourRange::new(
                "2026-11-01T00".parse().expect("h"),
                "2026-11-02T23".parse().expect("h"),
            )
            .expect("range")
            .hours(),
        )
        .await
        .expect("manifests");
    assert!(missing.is_empty());
}

#[tokio::test]
async fn cancel_keeps_the_job_and_its_counts() {
    let t = test_app(ScaleName::Default, None, 4).await;
    let (_, accepted) = t.generate(A_QUARTER).await;
    let id = accepted["job_id"].as_str().expect("id").to_owned();
    let (status, job) = t.post(&format!("/jobs/{id}/cancel"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = t.wait_for_end(&id).await;
    assert_eq!(job["state"], "cancelled", "{job}");
    let done = job["done"].as_u64().expect("done");
    assert!(done < job["target"].as_u64().expect("target"), "{job}");
    assert_eq!(job["result"]["hours_written"].as_u64(), Some(done));
    // Still there, still cancelled; cancelling again is a conflict.
    let (_, status) = t.get("/status").await;
    assert_eq!(status["jobs"][0]["state"], "cancelled");
    let reply = t.post(&format!("/jobs/{id}/cancel"), None).await;
    assert_error(&reply, StatusCode::CONFLICT, "job_finished");
}

#[tokio::test]
async fn every_error_is_json_with_a_stable_code() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let big = format!(r#"{{"date":"{}"}}"#, "x".repeat(100_000));
    let cases: Vec<(Method, &str, Option<&str>)> = vec![
        (Method::POST, "/generate", Some(r#"{"date":"2026-13-01"}"#)),
        (
            Method::POST,
            "/generate",
            Some(r#"{"date":"2026-11-20","hour":24}"#),
        ),
        (Method::POST, "/generate", Some(r#"{"hour":3}"#)),
        (
            Method::POST,
            "/generate",
            Some(r#"{"from":"2026-11-20T05","to":"2026-11-20T04"}"#),
        ),
        (
            Method::POST,
            "/generate",
            Some(r#"{"from":"2000-01-01T00","to":"2099-12-31T23"}"#),
        ),
        (
            Method::POST,
            "/generate",
            Some(r#"{"from":"2026-11-20T05"}"#),
        ),
        (
            Method::POST,
            "/generate",
            Some(r#"{"from":"yesterday","to":"2026-11-20T04"}"#),
        ),
        (Method::POST, "/generate", Some(r#"{"date":"1999-12-31"}"#)),
        (Method::POST, "/generate", Some(r#"{"window_days":0}"#)),
        (Method::POST, "/generate", Some(r#"{"hour":"five"}"#)),
        (Method::POST, "/generate", Some(r#"{"nope":true}"#)),
        (Method::POST, "/generate", Some("{not json")),
        (Method::POST, "/generate", Some(big.as_str())),
        (Method::GET, "/jobs/gen-999", None),
        (Method::GET, "/jobs/..%2F..%2Fetc", None),
        (Method::POST, "/jobs/gen-999/cancel", None),
        (Method::GET, "/no/such/path", None),
        (Method::DELETE, "/status", None),
    ];
    let mut out = String::new();
    for (method, uri, body) in cases {
        let (status, value) = call(&t.router, method.clone(), uri, body).await;
        assert!(status.is_client_error(), "{method} {uri}: {status}");
        assert!(
            value["code"].is_string() && value["message"].is_string(),
            "{method} {uri}: {value}"
        );
        let shown_body = body
            .map(|b| if b.len() > 80 { "<100 kB>" } else { b })
            .unwrap_or("");
        out += &format!(
            "{method} {uri} {shown_body}\n  -> {} {value}\n",
            status.as_u16()
        );
    }
    insta::assert_snapshot!(out);

    // A body sent as something else than JSON.
    let req = Request::post("/generate")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("date=2026-11-20"))
        .expect("req");
    let res = t.router.clone().oneshot(req).await.expect("res");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// Percent-escapes that decode to bytes which are not UTF-8 fail axum's path extraction; that
/// answer is JSON with a stable code and the parameter at fault, like every other error.
#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_a_json_400() {
    let t = test_app(ScaleName::Small, None, 4).await;
    for (method, uri, field) in [
        (Method::GET, "/jobs/%FF%FE", "id"),
        (Method::POST, "/jobs/%FF%FE/cancel", "id"),
        (Method::GET, "/sample/%FF", "type"),
        (Method::POST, "/scenarios/%FF/start", "name"),
    ] {
        let req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        let res = t.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{method} {uri}");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/json",
            "{method} {uri}"
        );
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let err: Value = serde_json::from_slice(&bytes).expect("a JSON error body");
        assert_eq!(err["code"], "invalid_path", "{method} {uri}: {err}");
        assert_eq!(err["field"], field, "{method} {uri}: {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| m.contains("UTF-8")),
            "{err}"
        );
    }
    // The documented answers include that 400.
    let (_, spec) = t.get("/openapi.json").await;
    for (path, method) in [
        ("/jobs/{id}", "get"),
        ("/jobs/{id}/cancel", "post"),
        ("/sample/{type}", "get"),
        ("/scenarios/{name}/start", "post"),
    ] {
        assert!(
            spec["paths"][path][method]["responses"]["400"].is_object(),
            "{method} {path} documents 400"
        );
    }
}

#[tokio::test]
async fn mutating_endpoints_need_the_token_when_one_is_set() {
    let t = test_app(ScaleName::Small, Some("s3cret-token"), 4).await;
    let body = r#"{"date":"2026-11-20","hour":1}"#;
    let reply = t.generate(body).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
    for (token, want) in [
        ("Bearer wrong", StatusCode::UNAUTHORIZED),
        ("Bearer s3cret-token", StatusCode::ACCEPTED),
    ] {
        let auth = [("authorization", token)];
        let reply = send(&t.router, Method::POST, "/generate", Some(body), &auth).await;
        assert_eq!(reply.status, want, "{token}");
    }
    // Reads stay open, and the token never shows.
    let (status, s) = t.get("/status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["service"]["auth"], true);
    assert!(!s.to_string().contains("s3cret"));
    assert!(!format!("{:?}", t.app.settings).contains("s3cret"));
}

#[tokio::test]
async fn too_many_jobs_is_429() {
    let t = test_app(ScaleName::Default, None, 1).await;
    let (status, first) = t.generate(A_QUARTER).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reply = t.generate(r#"{"date":"2026-11-20","hour":1}"#).await;
    assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, "too_many_jobs");
    let id = first["job_id"].as_str().expect("id");
    t.post(&format!("/jobs/{id}/cancel"), None).await;
}

/// The OpenAPI document the service serves.
async fn openapi_document(t: &TestApp) -> Value {
    let (status, spec) = t.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    spec
}

#[tokio::test]
async fn openapi_lists_every_endpoint_and_the_docs_work_offline() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let spec = openapi_document(&t).await;
    let paths: Vec<&String> = spec["paths"].as_object().expect("paths").keys().collect();
    for p in [
        "/generate",
        "/status",
        "/jobs/{id}",
        "/jobs/{id}/cancel",
        "/health",
        "/ready",
        "/healthz",
        "/readyz",
        "/metrics",
        "/bq/refresh",
        "/analytics/sales-by-category",
        "/analytics/top-products",
    ] {
        assert!(paths.iter().any(|k| *k == p), "{p} documented: {paths:?}");
    }
    let (status, page) = t.get("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().expect("html");
    assert!(page.contains("swagger-ui"));
    for asset in [
        "/docs/swagger-initializer.js",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
    ] {
        let (status, body) = t.get(asset).await;
        assert_eq!(status, StatusCode::OK, "{asset} is served by the binary");
        if asset.ends_with("initializer.js") {
            let js = body.as_str().expect("js");
            assert!(
                js.contains("/openapi.json") && js.contains("\"validatorUrl\": \"none\""),
                "{js}"
            );
            assert!(
                !js.contains("https://"),
                "no outside address in the docs config: {js}"
            );
        }
    }
    assert!(
        !page.contains("https://") && !page.contains("http://"),
        "the docs page loads nothing from outside"
    );
}

/// OpenAPI's rule for parameters, which openapi-spec-validator enforces (and
/// scripts/check-openapi.sh runs): a parameter is `in: path` exactly when its name is a
/// `{name}` of the path template, and such a parameter is required. Query strings declared as
/// path parameters made the document invalid.
#[tokio::test]
async fn openapi_path_parameters_are_exactly_the_templates_names() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let spec = openapi_document(&t).await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let names: std::collections::BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect();
        for (method, op) in item.as_object().expect("path item") {
            let Some(params) = op.get("parameters").and_then(Value::as_array) else {
                assert!(names.is_empty(), "{method} {path} declares no {names:?}");
                continue;
            };
            let in_path: std::collections::BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().expect("name"))
                .collect();
            assert_eq!(in_path, names, "{method} {path}: path parameters");
            for p in params {
                checked += 1;
                if p["in"] == "path" {
                    assert_eq!(p["required"], true, "{method} {path}: {p}");
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} parameters");
    let params = &spec["paths"]["/bq/refresh"]["post"]["parameters"];
    assert_eq!(params[0]["name"], "wait");
    assert_eq!(params[0]["in"], "query", "{params}");
}

#[tokio::test]
async fn refresh_then_analytics_match_the_lake() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let (_, accepted) = t.generate(r#"{"date":"2026-11-20"}"#).await;
    t.wait_for_accepted(&accepted).await;

    let (status, job) = t.post("/bq/refresh?wait=true", None).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["state"], "completed", "{job}");
    let report = &job["result"];
    assert_eq!(report["hours_loaded"].as_array().expect("hours").len(), 24);
    assert_eq!(report["watermark_after"], "2026-11-20T23");
    let merged = |r: &Value, table: &str| {
        r["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|e| e["table"] == table)
            .expect("table")["rows"]
            .as_u64()
            .expect("n")
    };

    // The lake's own sales, read independently.
    let lake = t.app.config.lake_dir();
    let mut revenue = 0i64;
    let mut lines = 0u64;
    for h in 0..24 {
        let path = lake.join(format!(
            "sales_data/date=2026-11-20/hour={h:02}/part-00000.csv"
        ));
        let mut reader = csv::Reader::from_path(&path).expect("csv");
        for row in reader.records() {
            let row = row.expect("row");
            revenue += (row[8].parse::<f64>().expect("amount") * 100.0).round() as i64;
            lines += 1;
        }
    }
    assert_eq!(merged(report, "sales_data"), lines);

    let (status, rows) = t.get("/analytics/sales-by-category?date=2026-11-20").await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let total = common::sum_of(&rows, "revenue_cents");
    assert_eq!(
        total, revenue,
        "revenue by category adds up to the lake's sales"
    );

    for uri in [
        "/analytics/revenue-by-store",
        "/analytics/top-products?limit=3",
        "/analytics/stock-by-hour?from=2026-11-20&to=2026-11-20",
        "/analytics/basket-stats",
    ] {
        let (status, rows) = t.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {rows}");
        assert!(!rows.as_array().expect("rows").is_empty(), "{uri} has rows");
    }
    let (_, top) = t.get("/analytics/top-products?limit=3").await;
    assert_eq!(top.as_array().expect("rows").len(), 3);

    // Again: nothing new, nothing merged; the watermark shows in /status.
    let (_, again) = t.post("/bq/refresh?wait=true", None).await;
    assert_eq!(again["result"]["hours_loaded"], json!([]));
    assert_eq!(merged(&again["result"], "sales_data"), 0);
    let (_, status) = t.get("/status").await;
    assert_eq!(status["warehouse_watermark"], "2026-11-20T23");
    assert!(status["backends"]["warehouse"]
        .as_str()
        .expect("desc")
        .contains("warehouse.duckdb"));

    // Bad analytics queries.
    for (uri, code, want) in [
        (
            "/analytics/sales-by-category?date=2026-02-30",
            "invalid_date",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/analytics/sales-by-category?from=2026-11-21&to=2026-11-20",
            "invalid_range",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/analytics/top-products?limit=0",
            "invalid_query",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/analytics/top-products?limit=many",
            "invalid_query",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/analytics/basket-stats?colour=red",
            "invalid_query",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, err) = t.get(uri).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (want, Some(code)),
            "{uri}: {err}"
        );
    }
}

#[tokio::test]
async fn scenarios_list_run_exactly_and_refuse_bad_starts() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let (status, list) = t.get("/scenarios").await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 11);
    let quick = list
        .iter()
        .find(|s| s["name"] == "quick_sample")
        .expect("quick_sample");
    assert_eq!(
        (
            quick["events_per_minute"].clone(),
            quick["minutes"].clone(),
            quick["total_events"].clone()
        ),
        (json!(12), json!(1), json!(12))
    );

    let reply = t.post("/scenarios/nope/start", None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "scenario_not_found");
    let err = &reply.1;
    assert!(
        err["message"].as_str().expect("msg").contains("light_demo"),
        "lists the valid names: {err}"
    );
    let reply = t
        .start_custom(r#"{"events_per_minute":0,"duration_seconds":5}"#)
        .await;
    assert_bad_field(&reply, "events_per_minute");
    let reply = t
        .start_custom(r#"{"events_per_minute":60,"duration_seconds":5,"event_types":["refund"]}"#)
        .await;
    assert_bad_field(&reply, "event_types");

    // 1,200 a minute for 2 seconds: exactly 40 events, at that rate.
    let (status, accepted) = t
        .start_custom(r#"{"events_per_minute":1200,"duration_seconds":2}"#)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let reply = t.post("/scenarios/quick_sample/start", None).await;
    assert_error(&reply, StatusCode::CONFLICT, "scenario_running");
    let job = t.wait_for_accepted(&accepted).await;
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(
        (job["done"].clone(), job["target"].clone()),
        (json!(40), json!(40))
    );
    let per_minute = job["detail"]["measured_per_minute"].as_f64().expect("rate");
    assert!(
        (per_minute - 1200.0).abs() / 1200.0 < 0.05,
        "measured {per_minute}/min"
    );

    // Every event reaches the stream tables and the raw archive: events in = rows + dead letters.
    t.app.bus.flush().await.expect("flush");
    let (_, status) = t.get("/status").await;
    let stream = &status["stream"];
    assert_eq!(stream["received"], 40, "{stream}");
    let rows = ["orders", "inventory", "user_activity"]
        .iter()
        .map(|k| stream[k].as_u64().expect("n"))
        .sum::<u64>();
    assert_eq!(rows + stream["dead_letters"].as_u64().expect("n"), 40);
    let data = &t.app.config.data_dir;
    assert_eq!(
        common::jsonl_lines(&data.join("lake/events")),
        40,
        "raw archive"
    );
    let streamed = ["order_events", "inventory_events", "user_activity_events"]
        .iter()
        .map(|t| common::jsonl_lines(&data.join("stream").join(t)))
        .sum::<usize>();
    assert_eq!(streamed, 40, "stream tables");
    let in_warehouse: u64 = ["order_events", "inventory_events", "user_activity_events"]
        .iter()
        .map(|t| status["warehouse_stream_rows"][t].as_u64().expect("rows"))
        .sum();
    assert_eq!(
        in_warehouse, 40,
        "the warehouse's event tables: {}",
        status["warehouse_stream_rows"]
    );

    // Cancel mid-run keeps the job and its count.
    let (_, accepted) = t
        .start_custom(r#"{"events_per_minute":60,"duration_minutes":1}"#)
        .await;
    let id = accepted["job_id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    t.post(&format!("/jobs/{id}/cancel"), None).await;
    let job = t.wait_for_end(&id).await;
    assert_eq!(job["state"], "cancelled");
    let sent = job["done"].as_u64().expect("sent");
    assert!((1..=3).contains(&sent), "{job}");
    assert_eq!(job["result"]["sent"].as_u64(), Some(sent));
}

/// One custom scenario run (`body`) on a fresh service of its own, as a new process or another
/// instance would be: its job (numbered `scn-1` like every first job) and its archived events
/// by event id.
async fn scenario_run_in_a_fresh_app(body: &str) -> (Value, Vec<Value>) {
    let t = test_app(ScaleName::Small, None, 4).await;
    let (status, accepted) = t.start_custom(body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(
        accepted["job_id"], "scn-1",
        "each process numbers its jobs from 1"
    );
    let job = t.wait_for_end("scn-1").await;
    assert_eq!(job["state"], "completed", "{job}");
    t.app.bus.flush().await.expect("flush");
    let mut events = common::jsonl_values(&t.app.config.data_dir.join("lake/events"));
    events.sort_by(|a, b| a["event_id"].as_str().cmp(&b["event_id"].as_str()));
    assert_eq!(events.len() as u64, job["done"].as_u64().expect("done"));
    (job, events)
}

fn event_ids(events: &[Value]) -> std::collections::BTreeSet<String> {
    events
        .iter()
        .map(|e| e["event_id"].as_str().expect("event_id").to_owned())
        .collect()
}

/// The ids of a scenario run must not come from its job id: `scn-1` starts every process, and
/// its events would repeat (and the warehouse, keyed by event id, would keep only one of each).
#[tokio::test]
async fn scenario_runs_of_two_processes_send_distinct_ids() {
    let body = r#"{"events_per_minute":3000,"duration_seconds":1}"#;
    let (job_a, a) = scenario_run_in_a_fresh_app(body).await;
    let (job_b, b) = scenario_run_in_a_fresh_app(body).await;
    assert_eq!((a.len(), b.len()), (50, 50));
    let (ids_a, ids_b) = (event_ids(&a), event_ids(&b));
    assert_eq!(
        (ids_a.len(), ids_b.len()),
        (50, 50),
        "distinct within a run"
    );
    assert!(
        ids_a.is_disjoint(&ids_b),
        "shared ids: {:?}",
        ids_a.intersection(&ids_b).take(5).collect::<Vec<_>>()
    );
    for key in ["order_id", "session_id"] {
        let of = |events: &[Value]| -> std::collections::BTreeSet<String> {
            events
                .iter()
                .filter_map(|e| e[key].as_str().map(str::to_owned))
                .collect()
        };
        assert!(of(&a).is_disjoint(&of(&b)), "{key}s repeat across runs");
    }
    // Each run says which seed it drew, so it can be replayed.
    let (seed_a, seed_b) = (&job_a["detail"]["seed"], &job_b["detail"]["seed"]);
    assert!(
        seed_a.is_u64() && seed_b.is_u64() && seed_a != seed_b,
        "{seed_a} {seed_b}"
    );
}

/// A run given a seed replays: the same ids and payloads in another process; only the times
/// follow the start.
#[tokio::test]
async fn a_scenario_started_with_a_seed_replays_its_ids_and_payloads() {
    let body = r#"{"events_per_minute":3000,"duration_seconds":1,"seed":18446744073709551615}"#;
    let (job_a, a) = scenario_run_in_a_fresh_app(body).await;
    let (job_b, b) = scenario_run_in_a_fresh_app(body).await;
    assert_eq!(job_a["detail"]["seed"].as_u64(), Some(u64::MAX), "{job_a}");
    assert_eq!(job_b["detail"]["seed"].as_u64(), Some(u64::MAX), "{job_b}");
    assert_eq!(a.len(), 50);
    assert_eq!(event_ids(&a), event_ids(&b));
    // Payloads draw products for the time of day, so they match when both runs fell in the same
    // hour (they do unless the test straddles one).
    let hour = |e: &Value| e["event_time"].as_str().map(|t| t[..13].to_owned());
    if a.iter()
        .chain(&b)
        .map(hour)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        == 1
    {
        let timeless = |e: &Value| {
            let mut e = e.clone();
            e.as_object_mut().expect("object").remove("event_time");
            e
        };
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(timeless(x), timeless(y));
        }
    } else {
        eprintln!("the runs straddled an hour: payloads not compared");
    }

    // A named start takes the seed in an optional body too, and refuses a bad one.
    let t = test_app(ScaleName::Small, None, 4).await;
    for (body, field) in [(r#"{"seed":-1}"#, "seed"), (r#"{"seed":1,"x":2}"#, "x")] {
        let (status, err) = t.post("/scenarios/quick_sample/start", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["code"], "invalid_body", "{err}");
        if field == "seed" {
            assert_eq!(err["field"], "seed", "{err}");
        }
    }
    let (status, accepted) = t
        .post("/scenarios/quick_sample/start", Some(r#"{"seed":7}"#))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["job"]["detail"]["seed"], 7, "{accepted}");
    t.post("/jobs/scn-1/cancel", None).await;
    assert_eq!(t.wait_for_end("scn-1").await["state"], "cancelled");
}

#[tokio::test]
async fn samples_and_published_alerts() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let (status, order) = t.get("/sample/order").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order["event_type"], "order", "{order}");
    let reply = t.get("/sample/refund").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "unknown_event_type");

    // Generating a day publishes each hour's alerts; the subscriber lands every one.
    let (_, accepted) = t.generate(r#"{"date":"2026-11-20"}"#).await;
    let job = t.wait_for_accepted(&accepted).await;
    let alerts = job["result"]["alerts"].as_u64().expect("alerts");
    assert!(alerts > 0);
    t.app.bus.flush().await.expect("flush");
    let (_, status) = t.get("/status").await;
    assert_eq!(
        status["stream"]["alerts"].as_u64(),
        Some(alerts),
        "{}",
        status["stream"]
    );
    let streamed = common::jsonl_lines(
        &t.app
            .config
            .data_dir
            .join("stream/negative_inventory_alerts"),
    );
    assert_eq!(streamed as u64, alerts);
}

/// The HTTP surface as a reviewer reads it: every operation with its tag, parameters, body and
/// answers. A route, parameter or status that appears or goes away changes this snapshot, so
/// that a change to the public surface is a reviewed change (`cargo insta review`).
#[tokio::test]
async fn openapi_surface_snapshot() {
    let t = test_app(ScaleName::Small, None, 4).await;
    let spec = openapi_document(&t).await;
    let mut surface = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let params: Vec<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let required = if p["required"] == true { "" } else { "?" };
                            format!(
                                "{}:{}{required}",
                                p["in"].as_str().unwrap_or("?"),
                                p["name"].as_str().unwrap_or("?")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = op["requestBody"]["content"]
                .as_object()
                .map(|c| c.keys().cloned().collect::<Vec<_>>().join(","));
            let answers: Vec<&String> = op["responses"]
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            surface.push(json!({
                "op": format!("{} {path}", method.to_uppercase()),
                "tags": op["tags"],
                "params": params,
                "body": body,
                "answers": answers,
            }));
        }
    }
    assert!(surface.len() >= 30, "{} operations", surface.len());
    insta::assert_json_snapshot!(surface);
}
