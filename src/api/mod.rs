//! The HTTP surface: `build_router(state)` is used by `serve` and by the tests alike.

mod auth;
mod body;
pub mod dashboard;
pub mod docs;
pub mod error;
mod generate;
mod health;
mod jobs;
mod path;
mod scenarios;
pub mod seed003;
mod warehouse;

pub use error::{AppError, ErrorBody};
pub use generate::{GenerateRequest, JobAccepted};
pub use jobs::StatusResponse;

use crate::app::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted; every body this API takes is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn build_router(state: AppState) -> Router {
    let mutating = Router::new()
        .route("/generate", post(generate::generate))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/bq/refresh", post(warehouse::refresh))
        .route("/scenarios/custom/start", post(scenarios::start_custom))
        .route("/scenarios/{name}/start", post(scenarios::start_named))
        .merge(seed003::mutating())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth,
        ));
    // Probes stay open whatever is configured: Cloud Run must reach them.
    let probes = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(seed003::probes());
    let reads = Router::new()
        .route("/metrics", get(health::metrics))
        .route("/status", get(jobs::status))
        .route("/jobs/{id}", get(jobs::job))
        .route("/scenarios", get(scenarios::list))
        .route("/sample/{type}", get(scenarios::sample))
        .merge(warehouse::analytics_routes())
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/live", get(dashboard::live_fragment))
        .route("/dashboard/stream", get(dashboard::stream_fragment))
        .route("/dashboard/charts", get(dashboard::charts_fragment))
        .route("/dashboard/data", get(dashboard::data))
        .merge(docs::swagger_ui())
        .merge(seed003::reads())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth_for_reads,
        ));
    Router::new()
        .merge(probes)
        .merge(reads)
        .merge(mutating)
        .layer(axum::Extension(std::sync::Arc::new(
            seed003::TaskConfigs::default(),
        )))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(AppError::internal(&"a handler panicked"))
        }))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::request_span)
                .on_response(crate::telemetry::record_response),
        )
        .with_state(state)
}

async fn count_responses(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    app.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
    let status = response.status();
    if status.is_client_error() {
        app.metrics
            .http_client_errors
            .fetch_add(1, Ordering::Relaxed);
    } else if status.is_server_error() {
        app.metrics
            .http_server_errors
            .fetch_add(1, Ordering::Relaxed);
    }
    response
}
