//! Seed 003's endpoints, answered as its event-generator service answers them (status 200,
//! its field names) on our scenarios, jobs, generator and bus. Errors are ours (`AppError`:
//! `{code, message, field}` where FastAPI writes `{detail}`), with seed 003's status codes.

use super::models::{
    now, AllTasks, Batch, BatchResult, GenerationConfig, Root, ScenarioDetail, SingleEvent,
    Started, StoppedAll, StoppedOne, Task,
};
use super::uses::{self, TaskConfigs};
use crate::api::body::OptionalJson;
use crate::api::error::{AppError, ErrorBody, JsonBodyRefusals, ScenarioStartRefusals};
use crate::api::path::ApiPath;
use crate::app::AppState;
use crate::generate::events::EventType;
use crate::jobs::scenario::{CustomScenario, ScenarioSpec, MAX_EVENTS_PER_MINUTE, SCENARIOS};
use crate::jobs::JobState;
use axum::extract::State;
use axum::{Extension, Json};
use std::sync::Arc;

type Configs = Extension<Arc<TaskConfigs>>;

#[utoipa::path(get, path = "/", tag = "seed003",
    responses((status = 200, description = "The service is up (seed 003's root health check)", body = Root)))]
pub async fn seed003_root() -> Json<Root> {
    Json(Root {
        status: "healthy",
        service: "retail-pipeline",
        version: env!("CARGO_PKG_VERSION"),
        timestamp: now(),
    })
}

#[utoipa::path(get, path = "/liveness", tag = "seed003",
    responses((status = 200, description = "The process is up (as GET /health)", body = crate::api::health::Health)))]
pub async fn seed003_liveness() -> Json<crate::api::health::Health> {
    crate::api::health::health().await
}

#[utoipa::path(get, path = "/readiness", tag = "seed003",
    responses(
        (status = 200, description = "The lake and the warehouse answer (as GET /ready)", body = crate::api::health::Health),
        (status = 503, description = "A backend does not answer", body = ErrorBody),
    ))]
pub async fn seed003_readiness(
    state: State<AppState>,
) -> Result<Json<crate::api::health::Health>, AppError> {
    crate::api::health::ready(state).await
}

#[utoipa::path(get, path = "/scenarios/{name}", tag = "seed003",
    params(("name" = String, Path, description = "A name from GET /scenarios", example = "light_demo")),
    responses(
        (status = 200, description = "The scenario's configuration and size", body = ScenarioDetail),
        (status = 400, description = "A name that is not UTF-8", body = ErrorBody),
        (status = 404, description = "Unknown scenario", body = ErrorBody),
    ))]
