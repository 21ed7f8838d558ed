//! A scenario run as a job: exactly its events, at its rate, to the events topic. One scenario
//! runs at a time, so a rate asked for is the rate sent.

use super::job::{BackgroundJob, Ended};
use crate::app::App;
use crate::generate::events::{EventGenerator, EventTime};
use crate::jobs::scenario::{
    fresh_seed, run_key, IncidentReport, RunOptions, RunPlan, ScenarioError, ScenarioProgress,
    ScenarioRunner, ScenarioSpec, ScenarioSummary,
};
use crate::jobs::{Admission, Job, JobKind, JobProgress, JobState};
use std::sync::Arc;

pub struct ScenarioJob {
    pub runner: ScenarioRunner,
    pub spec: ScenarioSpec,
    pub seed: u64,
    pub progress: Arc<ScenarioProgress>,
    /// The event time of the run's first slot: fixed here, so the plan made now (which the
    /// start reports) is the one the run makes again.
    pub base_time: EventTime,
    /// Events the run sends, incidents included.
    pub total_events: u64,
    /// Its incidents, resolved.
    pub incidents: Vec<IncidentReport>,
}

impl ScenarioJob {
    /// Its ids come from `seed` (replayable) or, without one, from a seed drawn from the OS:
    /// never from the job id, which restarts at `scn-1` in every process. Fails when its
    /// incidents name ids the world does not have.
    pub fn new(app: &App, spec: ScenarioSpec, seed: Option<u64>) -> Result<Self, ScenarioError> {
        let seed = seed.unwrap_or_else(fresh_seed);
        let base_time = EventTime::now();
        let generator = EventGenerator::new(app.pools.clone(), &run_key(seed), &spec.event_types);
        let plan = RunPlan::new(&spec, &generator, base_time)?;
        let progress = ScenarioProgress::seeded(seed);
        progress.prepare(&plan);
        Ok(Self {
            runner: ScenarioRunner::new(app.pools.clone(), app.bus.clone(), &app.topics.events),
            spec,
            seed,
            progress,
            base_time,
            total_events: plan.total_events(),
            incidents: plan.reports().to_vec(),
        })
    }
}

impl BackgroundJob for ScenarioJob {
    const KIND: JobKind = JobKind::Scenario;
    const UNIT: &'static str = "events";
    const ADMISSION: Admission = Admission::OnePerKind;
    type Output = ScenarioSummary;

    fn name(&self) -> String {
        self.spec.name.clone()
    }

    fn progress(&self) -> Arc<dyn JobProgress> {
        self.progress.clone()
    }

    async fn run(self, job: Arc<Job>) -> anyhow::Result<Ended<ScenarioSummary>> {
        let summary = self
            .runner
            .run(
                &self.spec,
                &run_key(self.seed),
                RunOptions {
                    base_time: Some(self.base_time),
                    ..RunOptions::default()
                },
                &self.progress,
                &job.cancel,
            )
            .await?;
        let state = if summary.cancelled {
            JobState::Cancelled
        } else {
            JobState::Completed
        };
        tracing::info!(job = %job.id, sent = summary.sent, ?state, "scenario ended");
        Ok(Ended {
            cancelled: summary.cancelled,
            output: summary,
            failure: None,
        })
    }
}
