//! Who may call what: the static bearer token, Google-signed OIDC tokens (signed here by a
//! test-only key whose JWKS a local server publishes on 127.0.0.1 in place of Google's), and
//! `--protect-reads`. Through the real router.
#![cfg(feature = "gcp")]

mod common;

use axum::http::{Method, StatusCode};
use axum::routing::get;
use axum::Router;
use common::router::{send, test_app_with};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use retail_pipeline::app::ServiceSettings;
use retail_pipeline::auth::{OidcConfig, OidcVerifier};
use retail_pipeline::model::ScaleName;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const AUDIENCE: &str = "https://retail-pipeline-abc-uc.a.run.app";
const SCHEDULER: &str = "scheduler@retail-demo.iam.gserviceaccount.com";
const ISSUER: &str = "https://accounts.google.com";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oidc");

/// A JWKS server on 127.0.0.1: serves the fixture's keys (or 500 when `broken`), counts hits.
async fn jwks_server(broken: bool) -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let jwks = std::fs::read_to_string(format!("{FIXTURES}/jwks.json")).unwrap();
    let counter = hits.clone();
    let app = Router::new().route(
        "/certs",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move {
                if broken {
                    (StatusCode::INTERNAL_SERVER_ERROR, String::new())
                } else {
                    (StatusCode::OK, jwks)
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/certs"), hits)
}

struct AuthApp {
    app: common::router::TestApp,
    jwks_hits: Arc<AtomicU64>,
}

async fn app(token: Option<&str>, protect_reads: bool, broken_keys: bool) -> AuthApp {
    let (url, jwks_hits) = jwks_server(broken_keys).await;
    let mut config = OidcConfig::google(AUDIENCE.into(), vec![SCHEDULER.into()]);
    config.jwks_url = url;
    let settings = ServiceSettings {
        api_token: token.map(str::to_owned),
        oidc: Some(Arc::new(OidcVerifier::new(config).unwrap())),
        protect_reads,
        ..ServiceSettings::default()
    };
    AuthApp {
        app: test_app_with(ScaleName::Small, settings).await,
        jwks_hits,
    }
}

fn claims() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "108011111111111111111",
        "email": SCHEDULER,
        "email_verified": true,
        "iat": now,
        "exp": now + 3600,
    })
}

fn sign_with(claims: &Value, key_file: &str, kid: &str) -> String {
    let pem = std::fs::read(format!("{FIXTURES}/{key_file}")).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(claims, "test-signing-key.pem", "test-key-1")
}

/// One call through the router, with `token` as the bearer token, if any.
async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    send(router, method, uri, None, &headers)
        .await
        .status_and_value()
}

/// POST /bq/refresh?wait=true: a mutating call that answers at once on an empty lake.
async fn refresh(router: &Router, token: Option<&str>) -> (StatusCode, Value) {
    call(router, Method::POST, "/bq/refresh?wait=true", token).await
}

#[tokio::test]
async fn scheduler_token_is_accepted() {
    let t = app(None, false, false).await;
    let (status, body) = refresh(&t.app.router, Some(&sign(&claims()))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Keys are cached: a second call does not fetch them again.
    let (status, _) = refresh(&t.app.router, Some(&sign(&claims()))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t.jwks_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_failed_check_is_a_401_naming_the_check() {
    let t = app(None, false, false).await;
    let mut wrong_audience = claims();
    wrong_audience["aud"] = json!("https://elsewhere.example");
    let mut wrong_account = claims();
    wrong_account["email"] = json!("intruder@retail-demo.iam.gserviceaccount.com");
    let mut unverified = claims();
    unverified["email_verified"] = json!(false);
    let mut expired = claims();
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let mut wrong_issuer = claims();
    wrong_issuer["iss"] = json!("https://issuer.example");
    let hs256 = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(b"guess"),
    )
    .unwrap();
    let cases = [
        (None, "needs Authorization"),
        (Some("not-a-jwt".to_string()), "not a JWT"),
        (Some(sign(&wrong_audience)), "another audience"),
        (Some(sign(&wrong_account)), "not allowed"),
        (Some(sign(&unverified)), "not allowed"),
        (Some(sign(&expired)), "expired"),
        (Some(sign(&wrong_issuer)), "another issuer"),
        // Forged: signed by a key the issuer does not publish, under the published key id.
        (
            Some(sign_with(&claims(), "other-key.pem", "test-key-1")),
            "signature",
        ),
        (
            Some(sign_with(&claims(), "test-signing-key.pem", "rotated-away")),
            "does not publish",
        ),
        (Some(hs256), "RS256"),
    ];
    for (token, expect) in cases {
        let (status, body) = refresh(&t.app.router, token.as_deref()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{expect}: {body}");
        assert_eq!(body["code"], "unauthorized");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expect), "{expect}: {message}");
        if let Some(token) = &token {
            assert!(!message.contains(token.as_str()), "the token is echoed");
        }
    }
    // The unknown key id caused one early refetch, not one per request.
    assert!(t.jwks_hits.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn static_token_and_oidc_work_side_by_side() {
    let t = app(Some("local-s3cret"), false, false).await;
    assert_eq!(
        refresh(&t.app.router, Some("local-s3cret")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        refresh(&t.app.router, Some(&sign(&claims()))).await.0,
        StatusCode::OK
    );
    let (status, body) = refresh(&t.app.router, Some("local-guess")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.to_string().contains("local-s3cret"));
    // Reads stay open unless --protect-reads.
    assert_eq!(
        call(&t.app.router, Method::GET, "/status", None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unreachable_keys_are_a_503_not_a_401() {
    let t = app(None, false, true).await;
    let (status, body) = refresh(&t.app.router, Some(&sign(&claims()))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "auth_unavailable");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "internal address leaked: {body}"
    );
}

#[tokio::test]
async fn protect_reads_guards_everything_but_the_probes() {
    let t = app(Some("local-s3cret"), true, false).await;
    for uri in [
        "/status",
        "/metrics",
        "/scenarios",
        "/openapi.json",
        "/analytics/basket-stats",
    ] {
        let (status, _) = call(&t.app.router, Method::GET, uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        let (status, _) = call(&t.app.router, Method::GET, uri, Some("local-s3cret")).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    for uri in ["/health", "/ready", "/healthz", "/readyz"] {
        assert_eq!(
            call(&t.app.router, Method::GET, uri, None).await.0,
            StatusCode::OK,
            "{uri}"
        );
    }
}
