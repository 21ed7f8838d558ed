//! The use cases: generate hours, refresh the warehouse, run a scenario, read the pipeline's
//! freshness. The HTTP handlers, the hourly schedule and the CLI all call them here, so the
//! service and the CLI differ only where a caller's flag says so. `App` (below) holds the
//! handles they work with; every job starts through `job::start`.

pub mod generate;
pub mod job;
pub mod refresh;
pub mod scenario;
pub mod schedule;

pub use generate::{
    generate_hours, plan_hours, GenerateJob, GenerateReport, GenerateResult, Planned,
};
pub use job::{BackgroundJob, Ended};
pub use refresh::RefreshJob;
pub use scenario::ScenarioJob;

use crate::app::App;
use crate::jobs::scenario::ScenarioSpec;
use crate::jobs::{Admitted, Job, RegistryError, WarehouseView};
use crate::model::HourRange;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("scenario job {0} is running; cancel it first or wait for it to end")]
    ScenarioRunning(String),
    #[error(transparent)]
    Scenario(#[from] crate::jobs::scenario::ScenarioError),
    /// Planning panicked on its blocking thread.
    #[error("the scenario's plan could not be made")]
    Planner(#[source] tokio::task::JoinError),
}

/// A scenario started: its job, the events it sends and its incidents as resolved.
#[derive(Debug)]
pub struct StartedScenario {
    pub job: Arc<Job>,
    pub total_events: u64,
    pub incidents: Vec<crate::jobs::scenario::IncidentReport>,
}

/// Starts (or joins) a generate job for `range`. Returns the job and whether it was already
/// running: a repeated request for the same work joins it instead of doing it twice.
pub fn start_generate(
    app: &Arc<App>,
    range: HourRange,
    force: bool,
) -> Result<(Arc<Job>, bool), StartError> {
    let work = GenerateJob::new(app.clone(), range, force);
    Ok(joinable(job::start(&app.jobs, work)?))
}

/// Starts (or joins) the incremental refresh of the warehouse. One refresh runs at a time: a
/// request while one runs joins it. `None` when there is no warehouse.
pub fn start_refresh(app: &Arc<App>) -> Result<Option<(Arc<Job>, bool)>, StartError> {
    let Some(work) = RefreshJob::new(app.clone()) else {
        return Ok(None);
    };
    Ok(Some(joinable(job::start(&app.jobs, work)?)))
}

/// Starts a scenario, planned on a blocking thread (a flash sale's plan looks at up to
/// `MAX_FLASH_WINDOW_EVENTS` events); refused while another one runs, or when its incidents
/// name ids the world does not have (before anything is admitted).
pub async fn start_scenario(
    app: &Arc<App>,
    spec: ScenarioSpec,
    seed: Option<u64>,
) -> Result<StartedScenario, StartError> {
    let planner = app.clone();
    let work = tokio::task::spawn_blocking(move || ScenarioJob::new(&planner, spec, seed))
        .await
        .map_err(StartError::Planner)??;
    admit_scenario(app, work)
}

/// Admits a planned scenario; refused while another one runs.
fn admit_scenario(app: &Arc<App>, work: ScenarioJob) -> Result<StartedScenario, StartError> {
    let plan = work.planned().plan();
    let (total_events, incidents) = (plan.total_events(), plan.reports().to_vec());
    match job::start(&app.jobs, work)? {
        Admitted::New(job) => Ok(StartedScenario {
            job,
            total_events,
            incidents,
        }),
        Admitted::Joined(running) | Admitted::Busy(running) => {
            Err(StartError::ScenarioRunning(running.id.clone()))
        }
    }
}

/// The warehouse's watermark and stream-table counts, cached for status pages.
pub async fn warehouse_view(app: &App) -> WarehouseView {
    app.freshness
        .warehouse_view(app.warehouse.as_ref(), app.subscriber.stats())
        .await
}

/// The job and whether it was already running.
fn joinable(admitted: Admitted) -> (Arc<Job>, bool) {
    match admitted {
        Admitted::New(job) => (job, false),
        Admitted::Joined(job) | Admitted::Busy(job) => (job, true),
    }
}
