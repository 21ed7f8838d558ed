//! The real router, called in-process with `oneshot`, over a service on a data dir of its own:
//! the one way the router tests build a service and send it a request.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use retail_pipeline::api::build_router;
use retail_pipeline::app::{App, AppState, ServiceSettings};
use retail_pipeline::config::Config;
use retail_pipeline::model::{Scale, ScaleName};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// A service (seed 42) and its router; the data dir lives as long as it does.
pub struct TestApp {
    pub app: Arc<App>,
    pub router: Router,
    /// The data dir: a test that must let go of the service first takes it apart to keep this.
    pub dir: tempfile::TempDir,
}

/// A service of `scale` with `settings`, on a fresh temp dir.
pub async fn test_app_with(scale: ScaleName, settings: ServiceSettings) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::local(dir.path(), 42, Scale::preset(scale));
    let app = Arc::new(App::build(config, settings).await.expect("app"));
    TestApp {
        router: build_router(AppState(app.clone())),
        app,
        dir,
    }
}

/// A service of `scale` with room for `max_jobs` jobs, two workers a generate, and the API
/// token `token`, if any.
pub async fn test_app(scale: ScaleName, token: Option<&str>, max_jobs: usize) -> TestApp {
    let settings = ServiceSettings {
        api_token: token.map(str::to_owned),
        max_jobs,
        jobs_per_generate: 2,
        ..ServiceSettings::default()
    };
    test_app_with(scale, settings).await
}

/// One answer of the router: its status, the headers the tests read, and the body as text.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub csp: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON; panics (showing the body) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The status and the body: JSON where it parses, else the text as a JSON string (the
    /// metrics, the docs page).
    pub fn status_and_value(self) -> (StatusCode, Value) {
        let value = serde_json::from_str(&self.body).unwrap_or(Value::String(self.body));
        (self.status, value)
    }
}

/// One request through `router`; a body is sent as JSON.
pub async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("response");
    let header = |name| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, content_type, csp) = (
        res.status(),
        header(header::CONTENT_TYPE),
        header(header::CONTENT_SECURITY_POLICY),
    );
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        content_type,
        csp,
        body: String::from_utf8(bytes.to_vec()).expect("a UTF-8 body"),
    }
}

/// `GET uri` through `router`.
pub async fn get(router: &Router, uri: &str) -> Reply {
    send(router, Method::GET, uri, None, &[]).await
}

/// One request through `router`: the status and the body (see `Reply::status_and_value`).
pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    send(router, method, uri, body, &[])
        .await
        .status_and_value()
}

impl TestApp {
    /// `GET uri`: the status and the body.
    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        call(&self.router, Method::GET, uri, None).await
    }

    /// `POST uri` with a JSON body, if any: the status and the body.
    pub async fn post(&self, uri: &str, body: Option<&str>) -> (StatusCode, Value) {
        call(&self.router, Method::POST, uri, body).await
    }

    /// `POST uri` with the JSON `body`.
    pub async fn post_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.post(uri, Some(&body.to_string())).await
    }

    /// `POST /generate` with `body`.
    pub async fn generate(&self, body: &str) -> (StatusCode, Value) {
        self.post("/generate", Some(body)).await
    }

    /// `POST /scenarios/custom/start` with `body`.
    pub async fn start_custom(&self, body: &str) -> (StatusCode, Value) {
        self.post("/scenarios/custom/start", Some(body)).await
    }

    /// The job `id` once it has stopped running (polled for up to 60 s).
    pub async fn wait_for_end(&self, id: &str) -> Value {
        for _ in 0..1200 {
            let (status, job) = self.get(&format!("/jobs/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            if job["state"] != "running" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} did not end");
    }

    /// The job an accepted request (`{"job_id": ...}`) started, once it has stopped running.
    pub async fn wait_for_accepted(&self, accepted: &Value) -> Value {
        self.wait_for_end(accepted["job_id"].as_str().expect("job id"))
            .await
    }
}

/// Asserts that a reply is the error `code` with `status`.
pub fn assert_error(reply: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (got, err) = reply;
    assert_eq!((*got, err["code"].as_str()), (status, Some(code)), "{err}");
}

/// Asserts that a reply is a 400 naming `field` as the one at fault.
pub fn assert_bad_field(reply: &(StatusCode, Value), field: &str) {
    let (got, err) = reply;
    assert_eq!(
        (*got, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some(field)),
        "{err}"
    );
}
