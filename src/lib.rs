//! retail-pipeline: a deterministic, linked retail data set every hour, landed in a
//! Hive-partitioned lake, served over HTTP.
//!
//! - [`generate`]: the pure generator, `(seed, scale, date, hour) -> bytes`.
//! - [`lake`]: the `BlobStore` trait, its local backend and the partition manifests.
//! - [`bus`]: the `Publisher` trait, the in-process bus, alerts and the subscriber.
//! - [`jobs`]: planning and running sets of hours, scenarios, the job registry, the schedule.
//! - [`warehouse`]: the `Warehouse` trait, the embedded DuckDB warehouse and its analytics.
//! - [`app`]: the wired application; [`api`]: its HTTP surface.
//! - [`cli`]: the `retail-pipeline` command line.

pub mod api;
pub mod app;
pub mod auth;
pub mod backends;
pub mod bus;
pub mod cli;
pub mod config;
#[cfg(feature = "gcp")]
pub mod gcp;
pub mod generate;
pub mod jobs;
pub mod lake;
pub mod metrics;
pub mod model;
pub mod service;
pub mod telemetry;
pub mod tls;
pub mod warehouse;

/// An error and its causes, outermost first, joined by ": " as anyhow's `{:#}` prints them,
/// but skipping a cause whose text an outer message already quotes (some library errors
/// repeat their source in their own message). For log fields and one-line messages.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}
