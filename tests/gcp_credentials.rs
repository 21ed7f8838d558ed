//! Credentials against a token endpoint that misbehaves as Google's can: a passing failure of
//! the token request is retried like any transient error, and a token the API refuses (401)
//! is dropped from the cache and fetched anew, once. A service account key whose `token_uri`
//! is a stand-in on 127.0.0.1 (a narrow test double: no emulator plays Google's OAuth
//! endpoint); the key signs its assertion for real (tests/fixtures/oidc/test-signing-key.pem).
#![cfg(feature = "gcp")]

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use retail_pipeline::gcp::{Credentials, GcpHttp};
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct Calls {
    token: AtomicU32,
    resource: AtomicU32,
}

/// The token endpoint: 503 first, then tokens t1, t2, ...
async fn token(State(calls): State<Arc<Calls>>) -> (StatusCode, Json<serde_json::Value>) {
    let n = calls.token.fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "busy"})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"access_token": format!("t{n}"), "expires_in": 3600})),
    )
}

/// The API: refuses t1 (as if revoked), accepts any later token.
async fn resource(State(calls): State<Arc<Calls>>, headers: HeaderMap) -> StatusCode {
    calls.resource.fetch_add(1, Ordering::SeqCst);
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some("Bearer t1") | None => StatusCode::UNAUTHORIZED,
        Some(_) => StatusCode::OK,
    }
}

/// Serves `app` on a free port of 127.0.0.1.
async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A client with a service account key whose token endpoint is `addr`'s `/token`.
fn client_for(addr: std::net::SocketAddr) -> GcpHttp {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oidc/test-signing-key.pem"
    ))
    .expect("key");
    let key = json!({
        "type": "service_account",
        "client_email": "tester@example.iam.gserviceaccount.com",
        "private_key": pem,
        "token_uri": format!("http://{addr}/token"),
    });
    let credentials = Credentials::from_json(&key.to_string()).expect("key file");
    GcpHttp::new(credentials, Duration::from_secs(10)).expect("client")
}

#[tokio::test]
async fn a_failed_token_fetch_is_retried_and_a_refused_token_is_renewed() {
    let calls = Arc::new(Calls::default());
    let app = Router::new()
        .route("/token", post(token))
        .route("/resource", get(resource))
        .with_state(calls.clone());
    let addr = serve(app).await;
    let http = client_for(addr);
    let url = format!("http://{addr}/resource");

    let response = http
        .send("reading a resource", |c| c.get(&url))
        .await
        .expect("served after a retried token fetch and a renewed token");
    assert_eq!(response.status(), 200);
    // 503, then t1 (refused by the API), then t2 (accepted).
    assert_eq!(calls.token.load(Ordering::SeqCst), 3);
    assert_eq!(calls.resource.load(Ordering::SeqCst), 2);

    // The renewed token is cached: no further fetch.
    http.send("reading it again", |c| c.get(&url))
        .await
        .expect("served");
    assert_eq!(calls.token.load(Ordering::SeqCst), 3);
    assert_eq!(calls.resource.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_token_request_refused_for_good_is_not_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let app = Router::new().route(
        "/token",
        post(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "invalid_grant"})),
                )
            }
        }),
    );
    let addr = serve(app).await;
    let http = client_for(addr);
    let error = http
        .send("reading", |c| c.get(format!("http://{addr}/nothing")))
        .await
        .expect_err("no token");
    assert!(error.to_string().contains("invalid_grant"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a 400 is final");
}
