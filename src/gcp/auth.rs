//! Credentials for Google Cloud REST calls.
//!
//! Deployed, Application Default Credentials: a key file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's `application_default_credentials.json`, else
//! the metadata server (Cloud Run). Against emulators, `Credentials::Anonymous`: no header and,
//! above all, no request to a metadata server or token endpoint.

use serde::Deserialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Tokens are renewed this long before Google says they expire.
const EARLY_RENEWAL: Duration = Duration::from_secs(300);
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const METADATA_TOKEN_URL: &str =
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot get Google Cloud credentials: {message}")]
pub struct TokenError {
    pub message: String,
    /// No answer from the token endpoint, or one it documents as passing (429, 5xx): the
    /// request that needed the token is retried like any transient failure. A metadata server
    /// that is briefly unreachable at a Cloud Run cold start is the common case.
    pub transient: bool,
}

impl TokenError {
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }

    fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
        }
    }
}

/// Where access tokens come from. `Debug` never shows a secret.
pub enum Credentials {
    /// No `Authorization` header (emulators).
    Anonymous,
    /// A fixed bearer token (tests, or a token minted outside).
    Static(String),
    /// The Cloud Run / GCE metadata server.
    MetadataServer(TokenCache),
    /// A user's refresh token (`gcloud auth application-default login`).
    AuthorizedUser(AuthorizedUser, TokenCache),
    /// A service account key file: a self-signed JWT exchanged for a token.
    ServiceAccount(ServiceAccountKey, TokenCache),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Deserialize)]
pub struct AuthorizedUser {
    client_id: String,
    client_secret: String,
    refresh_token: String,
}

#[derive(Deserialize)]
pub struct ServiceAccountKey {
    client_email: String,
    private_key: String,
    #[serde(default = "default_token_uri")]
    token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

/// The current token and when it must be renewed.
#[derive(Default)]
pub struct TokenCache(Mutex<Option<(String, Instant)>>);

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

impl Credentials {
    /// Application Default Credentials, resolved in Google's documented order. Reads files only;
    /// no request is made until the first token is needed.
    pub fn application_default() -> Result<Self, TokenError> {
        let path = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS")
            .map(PathBuf::from)
            .or_else(|| {
                let home = std::env::var_os("HOME")?;
                let p =
                    PathBuf::from(home).join(".config/gcloud/application_default_credentials.json");
                p.exists().then_some(p)
            });
        let Some(path) = path else {
            return Ok(Self::MetadataServer(TokenCache::default()));
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| TokenError::permanent(format!("reading {}: {e}", path.display())))?;
        Self::from_json(&text)
            .map_err(|e| TokenError::permanent(format!("{}: {}", path.display(), e.message)))
    }

    /// Credentials from the JSON of a key file or an authorized-user file.
    pub fn from_json(text: &str) -> Result<Self, TokenError> {
        #[derive(Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            kind: String,
        }
        let bad =
            |e: serde_json::Error| TokenError::permanent(format!("not a credentials file: {e}"));
        let kind: Kind = serde_json::from_str(text).map_err(bad)?;
        match kind.kind.as_str() {
            "service_account" => Ok(Self::ServiceAccount(
                serde_json::from_str(text).map_err(bad)?,
                TokenCache::default(),
            )),
            "authorized_user" => Ok(Self::AuthorizedUser(
                serde_json::from_str(text).map_err(bad)?,
                TokenCache::default(),
            )),
            other => Err(TokenError::permanent(format!(
                "credentials of type '{other}' are not supported (use a service account key, gcloud's application-default login, or the metadata server)"
            ))),
        }
    }

