//! The job registry: every background job the service runs, with live progress and a final
//! state that is kept after the job ends (a cancelled job stays `cancelled`, with its counts).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

/// Live counters of a job. Implemented by each kind of work (hours, events, partitions).
pub trait JobProgress: Send + Sync + std::fmt::Debug {
    /// Units done so far.
    fn done(&self) -> u64;
    /// Units the job will do in all (0 while unknown).
    fn target(&self) -> u64;
    /// Kind-specific figures for status (a scenario's measured rate per minute, say).
    fn detail(&self) -> Option<serde_json::Value> {
        None
    }
}

/// A plain pair of counters, for jobs that report progress in steps.
#[derive(Debug, Default)]
pub struct Counters {
    pub done: AtomicU64,
    pub target: AtomicU64,
}

impl JobProgress for Counters {
    fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
    fn target(&self) -> u64 {
        self.target.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Generate,
    Refresh,
    Scenario,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        self != JobState::Running
    }
}

/// One job: what it is, its live progress, and how it ended.
#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// What the job works on, e.g. `2026-11-20T00..2026-11-20T23` or a scenario name.
    pub name: String,
    /// What `done` and `target` count: `hours`, `events`, `partitions`.
    pub unit: &'static str,
    pub created_at: DateTime<Utc>,
    started: Instant,
    pub cancel: CancellationToken,
    progress: Arc<dyn JobProgress>,
    end: Mutex<Option<JobEnd>>,
    durations: Arc<super::JobDurations>,
}

#[derive(Debug, Clone)]
struct JobEnd {
    state: JobState,
    finished_at: DateTime<Utc>,
    elapsed_secs: f64,
    error: Option<String>,
    result: Option<serde_json::Value>,
}

/// A job as `/status` and `/jobs/{id}` show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: JobKind,
    pub name: String,
    pub state: JobState,
    pub unit: String,
    pub done: u64,
    pub target: u64,
    /// Percent of the target done, when the target is known.
    pub percent: Option<f64>,
    /// Measured rate in units per second since the job started.
    pub rate_per_sec: f64,
    pub elapsed_secs: f64,
    /// Estimated seconds left at the measured rate, while running.
    pub eta_secs: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// What the job produced (rows written, rows merged), once completed.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Kind-specific live figures (for scenarios: target and measured events per minute).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl Job {
    pub fn state(&self) -> JobState {
        self.end_snapshot().map_or(JobState::Running, |e| e.state)
    }

    fn end_snapshot(&self) -> Option<JobEnd> {
        self.end.lock().ok().and_then(|e| e.clone())
    }

    /// Records how the job ended. The first call wins: a job ends once.
    pub fn finish(
        &self,
        state: JobState,
        error: Option<String>,
        result: Option<serde_json::Value>,
    ) {
        if let Ok(mut end) = self.end.lock() {
            if end.is_none() {
                let elapsed_secs = self.started.elapsed().as_secs_f64();
                self.durations.record(self.kind, state, elapsed_secs);
                *end = Some(JobEnd {
                    state,
                    finished_at: Utc::now(),
                    elapsed_secs,
                    error,
                    result,
                });
            }
        }
    }

    pub fn view(&self) -> JobView {
        let end = self.end_snapshot();
        let done = self.progress.done();
        let target = self.progress.target();
        let elapsed_secs = end
            .as_ref()
            .map_or_else(|| self.started.elapsed().as_secs_f64(), |e| e.elapsed_secs);
        let rate = if elapsed_secs > 0.0 {
            done as f64 / elapsed_secs
        } else {
            0.0
        };
        let running = end.is_none();
        JobView {
            id: self.id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            state: end.as_ref().map_or(JobState::Running, |e| e.state),
            unit: self.unit.to_string(),
            done,
            target,
            percent: (target > 0).then(|| (done as f64 * 100.0 / target as f64).min(100.0)),
            rate_per_sec: rate,
            elapsed_secs,
            eta_secs: (running && target > 0 && rate > 0.0)
                .then(|| target.saturating_sub(done) as f64 / rate),
            created_at: self.created_at,
            finished_at: end.as_ref().map(|e| e.finished_at),
            error: end.as_ref().and_then(|e| e.error.clone()),
            result: end.and_then(|e| e.result),
            detail: self.progress.detail(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("{running} jobs are running, the most allowed at once")]
    TooManyJobs { running: usize },
}

/// How `JobRegistry::admit` treats jobs of the same kind already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Always a new job (within the cap on running jobs).
    New,
    /// A running job of the same kind and name is the answer: the same work is not done twice.
    JoinSameName,
    /// Refused while any job of the kind runs.
    OnePerKind,
}

/// What `JobRegistry::admit` did.
#[derive(Debug, Clone)]
pub enum Admitted {
    New(Arc<Job>),
    /// The running job with the same kind and name.
    Joined(Arc<Job>),
    /// The running job of the kind that keeps a new one out.
    Busy(Arc<Job>),
}

/// Every job of this process, newest last. Finished jobs are kept (up to a bound) so their
/// outcome stays visible.
#[derive(Debug)]
pub struct JobRegistry {
    jobs: Mutex<BTreeMap<u64, Arc<Job>>>,
    next: AtomicU64,
    max_running: usize,
    durations: Arc<super::JobDurations>,
}

/// Finished jobs kept for `/status`; older ones are forgotten first.
const KEEP_FINISHED: usize = 200;

