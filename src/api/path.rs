//! Path parameters, with every rejection answered as the JSON `AppError` like any other bad
//! input: axum's own `Path` answers text/plain (for example to `/jobs/%FF%FE`, whose
//! percent-decoded bytes are not UTF-8).

use super::error::AppError;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// `Path<T>` whose rejection is 400 `invalid_path`, `field` naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(path_error)
    }
}

/// Here rather than beside the other rejections in `error.rs`, so that the error type does not
/// depend on this module that depends on it.
impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        path_error(r)
    }
}

/// The answer to a path that does not extract. Rejections that axum classes as server errors
/// (a handler asking for parameters its route does not have) are our bugs: logged, 500.
pub fn path_error(rejection: PathRejection) -> AppError {
    if rejection.status().is_server_error() {
        return AppError::internal(&rejection);
    }
    let PathRejection::FailedToDeserializePathParams(failed) = &rejection else {
        return AppError::bad_request("invalid_path", rejection.body_text());
    };
    match failed.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => AppError::bad_request(
            "invalid_path",
            format!("the path parameter `{key}` is not valid UTF-8 once percent-decoded"),
        )
        .with_field(key),
        ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::DeserializeError { key, .. } => {
            AppError::bad_request("invalid_path", failed.body_text()).with_field(key)
        }
        _ => AppError::bad_request("invalid_path", failed.body_text()),
    }
}
