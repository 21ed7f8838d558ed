//! Seed 003's event-generator API (mhassan01/gcp-realtime-data-pipeline,
//! `cloud-functions/event-generator/main.py`, its README and `docs/deployment-guide.md`) beside
//! ours: its paths and bodies, mapped onto the same scenario jobs, generator and bus (one
//! implementation, two surfaces). Where its path is ours (`GET /scenarios`, `GET /health`,
//! `GET /sample/{type}`, `POST /scenarios/{name}/start`) ours answers; README.md, "Coming from
//! the seeds", says what differs. Every call into the application is in `uses`.

mod handlers;
pub mod models;
mod uses;

pub use handlers::*;
pub use uses::TaskConfigs;

use crate::app::AppState;
use axum::routing::{delete, get, post};
use axum::Router;

/// `/`, `/liveness` and `/readiness`: probes, open whatever is configured.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/", get(seed003_root))
        .route("/liveness", get(seed003_liveness))
        .route("/readiness", get(seed003_readiness))
}

/// The reads; they need a `TaskConfigs` extension.
pub fn reads() -> Router<AppState> {
    Router::new()
        .route("/scenarios/{name}", get(seed003_scenario))
        .route("/generate/status", get(seed003_status_all))
        .route("/generate/status/{task_id}", get(seed003_status_task))
}

/// The calls that publish, start or stop; they need a `TaskConfigs` extension.
pub fn mutating() -> Router<AppState> {
    Router::new()
        .route(
            "/generate/single/{event_type}",
            post(seed003_generate_single),
        )
        .route("/generate/batch", post(seed003_generate_batch))
        .route("/generate/start", post(seed003_generate_start))
        .route("/generate/stop", delete(seed003_stop_all))
        .route("/generate/stop/{task_id}", delete(seed003_stop_task))
        // The deployment guide's spelling of the same stop (`docs::StopAlias`).
        .route("/generate/status/{task_id}", delete(seed003_stop_task))
}
