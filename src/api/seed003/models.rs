//! Seed 003's request and response bodies, field for field as its event-generator service
//! (FastAPI, `cloud-functions/event-generator/main.py`) writes them.

use crate::jobs::scenario::ScenarioSpec;
use crate::jobs::{Job, JobState};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Seed 003's `GenerationConfig`: every field optional with its default; unknown fields are
/// ignored, as pydantic ignores them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct GenerationConfig {
    #[schema(example = 120)]
    pub events_per_minute: u32,
    #[schema(example = 10)]
    pub duration_minutes: u32,
    /// `order`, `inventory`, `user_activity`.
    #[schema(example = json!(["order", "inventory"]))]
    pub event_types: Vec<String>,
    /// Echoed back, as seed 003 does; the topic is this service's own `--events-topic`.
    #[schema(example = "dev")]
    pub environment: String,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self {
            events_per_minute: 60,
            duration_minutes: 10,
            event_types: ["order", "inventory", "user_activity"]
                .map(String::from)
                .to_vec(),
            environment: "dev".to_string(),
        }
    }
}

impl GenerationConfig {
    /// The configuration a scenario spec amounts to (named scenarios are always `dev`, as
    /// seed 003's catalogue is).
    pub fn of_spec(spec: &ScenarioSpec) -> Self {
        Self {
            events_per_minute: spec.events_per_minute,
            duration_minutes: u32::try_from(spec.duration_seconds.div_ceil(60)).unwrap_or(u32::MAX),
            event_types: spec.event_types.iter().map(|t| t.to_string()).collect(),
            environment: "dev".to_string(),
        }
    }
}

/// `GET /`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Root {
    /// Always `healthy`.
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
    pub timestamp: String,
}

/// `GET /scenarios/{name}`: one entry of seed 003's catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioDetail {
    pub config: GenerationConfig,
    pub description: &'static str,
    pub use_case: &'static str,
    /// `5 minutes`, `1 minute`.
    pub duration: String,
    pub total_events: u64,
}

/// `POST /generate/single/{type}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SingleEvent {
    /// Always `success`.
    pub status: &'static str,
    pub event_type: String,
    /// The event as published (this service's shape, as `GET /sample/{type}` shows it).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    pub timestamp: String,
}

/// One event of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub event_type: String,
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /generate/batch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Batch {
    /// Always `completed`.
    pub status: &'static str,
    pub total_events: u64,
    pub successful_events: u64,
    pub failed_events: u64,
    pub results: Vec<BatchResult>,
    pub timestamp: String,
}

/// `POST /generate/start`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// Always `started`.
    pub status: &'static str,
    /// The job's id: poll it at `GET /generate/status/{task_id}` (or `GET /jobs/{id}`).
    pub task_id: String,
    pub config: GenerationConfig,
    pub estimated_duration_minutes: u32,
    pub estimated_total_events: u64,
}

/// A generation task: a scenario job as seed 003 shows its tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: String,
    /// `running`, `completed`, `failed` or `stopped`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario_name: Option<String>,
    pub config: GenerationConfig,
    pub start_time: String,
    pub events_generated: u64,
    /// About when the task last sent (its start plus its time running, or its end: a
    /// scheduled run sends on its schedule); `null` before its first event.
    pub last_event_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Task {
    /// `job` as a task running `config`.
    pub fn of(job: &Job, config: GenerationConfig) -> Self {
        let view = job.view();
        let status = match view.state {
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "stopped",
        };
        let finished = view.finished_at.is_some();
        // The latest send: the start plus the time elapsed, once something was sent.
        let last_event_time = (view.done > 0).then(|| {
            let elapsed = chrono::Duration::milliseconds((view.elapsed_secs * 1000.0) as i64);
            timestamp(view.finished_at.unwrap_or(view.created_at + elapsed))
        });
        Self {
            id: view.id,
            status,
            scenario_name: (view.name != "custom").then_some(view.name),
            config,
            start_time: timestamp(view.created_at),
            events_generated: view.done,
            last_event_time,
            end_time: view.finished_at.map(timestamp),
            total_events: finished.then_some(view.done),
            error: view.error,
        }
    }
}

/// `GET /generate/status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllTasks {
    /// Tasks listed, finished ones included (seed 003 counts them the same way).
    pub active_tasks: usize,
    pub tasks: BTreeMap<String, Task>,
}

/// `DELETE /generate/stop`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoppedAll {
    /// Always `all_stopped`.
    pub status: &'static str,
    pub stopped_task_count: usize,
    pub stopped_tasks: Vec<String>,
}

/// `DELETE /generate/stop/{task_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoppedOne {
    /// Always `stopped`.
    pub status: &'static str,
    pub task_id: String,
    pub task_info: Task,
}

/// Seed 003's time format: ISO 8601 UTC with microseconds and `Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now() -> String {
    timestamp(Utc::now())
}
