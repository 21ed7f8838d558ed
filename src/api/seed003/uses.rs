//! Every call seed 003's surface makes into the application, in one place: the same scenario
//! jobs, job registry, event generator and bus as our own endpoints use. Nothing here holds
//! state of its own but the configurations seed 003's clients sent (their `environment` and
//! type names), which our jobs have no field for.

use super::models::GenerationConfig;
use crate::api::error::AppError;
use crate::app::AppState;
use crate::bus::Message;
use crate::generate::events::{Event, EventGenerator, EventTime, EventType};
use crate::jobs::scenario::{fresh_seed, run_key, ScenarioSpec};
use crate::jobs::{Job, JobKind};
use axum::http::StatusCode;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The configurations of the tasks started through `POST /generate/start`, by job id. Bounded:
/// past `MAX_KEPT` the oldest are forgotten, and their tasks show the configuration derived
/// from the job instead (`environment` `dev`).
#[derive(Debug, Default)]
pub struct TaskConfigs {
    inner: Mutex<(HashMap<String, GenerationConfig>, VecDeque<String>)>,
}

const MAX_KEPT: usize = 1_024;

impl TaskConfigs {
    fn remember(&self, id: &str, config: GenerationConfig) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *guard;
        if map.insert(id.to_string(), config).is_none() {
            order.push_back(id.to_string());
        }
        while order.len() > MAX_KEPT {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    fn get(&self, id: &str) -> Option<GenerationConfig> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.get(id).cloned()
    }
}

/// Starts `spec` as our scenario job (one at a time: 409 while another runs), remembering the
/// configuration the client sent.
pub async fn start_scenario(
    app: &AppState,
    configs: &TaskConfigs,
    spec: ScenarioSpec,
    config: Option<GenerationConfig>,
) -> Result<Arc<Job>, AppError> {
    let job = crate::service::start_scenario(&app.0, spec, None)
        .await?
        .job;
    if let Some(config) = config {
        configs.remember(&job.id, config);
    }
    Ok(job)
}

/// Every scenario job, oldest first: seed 003's tasks.
pub fn scenario_jobs(app: &AppState) -> Vec<Arc<Job>> {
    let mut jobs: Vec<_> = app
        .jobs
        .all()
        .into_iter()
        .filter(|j| j.kind == JobKind::Scenario)
        .collect();
    jobs.sort_by_key(|j| j.created_at);
    jobs
}

/// The scenario job `id`, if there is one.
pub fn scenario_job(app: &AppState, id: &str) -> Option<Arc<Job>> {
    app.jobs.get(id).filter(|j| j.kind == JobKind::Scenario)
}

/// The configuration `job` runs: what its client sent, or what its scenario amounts to.
pub fn config_of(job: &Job, configs: &TaskConfigs) -> GenerationConfig {
    if let Some(config) = configs.get(&job.id) {
        return config;
    }
    if let Ok(spec) = ScenarioSpec::named(&job.name) {
        return GenerationConfig::of_spec(&spec);
    }
    // A custom run started through our own endpoint: its rate and size are in its progress.
    let view = job.view();
    let per_minute = view
        .detail
        .as_ref()
        .and_then(|d| d["target_per_minute"].as_u64())
        .unwrap_or(0);
    GenerationConfig {
        events_per_minute: u32::try_from(per_minute).unwrap_or(u32::MAX),
        duration_minutes: u32::try_from(view.target.div_ceil(per_minute.max(1)))
            .unwrap_or(u32::MAX),
        event_types: Vec::new(),
        environment: "dev".to_string(),
    }
}

/// Generates `counts` events of each type now, with a fresh run key (so ids never repeat),
/// and publishes them to the events topic as our scenarios do. Returns them in order.
pub async fn publish_events(
    app: &AppState,
    counts: Vec<(EventType, u64)>,
) -> Result<Vec<Event>, AppError> {
    let pools = app.pools.clone();
    let events = tokio::task::spawn_blocking(move || {
        let types: Vec<EventType> = counts.iter().map(|(t, _)| *t).collect();
        let generator = EventGenerator::new(pools, &run_key(fresh_seed()), &types);
        let at = EventTime::now();
        let mut seq = 0;
        let mut events = Vec::new();
        for (ty, n) in counts {
            for _ in 0..n {
                events.push(generator.event_of(ty, seq, at));
                seq += 1;
            }
        }
        events
    })
    .await
    .map_err(|e| AppError::internal(&crate::error_chain(&e)))?;
    let messages = events.iter().map(Message::event).collect();
    app.bus
        .publish(&app.topics.events, messages)
        .await
        .map_err(|e| {
            tracing::warn!(error = %crate::error_chain(&e), "seed 003 publish failed");
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "publish_failed",
                "the events topic did not take the events",
            )
        })?;
    Ok(events)
}
