//! The one error type at the HTTP edge: a status, a stable machine-readable code, a message for
//! people, and the field at fault. Never internal details: those go to the log.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The refusals every endpoint that takes a JSON body shares, as OpenAPI responses (listed in
/// `responses(...)` beside the endpoint's own; never returned as such).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum JsonBodyRefusals {
    #[response(status = 401, description = "Missing or wrong bearer token")]
    Unauthorized(ErrorBody),
    #[response(status = 413, description = "Body too large")]
    TooLarge(ErrorBody),
    #[response(
        status = 415,
        description = "A body that is not sent as application/json"
    )]
    NotJson(ErrorBody),
}

/// The refusals of every scenario start, as OpenAPI responses: one scenario runs at a time,
/// within the jobs limit.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ScenarioStartRefusals {
    #[response(status = 409, description = "A scenario is already running")]
    AlreadyRunning(ErrorBody),
    #[response(status = 429, description = "Too many jobs running")]
    TooManyJobs(ErrorBody),
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ErrorBody {
    /// Stable code for scripts: `invalid_body`, `invalid_date`, `invalid_range`, `job_not_found`...
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                field: None,
            },
        }
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.body.field = Some(field.to_string());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// An unexpected failure: logged in full, answered with a generic message.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request failed; the service log has the details",
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the request body is too large",
                )
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            other => Self::bad_request("invalid_body", other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request("invalid_query", r.body_text())
    }
}

impl From<crate::service::StartError> for AppError {
    fn from(e: crate::service::StartError) -> Self {
        match e {
            crate::service::StartError::Registry(e) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_jobs",
                e.to_string(),
            ),
            e @ crate::service::StartError::ScenarioRunning(_) => {
                Self::new(StatusCode::CONFLICT, "scenario_running", e.to_string())
            }
            crate::service::StartError::Scenario(e) => {
                let err = Self::bad_request("invalid_scenario", e.to_string());
                match e.field() {
                    Some(f) => err.with_field(f),
                    None => err,
                }
            }
            e @ crate::service::StartError::Planner(_) => Self::internal(&crate::error_chain(&e)),
        }
    }
}

/// The answer to any unknown path.
pub async fn not_found() -> AppError {
    AppError::not_found("not_found", "no such endpoint; see /docs")
}

/// The answer to a known path with the wrong method.
pub async fn method_not_allowed() -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /docs",
    )
}
