//! Jobs: what to generate and the runner that generates and writes it; event scenarios.

pub mod plan;
pub mod run;
pub mod scenario;

pub use plan::{rolling_window, work_units, WorkUnit};
pub use run::{run_hours, RunError, RunProgress, RunSummary};
