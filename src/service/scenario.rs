//! A scenario run as a job: exactly its events, at its rate, to the events topic. One scenario
//! runs at a time, so a rate asked for is the rate sent.

use super::job::{BackgroundJob, Ended};
use crate::app::App;
use crate::jobs::scenario::{
    fresh_seed, run_key, RunOptions, ScenarioProgress, ScenarioRunner, ScenarioSpec,
    ScenarioSummary,
};
use crate::jobs::{Admission, Job, JobKind, JobProgress, JobState};
use std::sync::Arc;

pub struct ScenarioJob {
    pub runner: ScenarioRunner,
    pub spec: ScenarioSpec,
    pub seed: u64,
    pub progress: Arc<ScenarioProgress>,
}

impl ScenarioJob {
    /// Its ids come from `seed` (replayable) or, without one, from a seed drawn from the OS:
    /// never from the job id, which restarts at `scn-1` in every process.
    pub fn new(app: &App, spec: ScenarioSpec, seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(fresh_seed);
        Self {
            runner: ScenarioRunner::new(app.pools.clone(), app.bus.clone(), &app.topics.events),
            spec,
            seed,
            progress: ScenarioProgress::seeded(seed),
        }
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
                RunOptions::default(),
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
