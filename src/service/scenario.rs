//! A scenario run as a job: exactly its events, at its rate, to the events topic. One scenario
//! runs at a time, so a rate asked for is the rate sent.

use super::job::{BackgroundJob, Ended};
use crate::app::App;
use crate::generate::events::EventTime;
use crate::jobs::scenario::{
    fresh_seed, run_key, Pacing, PlannedRun, ScenarioError, ScenarioProgress, ScenarioRunner,
    ScenarioSpec, ScenarioSummary,
};
use crate::jobs::{Admission, Job, JobKind, JobProgress, JobState};
use std::sync::Arc;

/// A scenario run, planned: the start response reports its plan (the incidents' chosen ids,
/// windows and exact counts) and the run follows that same plan, made once.
pub struct ScenarioJob {
    runner: ScenarioRunner,
    planned: PlannedRun,
    progress: Arc<ScenarioProgress>,
}

impl ScenarioJob {
    /// Plans the run. Its ids come from `seed` (replayable) or, without one, from a seed drawn
    /// from the OS: never from the job id, which restarts at `scn-1` in every process. Fails
    /// when its incidents name ids the world does not have. CPU work (a flash sale looks at
    /// the events of its window): async callers run it on a blocking thread.
    pub fn new(app: &App, spec: ScenarioSpec, seed: Option<u64>) -> Result<Self, ScenarioError> {
        let seed = seed.unwrap_or_else(fresh_seed);
        let runner = ScenarioRunner::new(app.pools.clone(), app.bus.clone(), &app.topics.events);
        let planned = runner.plan(&spec, &run_key(seed), EventTime::now())?;
        let progress = ScenarioProgress::seeded(seed);
        progress.prepare(planned.plan());
        Ok(Self {
            runner,
            planned,
            progress,
        })
    }

    /// Its plan: what the start reports.
    pub fn planned(&self) -> &PlannedRun {
        &self.planned
    }
}

impl BackgroundJob for ScenarioJob {
    const KIND: JobKind = JobKind::Scenario;
    const UNIT: &'static str = "events";
    const ADMISSION: Admission = Admission::OnePerKind;
    type Output = ScenarioSummary;

    fn name(&self) -> String {
        self.planned.plan().spec().name.clone()
    }

    fn progress(&self) -> Arc<dyn JobProgress> {
        self.progress.clone()
    }

    async fn run(self, job: Arc<Job>) -> anyhow::Result<Ended<ScenarioSummary>> {
        let summary = self
            .runner
            .run_planned(self.planned, Pacing::Scheduled, &self.progress, &job.cancel)
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
