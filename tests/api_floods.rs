//! Floods of identical or competing job requests, sent all at once through the real router on
//! a multi-threaded runtime: one job starts, the rest join it or are refused with a stable code,
//! never a 5xx and never a second job doing the same work.

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use http_body_util::BodyExt;
use retail_pipeline::api::build_router;
use retail_pipeline::app::{App, AppState, ServiceSettings};
use retail_pipeline::config::Config;
use retail_pipeline::jobs::JobKind;
use retail_pipeline::model::{Scale, ScaleName};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

async fn app(max_jobs: usize) -> (Arc<App>, Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::local(dir.path(), 42, Scale::preset(ScaleName::Small));
    let settings = ServiceSettings {
        max_jobs,
        jobs_per_generate: 1,
        ..ServiceSettings::default()
    };
    let app = Arc::new(App::build(config, settings).await.expect("app"));
    (app.clone(), build_router(AppState(app)), dir)
}

/// Sends `n` copies of one request at once, each on its own task.
async fn flood(router: &Router, n: usize, uri: &str, body: Option<&str>) -> Vec<(u16, Value)> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (router, uri, body) = (router.clone(), uri.to_owned(), body.map(str::to_owned));
            tokio::spawn(async move {
                let mut req = Request::builder().method(Method::POST).uri(uri);
                if body.is_some() {
                    req = req.header(header::CONTENT_TYPE, "application/json");
                }
                let req = req
                    .body(body.map_or_else(Body::empty, Body::from))
                    .expect("request");
                let res = router.oneshot(req).await.expect("response");
                let status = res.status().as_u16();
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                (
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn tally(answers: &[(u16, Value)]) -> BTreeMap<(u16, String), usize> {
    let mut by = BTreeMap::new();
    for (status, body) in answers {
        let code = body["code"].as_str().unwrap_or("").to_owned();
        *by.entry((*status, code)).or_default() += 1;
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_scenario_starts_starts_one() {
    let (app, router, _dir) = app(8).await;
    let answers = flood(&router, 64, "/scenarios/quick_sample/start", None).await;
    let by = tally(&answers);
    assert_eq!(
        by,
        BTreeMap::from([
            ((202, String::new()), 1),
            ((409, "scenario_running".to_owned()), 63)
        ]),
        "one start, the rest told which job runs"
    );
    let running = app.jobs.running_of(JobKind::Scenario);
    assert_eq!(running.len(), 1);
    let started = answers
        .iter()
        .find(|(s, _)| *s == 202)
        .and_then(|(_, b)| b["job_id"].as_str())
        .expect("job id");
    assert_eq!(running[0].id, started);
    for (status, body) in &answers {
        if *status == 409 {
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.contains(started), "{message}");
        }
    }
    app.jobs.cancel_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_identical_generates_joins_one_job() {
    let (app, router, _dir) = app(8).await;
    let body = r#"{"from":"2026-01-01T00","to":"2026-01-31T23"}"#;
    let answers = flood(&router, 64, "/generate", Some(body)).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 202),
        "{:?}",
        tally(&answers)
    );
    let ids: std::collections::BTreeSet<&str> = answers
        .iter()
        .filter_map(|(_, b)| b["job_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 1, "every request joined the same job: {ids:?}");
    assert_eq!(app.jobs.running_of(JobKind::Generate).len(), 1);
    app.jobs.cancel_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_job_cap_starts_are_refused_with_429() {
    let (app, router, _dir) = app(3).await;
    // Different ranges: each is new work, so only the cap stops them.
    let tasks: Vec<_> = (1..=40)
        .map(|d| {
            let router = router.clone();
            tokio::spawn(async move {
                let body = format!(
                    r#"{{"from":"2026-02-{:02}T00","to":"2026-03-31T23"}}"#,
                    d % 28 + 1
                );
                let hour_body = format!(r#"{{"date":"2025-06-{:02}","hour":3}}"#, d % 28 + 1);
                let b = if d % 2 == 0 { body } else { hour_body };
                let req = Request::builder()
                    .method(Method::POST)
                    .uri("/generate")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(b))
                    .expect("request");
                let res = router.oneshot(req).await.expect("response");
                let status = res.status().as_u16();
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                (
                    status,
                    serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
                )
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    let by = tally(&answers);
    assert!(
        by.keys()
            .all(|(s, c)| *s == 202 || (*s == 429 && c == "too_many_jobs")),
        "only accepted or 429: {by:?}"
    );
    let refused = by
        .get(&(429, "too_many_jobs".to_owned()))
        .copied()
        .unwrap_or(0);
    assert!(refused > 0, "the cap refused some: {by:?}");
    assert!(
        app.jobs
            .all()
            .iter()
            .filter(|j| !j.state().is_finished())
            .count()
            <= 3,
        "never more than the cap running"
    );
    // A scenario start past the cap is refused the same way. Fill the cap with three
    // year-long generates that cannot finish between the check and the start: the short
    // one-hour jobs of the flood above may end at any moment and free a slot.
    app.jobs.cancel_all();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.jobs.all().iter().any(|j| !j.state().is_finished()) {
        assert!(std::time::Instant::now() < deadline, "cancelled jobs end");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for year in [2022, 2023, 2024] {
        let body = format!(r#"{{"from":"{year}-01-01T00","to":"{year}-12-31T23"}}"#);
        let (status, body) = flood(&router, 1, "/generate", Some(&body)).await[0].clone();
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = flood(&router, 1, "/scenarios/quick_sample/start", None).await[0].clone();
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_jobs")),
        "{body}"
    );
    app.jobs.cancel_all();
}
