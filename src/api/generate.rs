//! `POST /generate`: one hour, one date, a range, or (empty body) the rolling window.

use super::body::OptionalJson;
use super::error::AppError;
use crate::app::AppState;
use crate::jobs::{rolling_window, JobView};
use crate::model::{parse_date, HourRange, InputError, PartitionHour};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What to generate. Give `date` (and optionally `hour`), or `from` and `to`, or nothing for
/// the rolling window.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// A date, `YYYY-MM-DD`: all its hours, or the one in `hour`.
    #[schema(example = "2026-11-20")]
    pub date: Option<String>,
    /// An hour of `date`, 0-23.
    #[schema(example = 5)]
    pub hour: Option<i64>,
    /// First hour of a range, `YYYY-MM-DDTHH`, inclusive.
    #[schema(example = "2026-11-01T00")]
    pub from: Option<String>,
    /// Last hour of a range, `YYYY-MM-DDTHH`, inclusive.
    #[schema(example = "2026-11-01T23")]
    pub to: Option<String>,
    /// Days of the rolling window (1-366), when no date or range is given. Default 3.
    pub window_days: Option<u32>,
    /// Rewrite hours that are already complete.
    #[serde(default)]
    pub force: bool,
}

/// A job that was started, or the running job that already does the same work.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobAccepted {
    pub job_id: String,
    /// Where to follow the job.
    pub status_url: String,
    /// True when an identical job was already running and this request joined it.
    pub existing: bool,
    pub job: JobView,
}

impl JobAccepted {
    /// The 202 answer for `job`.
    pub fn response(job: &crate::jobs::Job, existing: bool) -> (StatusCode, Json<JobAccepted>) {
        (
            StatusCode::ACCEPTED,
            Json(JobAccepted {
                status_url: format!("/jobs/{}", job.id),
                job_id: job.id.clone(),
                existing,
                job: job.view(),
            }),
        )
    }
}

#[utoipa::path(
    post,
    path = "/generate",
    tag = "pipeline",
    request_body(content = Option<GenerateRequest>, description = "Optional: empty means the rolling window"),
    responses(
        (status = 202, description = "Generation started (or joined)", body = JobAccepted),
        (status = 400, description = "Malformed body, date or hour", body = super::error::ErrorBody),
        (status = 422, description = "Impossible range", body = super::error::ErrorBody),
        (status = 429, description = "Too many jobs running", body = super::error::ErrorBody),
        super::error::JsonBodyRefusals,
    ),
    security(("bearer" = []))
)]
pub async fn generate(
    State(app): State<AppState>,
    OptionalJson(req): OptionalJson<GenerateRequest>,
) -> Result<(StatusCode, Json<JobAccepted>), AppError> {
    let range = plan(&req)?;
    let (job, existing) = crate::service::start_generate(&app.0, range, req.force)?;
    Ok(JobAccepted::response(&job, existing))
}

fn plan(req: &GenerateRequest) -> Result<HourRange, AppError> {
    let bad = |field: &str, e: InputError| {
        AppError::bad_request(error_code(&e), e.to_string()).with_field(field)
    };
    let range_error = |e: InputError| match e {
        InputError::Reversed { .. } | InputError::TooLong { .. } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_range",
            e.to_string(),
        )
        .with_field("to"),
        other => AppError::bad_request(error_code(&other), other.to_string()),
    };
    match (&req.date, req.hour, &req.from, &req.to) {
        (Some(_), _, Some(_), _) | (Some(_), _, _, Some(_)) => Err(AppError::bad_request(
            "invalid_body",
            "give either date (and hour) or from and to, not both",
        )
        .with_field("date")),
        (None, Some(_), _, _) => {
            Err(AppError::bad_request("invalid_body", "hour needs a date").with_field("hour"))
        }
        (Some(date), hour, None, None) => {
            let date = parse_date(date).map_err(|e| bad("date", e))?;
            match hour {
                None => HourRange::day(date).map_err(|e| bad("date", e)),
                Some(h) if (0..=23).contains(&h) => {
                    let h = PartitionHour::new(date, h as u8).map_err(|e| bad("hour", e))?;
                    HourRange::new(h, h).map_err(range_error)
                }
                Some(h) => Err(bad("hour", InputError::BadHour(h.to_string()))),
            }
        }
        (None, None, Some(from), Some(to)) => {
            let from: PartitionHour = from.parse().map_err(|e| bad("from", e))?;
            let to: PartitionHour = to.parse().map_err(|e| bad("to", e))?;
            HourRange::new(from, to).map_err(range_error)
        }
        (None, None, Some(_), None) => {
            Err(AppError::bad_request("invalid_body", "from needs to").with_field("to"))
        }
        (None, None, None, Some(_)) => {
            Err(AppError::bad_request("invalid_body", "to needs from").with_field("from"))
        }
        (None, None, None, None) => {
            let days = req.window_days.unwrap_or(3);
            if !(1..=366).contains(&days) {
                return Err(AppError::bad_request(
                    "invalid_body",
                    "window_days must be from 1 to 366",
                )
                .with_field("window_days"));
            }
            rolling_window(Utc::now().naive_utc(), days).map_err(range_error)
        }
    }
}

fn error_code(e: &InputError) -> &'static str {
    match e {
        InputError::BadDate(_) | InputError::DateOutOfRange(_) => "invalid_date",
        InputError::BadHour(_) | InputError::BadPartitionHour(_) => "invalid_hour",
        InputError::Reversed { .. } | InputError::TooLong { .. } => "invalid_range",
    }
}
