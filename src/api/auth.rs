//! Authentication of requests: a static bearer token, or a Google-signed OIDC token (Cloud
//! Scheduler's), when configured. Mutating endpoints always need it when configured; read
//! endpoints only with `--protect-reads`.

use super::error::AppError;
use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Guards the mutating endpoints.
pub async fn require_auth(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if app.settings.has_auth() {
        check(&app, bearer(&request)).await?;
    }
    Ok(next.run(request).await)
}

/// Guards the read endpoints when `--protect-reads` is on.
pub async fn require_auth_for_reads(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if app.settings.protect_reads {
        check(&app, bearer(&request)).await?;
    }
    Ok(next.run(request).await)
}

/// The bearer token of the request, copied out so that no borrow of the request (whose body is
/// not `Sync`) lives across the key fetch.
fn bearer(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

async fn check(app: &AppState, given: Option<String>) -> Result<(), AppError> {
    let Some(token) = given.as_deref() else {
        return Err(unauthorized(
            "this endpoint needs Authorization: Bearer <token>",
        ));
    };
    if let Some(expected) = app.settings.api_token.as_deref() {
        if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            return Ok(());
        }
    }
    #[cfg(feature = "gcp")]
    if let Some(oidc) = &app.settings.oidc {
        use crate::auth::OidcError;
        // A static token is not a JWT: don't report it as a malformed OIDC token.
        let looks_like_jwt = token.split('.').count() == 3;
        if looks_like_jwt || app.settings.api_token.is_none() {
            return match oidc.verify(token).await {
                Ok(claims) => {
                    tracing::debug!(
                        caller = claims.email.as_deref().unwrap_or(""),
                        "oidc caller"
                    );
                    Ok(())
                }
                Err(OidcError::KeysUnavailable(e)) => {
                    let error = crate::error_chain(&e);
                    tracing::error!(%error, "oidc keys unavailable");
                    Err(AppError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "auth_unavailable",
                        "the identity provider's signing keys cannot be fetched; retry later",
                    ))
                }
                Err(e) => Err(unauthorized(&e.to_string())),
            };
        }
    }
    Err(unauthorized(
        "the bearer token is not valid for this service",
    ))
}

fn unauthorized(message: &str) -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares_exactly() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
    }
}
