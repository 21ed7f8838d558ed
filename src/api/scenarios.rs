//! Scenarios: the catalogue, named and custom starts, and sample events.

use super::body::OptionalJson;
use super::error::AppError;
use super::generate::JobAccepted;
use super::path::ApiPath;
use crate::app::AppState;
use crate::generate::events::{sample_event, EventTime, EventType};
use crate::jobs::scenario::{
    CustomScenario, IncidentReport, IncidentRequest, ScenarioError, ScenarioSpec, SCENARIOS,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// One scenario of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub events_per_minute: u32,
    pub minutes: u32,
    /// Events a run sends: exactly this many, plus what its incidents add (its start response
    /// says how many).
    pub total_events: u64,
    pub event_types: Vec<String>,
    /// The kinds of its demo incidents, in order; absent for a scenario without any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<&'static str>,
}

#[utoipa::path(get, path = "/scenarios", tag = "scenarios",
    responses((status = 200, description = "The named scenarios", body = [ScenarioInfo])))]
pub async fn list() -> Json<Vec<ScenarioInfo>> {
    Json(
        SCENARIOS
            .iter()
            .map(|s| ScenarioInfo {
                name: s.name,
                description: s.description,
                events_per_minute: s.events_per_minute,
                minutes: s.minutes,
                total_events: s.total_events(),
                event_types: s.event_types.iter().map(|t| t.to_string()).collect(),
                incidents: s.incidents.iter().map(|i| i.kind).collect(),
            })
            .collect(),
    )
}

/// A scenario start: the job, and seed 003's names for it, so that its clients (which read
/// `task_id` and poll `GET /generate/status/{task_id}`) work unchanged.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioAccepted {
    #[serde(flatten)]
    pub accepted: JobAccepted,
    /// The job id again, under seed 003's name.
    pub task_id: String,
    /// Always `started`.
    pub status: &'static str,
    /// The catalogue name, or `custom`.
    pub scenario_name: String,
    /// Events the run sends: exactly this many, incidents included.
    pub estimated_total_events: u64,
    /// The run's incidents as resolved: the ids chosen for them (where the request left them
    /// out), and what each adds or spoils, exactly. Absent without incidents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<IncidentReport>,
}

/// Optional body of a named start.
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartScenarioRequest {
    /// Seed of the run: the same seed (with the same world `--seed`) sends the same event,
    /// order and session ids and the same payloads again; only the times follow the start.
    /// Absent: a seed is drawn from the OS, so ids never repeat across runs, restarts or
    /// instances. The job's `detail.seed` shows the seed a run used.
    #[schema(example = 7)]
    pub seed: Option<u64>,
    /// Demo incidents within the run, added to the scenario's own (if any).
    #[serde(default)]
    pub incidents: Vec<IncidentRequest>,
}

#[utoipa::path(post, path = "/scenarios/{name}/start", tag = "scenarios",
    params(("name" = String, Path, description = "A name from GET /scenarios")),
    request_body(content = Option<StartScenarioRequest>, description = "Optional: a `seed` to replay a run, `incidents` to stage"),
    responses(
        (status = 202, description = "Scenario started", body = ScenarioAccepted),
        (status = 400, description = "Malformed body, an invalid incident (`field` names it, as `incidents[0].share`), or a name that is not UTF-8", body = super::error::ErrorBody),
        (status = 404, description = "Unknown scenario", body = super::error::ErrorBody),
        super::error::JsonBodyRefusals, super::error::ScenarioStartRefusals,
    ),
    security(("bearer" = [])))]
pub async fn start_named(
    State(app): State<AppState>,
    ApiPath(name): ApiPath<String>,
    OptionalJson(req): OptionalJson<StartScenarioRequest>,
) -> Result<(StatusCode, Json<ScenarioAccepted>), AppError> {
    let spec = ScenarioSpec::named(&name).map_err(|e| match e {
        ScenarioError::UnknownScenario { .. } => {
            AppError::not_found("scenario_not_found", e.to_string()).with_field("name")
        }
        other => scenario_error(other),
    })?;
    let spec = spec
        .with_incidents(&req.incidents)
        .map_err(scenario_error)?;
    start(&app, spec, req.seed).await
}

/// Request body of a custom scenario.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the handler deserializes `CustomScenario` itself
pub struct CustomScenarioBody {
    /// Events per minute, 1 or more.
    #[schema(example = 120)]
    pub events_per_minute: u32,
    /// Duration in minutes; or give `duration_seconds`.
    pub duration_minutes: Option<u32>,
    pub duration_seconds: Option<u64>,
    /// `order`, `inventory`, `user_activity`; all three when absent.
    pub event_types: Option<Vec<String>>,
    /// Seed of the run, as for a named start: the same seed replays the ids and payloads;
    /// absent, one is drawn from the OS.
    #[schema(example = 7)]
    pub seed: Option<u64>,
    /// Demo incidents within the run.
    pub incidents: Option<Vec<IncidentRequest>>,
}

#[utoipa::path(post, path = "/scenarios/custom/start", tag = "scenarios",
    request_body = CustomScenarioBody,
    responses(
        (status = 202, description = "Scenario started", body = ScenarioAccepted),
        (status = 400, description = "Invalid rate, duration, event type or incident (`field` names it, as `incidents[0].share`)", body = super::error::ErrorBody),
        super::error::JsonBodyRefusals, super::error::ScenarioStartRefusals,
    ),
    security(("bearer" = [])))]
pub async fn start_custom(
    State(app): State<AppState>,
    body: Result<Json<CustomScenario>, JsonRejection>,
) -> Result<(StatusCode, Json<ScenarioAccepted>), AppError> {
    let Json(custom) = body?;
    let spec = custom.validate().map_err(scenario_error)?;
    start(&app, spec, custom.seed).await
}

fn scenario_error(e: ScenarioError) -> AppError {
    let field = e.field();
    let err = AppError::bad_request("invalid_scenario", e.to_string());
    match field {
        Some(f) => err.with_field(f),
        None => err,
    }
}

async fn start(
    app: &AppState,
    spec: ScenarioSpec,
    seed: Option<u64>,
) -> Result<(StatusCode, Json<ScenarioAccepted>), AppError> {
    let started = crate::service::start_scenario(&app.0, spec, seed).await?;
    let job = started.job;
    let (status, Json(accepted)) = JobAccepted::response(&job, false);
    Ok((
        status,
        Json(ScenarioAccepted {
            task_id: job.id.clone(),
            status: "started",
            scenario_name: job.name.clone(),
            estimated_total_events: started.total_events,
            incidents: started.incidents,
            accepted,
        }),
    ))
}

#[utoipa::path(get, path = "/sample/{type}", tag = "scenarios",
    params(("type" = String, Path, description = "order, inventory or user_activity", example = "order")),
    responses(
        (status = 200, description = "One example event of the type, as the bus carries it", content_type = "application/json"),
        (status = 400, description = "A type that is not UTF-8", body = super::error::ErrorBody),
        (status = 404, description = "Unknown event type", body = super::error::ErrorBody),
    ))]
pub async fn sample(
    State(app): State<AppState>,
    ApiPath(kind): ApiPath<String>,
) -> Result<Response, AppError> {
    let ty: EventType = kind.parse().map_err(|_| {
        AppError::not_found(
            "unknown_event_type",
            "event types are order, inventory and user_activity",
        )
        .with_field("type")
    })?;
    // Serialized by the event itself so money keeps its two decimals.
    let body = sample_event(&app.pools, ty, EventTime::now()).to_json_bytes();
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