impl JobRegistry {
    pub fn new(max_running: usize) -> Self {
        Self {
            jobs: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
            max_running,
            durations: Arc::default(),
        }
    }

    /// Registers a running job. Refused past `max_running` jobs at once.
    pub fn start(
        &self,
        kind: JobKind,
        name: String,
        unit: &'static str,
        progress: Arc<dyn JobProgress>,
    ) -> Result<Arc<Job>, RegistryError> {
        match self.admit(kind, name, unit, progress, Admission::New)? {
            Admitted::New(job) | Admitted::Joined(job) | Admitted::Busy(job) => Ok(job),
        }
    }

    /// Registers a running job unless `admission` says a running one stands in for it. The
    /// check and the registration happen under one lock, so a burst of identical requests
    /// starts one job, not one per request.
    pub fn admit(
        &self,
        kind: JobKind,
        name: String,
        unit: &'static str,
        progress: Arc<dyn JobProgress>,
        admission: Admission,
    ) -> Result<Admitted, RegistryError> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let same_kind = |j: &&Arc<Job>| j.kind == kind && !j.state().is_finished();
        match admission {
            Admission::New => {}
            Admission::JoinSameName => {
                if let Some(job) = jobs.values().filter(same_kind).find(|j| j.name == name) {
                    return Ok(Admitted::Joined(job.clone()));
                }
            }
            Admission::OnePerKind => {
                if let Some(job) = jobs.values().find(same_kind) {
                    return Ok(Admitted::Busy(job.clone()));
                }
            }
        }
        let running = jobs.values().filter(|j| !j.state().is_finished()).count();
        if running >= self.max_running {
            return Err(RegistryError::TooManyJobs { running });
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let job = Arc::new(Job {
            id: format!("{}-{n}", kind_prefix(kind)),
            kind,
            name,
            unit,
            created_at: Utc::now(),
            started: Instant::now(),
            cancel: CancellationToken::new(),
            progress,
            end: Mutex::new(None),
            durations: self.durations.clone(),
        });
        jobs.insert(n, job.clone());
        let finished: Vec<u64> = jobs
            .iter()
            .filter(|(_, j)| j.state().is_finished())
            .map(|(k, _)| *k)
            .collect();
        for k in finished
            .iter()
            .take(finished.len().saturating_sub(KEEP_FINISHED))
        {
            jobs.remove(k);
        }
        Ok(Admitted::New(job))
    }

    /// How long finished jobs took, including those no longer listed.
    pub fn durations(&self) -> &super::JobDurations {
        &self.durations
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.values().find(|j| j.id == id).cloned()
    }

    /// Every running job of a kind.
    pub fn running_of(&self, kind: JobKind) -> Vec<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.values()
            .filter(|j| j.kind == kind && !j.state().is_finished())
            .cloned()
            .collect()
    }

    /// Every job, oldest first.
    pub fn all(&self) -> Vec<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.values().cloned().collect()
    }

    /// Asks every running job to stop.
    pub fn cancel_all(&self) {
        for job in self.all() {
            if !job.state().is_finished() {
                job.cancel.cancel();
            }
        }
    }
}

fn kind_prefix(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Generate => "gen",
        JobKind::Refresh => "refresh",
        JobKind::Scenario => "scn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(u64, u64);
    impl JobProgress for Fixed {
        fn done(&self) -> u64 {
            self.0
        }
        fn target(&self) -> u64 {
            self.1
        }
    }

    #[test]
    fn a_job_ends_once_and_keeps_its_state() {
        let reg = JobRegistry::new(4);
        let job = reg
            .start(
                JobKind::Scenario,
                "light_demo".into(),
                "events",
                Arc::new(Fixed(5, 150)),
            )
            .unwrap();
        assert_eq!(job.view().state, JobState::Running);
        assert_eq!(job.view().percent.map(|p| p.round()), Some(3.0));
        job.finish(JobState::Cancelled, None, None);
        job.finish(JobState::Completed, None, None);
        let v = reg.get(&job.id).unwrap().view();
        assert_eq!(v.state, JobState::Cancelled);
        assert_eq!((v.done, v.target), (5, 150));
        assert!(v.eta_secs.is_none() && v.finished_at.is_some());
    }

    #[test]
    fn running_jobs_are_capped_and_joinable() {
        let reg = JobRegistry::new(2);
        let a = reg
            .start(
                JobKind::Generate,
                "x".into(),
                "hours",
                Arc::new(Fixed(0, 1)),
            )
            .unwrap();
        reg.start(
            JobKind::Generate,
            "y".into(),
            "hours",
            Arc::new(Fixed(0, 1)),
        )
        .unwrap();
        assert_eq!(
            reg.start(
                JobKind::Generate,
                "z".into(),
                "hours",
                Arc::new(Fixed(0, 1))
            )
            .unwrap_err(),
            RegistryError::TooManyJobs { running: 2 }
        );
        // The same work joins the running job, even at the cap.
        let joined = reg
            .admit(
                JobKind::Generate,
                "x".into(),
                "hours",
                Arc::new(Fixed(0, 1)),
                Admission::JoinSameName,
            )
            .unwrap();
        assert!(matches!(joined, Admitted::Joined(j) if j.id == a.id));
        a.finish(JobState::Completed, None, None);
        assert!(reg
            .running_of(JobKind::Generate)
            .iter()
            .all(|j| j.id != a.id));
        assert!(reg
            .start(
                JobKind::Generate,
                "z".into(),
                "hours",
                Arc::new(Fixed(0, 1))
            )
            .is_ok());
    }
}