    /// What kind of credentials these are (never the secret itself).
    pub fn describe(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Static(_) => "static token".into(),
            Self::MetadataServer(_) => "metadata server".into(),
            Self::AuthorizedUser(..) => "authorized user".into(),
            Self::ServiceAccount(key, _) => format!("service account {}", key.client_email),
        }
    }

    /// The bearer token to send, `None` for anonymous calls. Cached until shortly before it
    /// expires; concurrent callers share one fetch.
    pub async fn token(&self, client: &reqwest::Client) -> Result<Option<String>, TokenError> {
        let cache = match self {
            Self::Anonymous => return Ok(None),
            Self::Static(t) => return Ok(Some(t.clone())),
            Self::MetadataServer(c) | Self::AuthorizedUser(_, c) | Self::ServiceAccount(_, c) => c,
        };
        let mut slot = cache.0.lock().await;
        if let Some((token, renew_at)) = slot.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(Some(token.clone()));
            }
        }
        let fresh = self.fetch(client).await?;
        let renew_at =
            Instant::now() + Duration::from_secs(fresh.expires_in).saturating_sub(EARLY_RENEWAL);
        *slot = Some((fresh.access_token.clone(), renew_at));
        Ok(Some(fresh.access_token))
    }

    /// Forgets the cached token, so the next call fetches a new one: for a token the server
    /// refused (401) before it was due for renewal (revoked, or a clock that drifted).
    pub async fn invalidate(&self) {
        if let Self::MetadataServer(c) | Self::AuthorizedUser(_, c) | Self::ServiceAccount(_, c) =
            self
        {
            *c.0.lock().await = None;
        }
    }

    /// Whether tokens come from a fetch that `invalidate` can renew.
    pub fn renewable(&self) -> bool {
        !matches!(self, Self::Anonymous | Self::Static(_))
    }

    async fn fetch(&self, client: &reqwest::Client) -> Result<TokenResponse, TokenError> {
        let request = match self {
            Self::MetadataServer(_) => client
                .get(METADATA_TOKEN_URL)
                .header("Metadata-Flavor", "Google"),
            Self::AuthorizedUser(user, _) => client
                .post("https://oauth2.googleapis.com/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", &user.client_id),
                    ("client_secret", &user.client_secret),
                    ("refresh_token", &user.refresh_token),
                ])),
            Self::ServiceAccount(key, _) => {
                let assertion = key.assertion()?;
                client
                    .post(&key.token_uri)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                        ("assertion", &assertion),
                    ]))
            }
            Self::Anonymous | Self::Static(_) => unreachable!("no fetch for fixed credentials"),
        };
        let response = request
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| {
                TokenError::transient(format!("{} token request: {e}", self.describe()))
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            TokenError::transient(format!("{} token response: {e}", self.describe()))
        })?;
        if !status.is_success() {
            // The body of a refused token request names the problem and holds no secret.
            let text = String::from_utf8_lossy(&body);
            let message = format!(
                "{} token request refused: HTTP {status}: {}",
                self.describe(),
                text.chars().take(300).collect::<String>()
            );
            return Err(if status.as_u16() == 429 || status.is_server_error() {
                TokenError::transient(message)
            } else {
                TokenError::permanent(message)
            });
        }
        serde_json::from_slice(&body)
            .map_err(|e| TokenError::permanent(format!("{} token response: {e}", self.describe())))
    }
}

impl ServiceAccountKey {
    /// The signed JWT of the OAuth 2.0 JWT-bearer grant.
    fn assertion(&self) -> Result<String, TokenError> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            scope: &'a str,
            aud: &'a str,
            iat: i64,
            exp: i64,
        }
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now + 3600,
        };
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(self.private_key.as_bytes()).map_err(|e| {
                TokenError::permanent(format!("the service account's private key: {e}"))
            })?;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &key,
        )
        .map_err(|e| TokenError::permanent(format!("signing the token request: {e}")))
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", super::encode(k), super::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_file_kinds_and_refuses_others() {
        let user =
            r#"{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r"}"#;
        assert_eq!(
            Credentials::from_json(user).unwrap().describe(),
            "authorized user"
        );
        let err = Credentials::from_json(r#"{"type":"external_account"}"#).unwrap_err();
        assert!(err.message.contains("external_account"), "{err}");
        assert!(Credentials::from_json("not json").is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = Credentials::Static("very-secret".into());
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[tokio::test]
    async fn fixed_credentials_make_no_request() {
        // A client whose every request would fail proves no request is attempted.
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(Credentials::Anonymous.token(&client).await.unwrap(), None);
        assert_eq!(
            Credentials::Static("t".into())
                .token(&client)
                .await
                .unwrap(),
            Some("t".into())
        );
    }
}
