//! `/status`, `/jobs/{id}` and `/jobs/{id}/cancel`.

use super::error::AppError;
use super::path::ApiPath;
use crate::app::AppState;
use crate::jobs::{JobState, JobView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    pub service: ServiceInfo,
    /// Where each part of the pipeline runs.
    pub backends: Backends,
    /// The newest hour complete in the lake (`YYYY-MM-DDTHH`), if any.
    pub last_generated_hour: Option<String>,
    /// The newest hour merged into the warehouse, if any.
    pub warehouse_watermark: Option<String>,
    /// What the subscriber did with the bus's messages: rows per stream table, dead letters,
    /// failures. `received` always equals rows + dead letters + failed once the bus is idle.
    #[schema(value_type = Object)]
    pub stream: serde_json::Value,
    /// Rows in the warehouse's stream tables (order_events, ...), when there is a warehouse.
    pub warehouse_stream_rows: std::collections::BTreeMap<String, u64>,
    /// Every job of this process, oldest first, finished ones included.
    pub jobs: Vec<JobView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceInfo {
    pub version: &'static str,
    pub started_at: DateTime<Utc>,
    pub uptime_secs: f64,
    pub seed: u64,
    pub scale: String,
    pub products: u32,
    pub stores: u32,
    pub schedule: bool,
    pub auth: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Backends {
    pub lake: String,
    pub bus: String,
    pub warehouse: String,
}

#[utoipa::path(get, path = "/status", tag = "jobs",
    responses((status = 200, description = "Jobs, progress and pipeline state", body = StatusResponse)))]
pub async fn status(State(app): State<AppState>) -> Json<StatusResponse> {
    Json(snapshot(&app).await)
}

/// What `/status` answers, for the dashboard too.
pub async fn snapshot(app: &AppState) -> StatusResponse {
    let scale = &app.config.scale;
    let warehouse = crate::service::warehouse_view(app).await;
    StatusResponse {
        service: ServiceInfo {
            version: env!("CARGO_PKG_VERSION"),
            started_at: app.started_at,
            uptime_secs: (Utc::now() - app.started_at).num_milliseconds() as f64 / 1000.0,
            seed: app.config.seed,
            scale: scale.name.to_string(),
            products: scale.products,
            stores: scale.stores,
            schedule: app.settings.schedule,
            auth: app.settings.api_token.is_some(),
        },
        backends: Backends {
            lake: app.lake.store().describe(),
            bus: app.bus.describe(),
            warehouse: app
                .warehouse
                .as_ref()
                .map_or_else(|| "none".into(), |w| w.describe()),
        },
        last_generated_hour: app.freshness.last_generated_hour().map(|h| h.to_string()),
        warehouse_watermark: warehouse.watermark.map(|h| h.to_string()),
        stream: serde_json::to_value(app.subscriber.stats().snapshot()).unwrap_or_default(),
        warehouse_stream_rows: warehouse.stream_rows.into_iter().collect(),
        jobs: app.jobs.all().iter().map(|j| j.view()).collect(),
    }
}

#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id, as returned when the job started")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "Not a job id (letters, digits and dashes), or not UTF-8", body = super::error::ErrorBody),
        (status = 404, description = "No such job", body = super::error::ErrorBody),
    ))]
pub async fn job(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<JobView>, AppError> {
    find(&app, &id).map(|j| Json(j.view()))
}

#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 202, description = "Cancellation requested; the job stops after the work in flight", body = JobView),
        (status = 400, description = "Not a job id (letters, digits and dashes), or not UTF-8", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such job", body = super::error::ErrorBody),
        (status = 409, description = "The job has already finished", body = super::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    let job = find(&app, &id)?;
    let state = job.state();
    if state != JobState::Running {
        let state = serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "job_finished",
            format!("job {id} has already finished ({state})"),
        )
        .with_field("id"));
    }
    job.cancel.cancel();
    Ok((StatusCode::ACCEPTED, Json(job.view())))
}

fn find(app: &AppState, id: &str) -> Result<std::sync::Arc<crate::jobs::Job>, AppError> {
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(AppError::bad_request(
            "invalid_path",
            "a job id is letters, digits and dashes",
        )
        .with_field("id"));
    }
    app.jobs.get(id).ok_or_else(|| {
        AppError::not_found("job_not_found", format!("no job {id}")).with_field("id")
    })
}
