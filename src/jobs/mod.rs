//! Jobs: what to generate and the runner that generates and writes it; event scenarios.

pub mod durations;
pub mod freshness;
pub mod plan;
pub mod registry;
pub mod run;
pub mod scenario;

pub use durations::{Histogram, JobDurations};
pub use freshness::{Freshness, WarehouseView};
pub use plan::{rolling_window, work_units, WorkUnit};
pub use registry::{
    Admission, Admitted, Counters, Job, JobKind, JobProgress, JobRegistry, JobState, JobView,
    RegistryError,
};
pub use run::{
    publish_pending_alerts, run_hours, writes_in_flight, AlertPublisher, Republished, RunError,
    RunProgress, RunSummary, RunTarget,
};
