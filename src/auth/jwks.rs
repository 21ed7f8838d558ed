//! The signing keys of the OIDC issuer, fetched from its JWKS URL and cached. Google rotates its
//! keys every few days and announces them ahead, so a cache of an hour is safe; an unknown key
//! id triggers one early refetch, at most once a minute so forged tokens cannot flood the
//! issuer.

use jsonwebtoken::jwk::JwkSet;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long fetched keys are used before they are fetched again.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// Least time between two fetches caused by unknown key ids.
const MIN_REFETCH: Duration = Duration::from_secs(60);
/// Longest a fetch may take: auth must not hang a request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the issuer's signing keys could not be had; each names the URL and keeps the cause.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot build the HTTP client for {url}")]
    Client {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("fetching signing keys from {url}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("fetching signing keys from {url}: HTTP {status}")]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error("signing keys from {url} are not a JWKS")]
    NotAJwks {
        url: String,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug)]
pub struct KeyCache {
    url: String,
    client: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    keys: Option<(JwkSet, Instant)>,
    last_fetch: Option<Instant>,
}

impl KeyCache {
    pub fn new(url: String) -> Result<Self, JwksError> {
        crate::tls::install_crypto_provider();
        let client = match reqwest::Client::builder().timeout(FETCH_TIMEOUT).build() {
            Ok(client) => client,
            Err(source) => return Err(JwksError::Client { url, source }),
        };
        Ok(Self {
            url,
            client,
            state: Mutex::new(State::default()),
        })
    }

    /// The key set holding `kid`, fetching when the cache is cold, stale, or (rate-limited)
    /// lacks the key. `Ok(None)`: the issuer has no such key.
    pub async fn key_set_with(&self, kid: &str) -> Result<Option<JwkSet>, JwksError> {
        let mut state = self.state.lock().await;
        let fresh = state
            .keys
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < MAX_AGE);
        let has_kid = state
            .keys
            .as_ref()
            .is_some_and(|(set, _)| set.find(kid).is_some());
        let may_refetch = state
            .last_fetch
            .is_none_or(|at| at.elapsed() >= MIN_REFETCH);
        if !fresh || (!has_kid && may_refetch) {
            state.last_fetch = Some(Instant::now());
            match self.fetch().await {
                Ok(set) => state.keys = Some((set, Instant::now())),
                // Stale keys still verify tokens signed before a rotation.
                Err(e) if state.keys.is_none() => return Err(e),
                Err(e) => {
                    let error = crate::error_chain(&e);
                    tracing::warn!(%error, "jwks refetch failed, using cached keys")
                }
            }
        }
        Ok(state
            .keys
            .as_ref()
            .filter(|(set, _)| set.find(kid).is_some())
            .map(|(set, _)| set.clone()))
    }

    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let url = || self.url.clone();
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|source| JwksError::Fetch { url: url(), source })?;
        if !response.status().is_success() {
            return Err(JwksError::Status {
                url: url(),
                status: response.status(),
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|source| JwksError::Fetch { url: url(), source })?;
        serde_json::from_slice(&bytes).map_err(|source| JwksError::NotAJwks { url: url(), source })
    }
}