pub async fn seed003_scenario(
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ScenarioDetail>, AppError> {
    let named = SCENARIOS.iter().find(|s| s.name == name);
    let (Some(named), Ok(spec)) = (named, ScenarioSpec::named(&name)) else {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        return Err(AppError::not_found(
            "scenario_not_found",
            format!("Scenario not found. Available: {names:?}"),
        )
        .with_field("name"));
    };
    let minutes = named.minutes;
    Ok(Json(ScenarioDetail {
        config: GenerationConfig::of_spec(&spec),
        description: named.description,
        use_case: named.description,
        duration: format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" }),
        total_events: named.total_events(),
    }))
}

fn event_type(name: &str) -> Result<EventType, AppError> {
    name.parse().map_err(|_| {
        AppError::bad_request("unknown_event_type", format!("Unknown event type: {name}"))
            .with_field("event_type")
    })
}

#[utoipa::path(post, path = "/generate/single/{event_type}", tag = "seed003",
    params(("event_type" = String, Path, description = "order, inventory or user_activity", example = "order")),
    responses(
        (status = 200, description = "One event generated and published", body = SingleEvent),
        (status = 400, description = "Unknown event type", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "The events topic did not take it", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn seed003_generate_single(
    State(app): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<SingleEvent>, AppError> {
    let ty = event_type(&name)?;
    let events = uses::publish_events(&app, vec![(ty, 1)]).await?;
    let event = events
        .first()
        .and_then(|e| serde_json::from_slice(&e.to_json_bytes()).ok())
        .unwrap_or_default();
    Ok(Json(SingleEvent {
        status: "success",
        event_type: ty.to_string(),
        event,
        timestamp: now(),
    }))
}

#[utoipa::path(post, path = "/generate/batch", tag = "seed003",
    request_body(content = Option<GenerationConfig>, description = "events_per_minute / number of types events of each type, published at once; every field optional"),
    responses(
        (status = 200, description = "The batch was published; an unknown type's events are failed results", body = Batch),
        (status = 400, description = "Malformed body, or a rate out of range", body = ErrorBody),
        (status = 503, description = "The events topic did not take them", body = ErrorBody),
        JsonBodyRefusals,
    ),
    security(("bearer" = [])))]
pub async fn seed003_generate_batch(
    State(app): State<AppState>,
    OptionalJson(config): OptionalJson<GenerationConfig>,
) -> Result<Json<Batch>, AppError> {
    if config.event_types.is_empty() {
        return Err(
            AppError::bad_request("invalid_body", "event_types is empty").with_field("event_types"),
        );
    }
    if config.events_per_minute > MAX_EVENTS_PER_MINUTE {
        return Err(AppError::bad_request(
            "invalid_body",
            format!("events_per_minute is at most {MAX_EVENTS_PER_MINUTE}"),
        )
        .with_field("events_per_minute"));
    }
    // As seed 003: events_per_minute split evenly (rounded down) over the types listed.
    let per_type = u64::from(config.events_per_minute) / config.event_types.len() as u64;
    let mut results = Vec::new();
    let mut counts = Vec::new();
    for name in &config.event_types {
        match name.parse::<EventType>() {
            Ok(ty) => counts.push((ty, per_type)),
            Err(_) => results.extend((0..per_type).map(|_| BatchResult {
                event_type: name.clone(),
                success: false,
                event_id: None,
                error: Some(format!("Unknown event type: {name}")),
            })),
        }
    }
    let events = uses::publish_events(&app, counts).await?;
    results.extend(events.iter().map(|e| BatchResult {
        event_type: e.event_type().to_string(),
        success: true,
        event_id: Some(e.event_id().to_string()),
        error: None,
    }));
    let successful = events.len() as u64;
    let total = results.len() as u64;
    Ok(Json(Batch {
        status: "completed",
        total_events: total,
        successful_events: successful,
        failed_events: total - successful,
        results,
        timestamp: now(),
    }))
}

#[utoipa::path(post, path = "/generate/start", tag = "seed003",
    request_body(content = Option<GenerationConfig>, description = "A custom rate; every field optional (60 events a minute for 10 minutes, all types, dev)"),
    responses(
        (status = 200, description = "Started: poll task_id", body = Started),
        (status = 400, description = "Malformed body, or an invalid rate, duration or type", body = ErrorBody),
        JsonBodyRefusals, ScenarioStartRefusals,
    ),
    security(("bearer" = [])))]
pub async fn seed003_generate_start(
    State(app): State<AppState>,
    Extension(configs): Configs,
    OptionalJson(config): OptionalJson<GenerationConfig>,
) -> Result<Json<Started>, AppError> {
    let custom = CustomScenario {
        events_per_minute: config.events_per_minute,
        duration_minutes: Some(config.duration_minutes),
        duration_seconds: None,
        event_types: Some(config.event_types.clone()),
        ..CustomScenario::default()
    };
    let spec = custom.validate().map_err(|e| {
        let err = AppError::bad_request("invalid_scenario", e.to_string());
        match e.field() {
            Some(f) => err.with_field(f),
            None => err,
        }
    })?;
    let total = spec.total_events();
    let job = uses::start_scenario(&app, &configs, spec, Some(config.clone())).await?;
    Ok(Json(Started {
        status: "started",
        task_id: job.id.clone(),
        estimated_duration_minutes: config.duration_minutes,
        estimated_total_events: total,
        config,
    }))
}

