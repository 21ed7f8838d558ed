//! The one HTTP client of the Google Cloud backends: credentials on every request, Google's
//! JSON errors turned into `GcpError`, and bounded retries with jittered backoff on the
//! failures Google documents as transient.

use super::auth::{Credentials, TokenError};
use std::sync::Arc;
use std::time::Duration;

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = no retry).
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Five tries over about 6 s: rides out a restarting emulator or a 503 burst, and fails
    /// fast enough that a job reports a dead service within seconds.
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(3),
        }
    }
}

impl RetryPolicy {
    /// One try: for calls that must not repeat.
    pub const NONE: Self = Self {
        attempts: 1,
        first_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The pause before try `n + 1` (n >= 1): exponential, capped, with "full jitter" over
    /// its upper half so that many clients do not retry in step.
    pub fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .first_backoff
            .saturating_mul(1u32 << (n - 1).min(16))
            .min(self.max_backoff);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        exp / 2 + exp.mul_f64(f64::from(nanos % 1000) / 2000.0)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GcpError {
    /// Google answered with an error status; `message` is Google's own text.
    #[error("{what}: HTTP {status}: {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    /// No answer: connection refused or reset, timeout.
    #[error("{what}: {message}")]
    Transport { what: String, message: String },
    #[error("{what}: {source}")]
    Auth {
        what: String,
        #[source]
        source: TokenError,
    },
}

impl GcpError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Worth another try: no answer, or a status Google documents as transient.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Self::Auth { source, .. } => source.transient,
        }
    }
}

/// A shared, cheap-to-clone client for one set of credentials.
#[derive(Debug, Clone)]
pub struct GcpHttp {
    client: reqwest::Client,
    credentials: Arc<Credentials>,
    pub retry: RetryPolicy,
}

impl GcpHttp {
    pub fn new(credentials: Credentials, timeout: Duration) -> Result<Self, GcpError> {
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| GcpError::Transport {
                what: "building the HTTP client".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            client,
            credentials: Arc::new(credentials),
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Sends the request `build` makes, retried on transient failures under `self.retry`.
    /// Only for requests that are safe to repeat. Returns the successful response.
    pub async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GcpError> {
        self.send_with(self.retry, what, build).await
    }

    pub async fn send_with(
        &self,
        policy: RetryPolicy,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GcpError> {
        let mut attempt = 1;
        let mut renewed = false;
        loop {
            match self.send_once(what, &build).await {
                // A refused token (revoked, or expired early): one more try with a new one.
                Err(e) if e.status() == Some(401) && !renewed && self.credentials.renewable() => {
                    tracing::debug!(what, "gcp token refused; fetching a new one");
                    self.credentials.invalidate().await;
                    renewed = true;
                }
                Err(e) if e.is_transient() && attempt < policy.attempts => {
                    let pause = policy.backoff(attempt);
                    tracing::debug!(what, attempt, error = %crate::error_chain(&e), ?pause, "gcp request retried");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        what: &str,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GcpError> {
        let token = self
            .credentials
            .token(&self.client)
            .await
            .map_err(|source| GcpError::Auth {
                what: what.to_string(),
                source,
            })?;
        let mut request = build(&self.client);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| GcpError::Transport {
            what: what.to_string(),
            message: transport_message(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(GcpError::Status {
            what: what.to_string(),
            status: status.as_u16(),
            message: google_message(&body),
        })
    }

    /// `send`, then the body as JSON.
    pub async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<T, GcpError> {
        let response = self.send(what, build).await?;
        read_json(what, response).await
    }
}

/// Reads a successful response's body as JSON.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    what: &str,
    response: reqwest::Response,
) -> Result<T, GcpError> {
    let body = response.bytes().await.map_err(|e| GcpError::Transport {
        what: what.to_string(),
        message: transport_message(&e),
    })?;
    serde_json::from_slice(&body).map_err(|e| GcpError::Transport {
        what: what.to_string(),
        message: format!("unexpected response: {e}"),
    })
}

/// reqwest's error with its causes, which say what actually failed (refused, reset, timed out).
/// The request's URL is left out: `what` already names the object or topic, and the endpoint
/// (an emulator's port, a private host) is not for job errors shown over the API.
fn transport_message(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Google's `{"error": {"message": ...}}`, or the start of whatever else came back.
fn google_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(e) => e.error.message,
        Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let p = RetryPolicy::default();
        for n in 1..10 {
            let exp = p
                .first_backoff
                .saturating_mul(1 << (n - 1))
                .min(p.max_backoff);
            let b = p.backoff(n);
            assert!(
                b >= exp / 2 && b <= exp,
                "try {n}: {b:?} outside [{:?}, {exp:?}]",
                exp / 2
            );
        }
    }

    #[test]
    fn reads_googles_error_text() {
        let body =
            br#"{"error":{"code":404,"message":"No such object: b/o","status":"NOT_FOUND"}}"#;
        assert_eq!(google_message(body), "No such object: b/o");
        assert_eq!(google_message(b"plain text"), "plain text");
    }

    #[test]
    fn transient_statuses() {
        let e = |status| GcpError::Status {
            what: "x".into(),
            status,
            message: String::new(),
        };
        assert!(e(503).is_transient() && e(429).is_transient());
        assert!(!e(404).is_transient() && !e(400).is_transient() && !e(409).is_transient());
        assert!(e(404).is_not_found());
    }

    #[tokio::test]
    async fn transport_errors_do_not_show_the_endpoint() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let http = GcpHttp::new(Credentials::Anonymous, Duration::from_secs(2)).expect("client");
        let url = format!("http://127.0.0.1:{port}/upload/storage/v1/b/bucket/o");
        let e = http
            .send_with(RetryPolicy::NONE, "uploading gs://bucket/o", |c| {
                c.post(&url)
            })
            .await
            .expect_err("nothing listens");
        let text = e.to_string();
        assert!(text.starts_with("uploading gs://bucket/o: "), "{text}");
        assert!(!text.contains(&port.to_string()), "{text}");
        assert!(!text.contains("127.0.0.1"), "{text}");
    }
}
