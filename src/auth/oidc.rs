//! Verification of Google-signed OIDC ID tokens, as Cloud Scheduler sends them with
//! `--oidc-service-account-email` and `--oidc-token-audience`.

use super::jwks::{JwksError, KeyCache};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Where Google publishes the keys that sign its ID tokens.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// The two spellings of Google's issuer.
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];
/// Clock skew allowed on `exp`, `iat` and `nbf`.
const LEEWAY_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The audience Cloud Scheduler was told to ask for: usually the service's URL.
    pub audience: String,
    /// Service accounts allowed to call; a token of any other account is refused.
    pub service_accounts: Vec<String>,
    pub issuers: Vec<String>,
    /// The issuer's key set (Google's, or the test's own on 127.0.0.1).
    pub jwks_url: String,
}

impl OidcConfig {
    /// Google's issuer and keys, for `audience` and `service_accounts`.
    pub fn google(audience: String, service_accounts: Vec<String>) -> Self {
        Self {
            audience,
            service_accounts,
            issuers: GOOGLE_ISSUERS.map(String::from).to_vec(),
            jwks_url: GOOGLE_JWKS_URL.to_string(),
        }
    }
}

/// The claims we check and keep. `email` names the caller in logs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OidcClaims {
    pub iss: String,
    pub sub: String,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub exp: u64,
}

/// Why a token was refused. The messages name the failed check, never the token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token is not signed with RS256")]
    Algorithm,
    #[error("the token is signed with a key the issuer does not publish")]
    UnknownKey,
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is for another audience")]
    Audience,
    #[error("the token is from another issuer")]
    Issuer,
    #[error("the token's service account is not allowed to call this service")]
    Account,
    #[error("the token's claims are invalid: {0}")]
    Claims(String),
    /// The keys could not be fetched: not the caller's fault, answered 503.
    #[error("the issuer's signing keys are unavailable")]
    KeysUnavailable(#[source] JwksError),
}

/// Why an OIDC configuration is refused.
#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error("the OIDC audience must not be empty")]
    EmptyAudience,
    #[error("at least one allowed service account is needed for OIDC")]
    NoServiceAccounts,
    #[error(transparent)]
    Keys(#[from] JwksError),
}

#[derive(Debug)]
pub struct OidcVerifier {
    config: OidcConfig,
    keys: KeyCache,
}

impl OidcVerifier {
    pub fn new(config: OidcConfig) -> Result<Self, OidcConfigError> {
        if config.audience.trim().is_empty() {
            return Err(OidcConfigError::EmptyAudience);
        }
        if config.service_accounts.is_empty() {
            return Err(OidcConfigError::NoServiceAccounts);
        }
        let keys = KeyCache::new(config.jwks_url.clone())?;
        Ok(Self { config, keys })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Checks signature (RS256 with a published key), expiry, audience, issuer, and that the
    /// verified email is one of the allowed service accounts.
    pub async fn verify(&self, token: &str) -> Result<OidcClaims, OidcError> {
        let header = decode_header(token).map_err(|_| OidcError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(OidcError::Algorithm);
        }
        let kid = header.kid.ok_or(OidcError::UnknownKey)?;
        let set = self
            .keys
            .key_set_with(&kid)
            .await
            .map_err(OidcError::KeysUnavailable)?
            .ok_or(OidcError::UnknownKey)?;
        let jwk = set.find(&kid).ok_or(OidcError::UnknownKey)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| OidcError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_audience(&[&self.config.audience]);
        validation.set_issuer(&self.config.issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = decode::<OidcClaims>(token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::InvalidSignature => OidcError::Signature,
                    K::ExpiredSignature | K::ImmatureSignature => OidcError::Expired,
                    K::InvalidAudience => OidcError::Audience,
                    K::InvalidIssuer => OidcError::Issuer,
                    K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => {
                        OidcError::Malformed
                    }
                    other => OidcError::Claims(format!("{other:?}")),
                }
            })?
            .claims;
        let allowed = claims.email_verified
            && claims
                .email
                .as_ref()
                .is_some_and(|e| self.config.service_accounts.iter().any(|a| a == e));
        if !allowed {
            return Err(OidcError::Account);
        }
        Ok(claims)
    }
}