#[utoipa::path(get, path = "/generate/status", tag = "seed003",
    responses((status = 200, description = "Every scenario task but stopped ones", body = AllTasks)))]
pub async fn seed003_status_all(
    State(app): State<AppState>,
    Extension(configs): Configs,
) -> Json<AllTasks> {
    // Seed 003 forgets a task once stopped; finished ones stay listed.
    let tasks: std::collections::BTreeMap<String, Task> = uses::scenario_jobs(&app)
        .into_iter()
        .filter(|j| j.state() != JobState::Cancelled)
        .map(|j| (j.id.clone(), Task::of(&j, uses::config_of(&j, &configs))))
        .collect();
    Json(AllTasks {
        active_tasks: tasks.len(),
        tasks,
    })
}

fn task_not_found(id: &str) -> AppError {
    AppError::not_found("task_not_found", format!("Task not found: {id}")).with_field("task_id")
}

#[utoipa::path(get, path = "/generate/status/{task_id}", tag = "seed003",
    params(("task_id" = String, Path, description = "The task_id a start answered (a scenario job's id)", example = "scn-1")),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 400, description = "A task id that is not UTF-8", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
    ))]
pub async fn seed003_status_task(
    State(app): State<AppState>,
    Extension(configs): Configs,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Task>, AppError> {
    let job = uses::scenario_job(&app, &id).ok_or_else(|| task_not_found(&id))?;
    Ok(Json(Task::of(&job, uses::config_of(&job, &configs))))
}

#[utoipa::path(delete, path = "/generate/stop", tag = "seed003",
    responses(
        (status = 200, description = "Every running task was stopped", body = StoppedAll),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn seed003_stop_all(State(app): State<AppState>) -> Json<StoppedAll> {
    let running: Vec<_> = uses::scenario_jobs(&app)
        .into_iter()
        .filter(|j| j.state() == JobState::Running)
        .collect();
    for job in &running {
        job.cancel.cancel();
    }
    for job in &running {
        wait_until_ended(job).await;
    }
    let stopped: Vec<String> = running.iter().map(|j| j.id.clone()).collect();
    Json(StoppedAll {
        status: "all_stopped",
        stopped_task_count: stopped.len(),
        stopped_tasks: stopped,
    })
}

#[utoipa::path(delete, path = "/generate/stop/{task_id}", tag = "seed003",
    params(("task_id" = String, Path, description = "The task to stop", example = "scn-1")),
    responses(
        (status = 200, description = "The task was stopped (a finished one is left as it ended)", body = StoppedOne),
        (status = 400, description = "A task id that is not UTF-8", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn seed003_stop_task(
    State(app): State<AppState>,
    configs: Configs,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StoppedOne>, AppError> {
    stop_one(&app, &configs, &id).await
}

async fn stop_one(
    app: &AppState,
    configs: &Configs,
    id: &str,
) -> Result<Json<StoppedOne>, AppError> {
    let job = uses::scenario_job(app, id).ok_or_else(|| task_not_found(id))?;
    job.cancel.cancel();
    wait_until_ended(&job).await;
    let mut task_info = Task::of(&job, uses::config_of(&job, configs));
    if task_info.status == "running" {
        task_info.status = "stopped";
    }
    Ok(Json(StoppedOne {
        status: "stopped",
        task_id: job.id.clone(),
        task_info,
    }))
}

/// Cancelling ends a run after the batch in flight: wait for that (up to a second) so that the
/// answer shows the task stopped and a start right after it is not refused as overlapping.
async fn wait_until_ended(job: &crate::jobs::Job) {
    for _ in 0..50 {
        if job.state() != JobState::Running {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
