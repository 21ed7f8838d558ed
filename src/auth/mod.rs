//! Who may call the mutating endpoints: a static bearer token for local use, and on Cloud Run
//! the Google-signed OIDC token that Cloud Scheduler sends, checked for audience, issuer and
//! service account (`gcp` feature).

#[cfg(feature = "gcp")]
mod jwks;
#[cfg(feature = "gcp")]
mod oidc;

#[cfg(feature = "gcp")]
pub use jwks::JwksError;
#[cfg(feature = "gcp")]
pub use oidc::{
    OidcClaims, OidcConfig, OidcConfigError, OidcError, OidcVerifier, GOOGLE_ISSUERS,
    GOOGLE_JWKS_URL,
};
