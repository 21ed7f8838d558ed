//! retail-pipeline: a deterministic, linked retail data set every hour, landed in a
//! Hive-partitioned lake.
//!
//! - [`generate`]: the pure generator, `(seed, scale, date, hour) -> bytes`.
//! - [`lake`]: the `BlobStore` trait, its local backend and the partition manifests.
//! - [`bus`]: the `Publisher` trait, the in-process bus, alerts and the subscriber.
//! - [`jobs`]: planning and running sets of hours.
//! - [`cli`]: the `retail-pipeline` command line.

pub mod bus;
pub mod cli;
pub mod config;
pub mod generate;
pub mod jobs;
pub mod lake;
pub mod model;
pub mod telemetry;
