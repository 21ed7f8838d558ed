//! One path for every background job: admit it in the registry (or join the run already doing
//! the same work), run it in its own task under a `job` span, and record how it ended with a
//! typed result. What a job does lives in its `BackgroundJob::run`; how jobs start, log and end
//! lives here, once.

use crate::jobs::RegistryError;
use crate::jobs::{Admission, Admitted, Job, JobKind, JobProgress, JobRegistry, JobState};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;

/// A kind of background work, as crates.io's `BackgroundJob`: what it is called, how it is
/// admitted beside running jobs, and what it does.
pub trait BackgroundJob: Send + Sized + 'static {
    const KIND: JobKind;
    /// What the job's `done` and `target` count.
    const UNIT: &'static str;
    /// How a running job of the same kind affects a new one.
    const ADMISSION: Admission;
    /// What the job produces, kept as the job's `result`.
    type Output: Serialize + Send;

    /// What the job works on (a range of hours, a scenario name): with `JoinSameName`, a
    /// running job with the same name is the same work.
    fn name(&self) -> String;
    /// The live counters `/jobs/{id}` shows while the job runs.
    fn progress(&self) -> Arc<dyn JobProgress>;
    /// Does the work. `job.cancel` asks it to stop early; an error fails the job.
    fn run(self, job: Arc<Job>)
        -> impl Future<Output = anyhow::Result<Ended<Self::Output>>> + Send;
}

/// How a job that ran to its end (without an error) ended.
#[derive(Debug)]
pub struct Ended<T> {
    pub output: T,
    /// Set when the job stopped on its cancel token; what it did is kept.
    pub cancelled: bool,
    /// Set when the job finished its work but part of it failed (a refresh's corrupt hour):
    /// the job ends `failed` with this error and still keeps its output.
    pub failure: Option<String>,
}

impl<T> Ended<T> {
    pub fn completed(output: T) -> Self {
        Self {
            output,
            cancelled: false,
            failure: None,
        }
    }
}

/// Admits `work` and, when it is new, starts it. A running job that stands in for it (the same
/// work, or the one job of its kind allowed) comes back as `Joined` or `Busy` and nothing starts.
pub fn start<J: BackgroundJob>(registry: &JobRegistry, work: J) -> Result<Admitted, RegistryError> {
    let admitted = registry.admit(J::KIND, work.name(), J::UNIT, work.progress(), J::ADMISSION)?;
    if let Admitted::New(job) = &admitted {
        spawn(job, work);
    }
    Ok(admitted)
}

/// Runs the job's task inside its `job` span. Created here, in the caller's context, the span is
/// a child of the request (or schedule tick) that started the job, so the job's logs and its
/// trace span group under the caller's trace. A failed job's span ends with an error status.
fn spawn<J: BackgroundJob>(job: &Arc<Job>, work: J) {
    let kind = crate::metrics::json_name(&job.kind);
    let span = tracing::info_span!(
        "job",
        job = %job.id,
        kind = %kind,
        name = %job.name,
        otel.status_description = tracing::field::Empty,
    );
    crate::telemetry::link_logs(&span);
    let job = job.clone();
    let task = async move {
        let (state, error, result) = match work.run(job.clone()).await {
            Ok(ended) => {
                let state = match (&ended.failure, ended.cancelled) {
                    (Some(_), _) => JobState::Failed,
                    (None, true) => JobState::Cancelled,
                    (None, false) => JobState::Completed,
                };
                let result = serde_json::to_value(&ended.output).ok();
                (state, ended.failure, result)
            }
            Err(e) => {
                // At ERROR with the job id: what the deployed "a job failed" alert matches.
                let error = crate::error_chain(e.as_ref());
                tracing::error!(job = %job.id, kind = %kind, %error, "job failed");
                (JobState::Failed, Some(error), None)
            }
        };
        if let Some(error) = &error {
            tracing::Span::current().record("otel.status_description", error.as_str());
        }
        job.finish(state, error, result);
    };
    tokio::spawn(tracing::Instrument::instrument(task, span));
}
