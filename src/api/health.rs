//! Liveness, readiness and metrics.

use super::error::AppError;
use crate::app::AppState;
use crate::lake::BlobPath;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `/healthz`, kept for local use: Cloud Run reserves some paths ending in `z` on the public
/// URL, so the probes and the docs use `/health`.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up (same as /health)", body = Health)))]
pub async fn healthz() -> Json<Health> {
    health().await
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "The lake and the warehouse answer", body = Health),
        (status = 503, description = "A backend does not answer", body = super::error::ErrorBody),
    ))]
pub async fn ready(State(app): State<AppState>) -> Result<Json<Health>, AppError> {
    let probe = BlobPath::new("_lake.json").map_err(|e| AppError::internal(&e))?;
    if let Some(warehouse) = &app.warehouse {
        if let Err(e) = warehouse.ping().await {
            tracing::warn!(error = %crate::error_chain(&e), "warehouse not answering");
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the warehouse does not answer",
            ));
        }
    }
    match app.lake.store().exists(&probe).await {
        Ok(true) => Ok(Json(Health { status: "ready" })),
        Ok(false) => Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the lake has no identity file",
        )),
        Err(e) => {
            tracing::warn!(error = %crate::error_chain(&e), "lake not reachable");
            Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the lake does not answer",
            ))
        }
    }
}

/// `/readyz`, kept for local use beside `/ready` (see `healthz`).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The lake and the warehouse answer (same as /ready)", body = Health),
        (status = 503, description = "A backend does not answer", body = super::error::ErrorBody),
    ))]
pub async fn readyz(state: State<AppState>) -> Result<Json<Health>, AppError> {
    ready(state).await
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    // A scrape must answer even when the warehouse cannot: its figures are left out then.
    let warehouse_memory = match &app.warehouse {
        Some(w) => w.memory().await.unwrap_or_default(),
        None => Vec::new(),
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(&crate::metrics::Sources {
            jobs: &app.jobs,
            stream: app.subscriber.stats().snapshot(),
            warehouse_memory,
        }),
    )
}
