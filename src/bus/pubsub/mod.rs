//! `PubSubBus`: Google Cloud Pub/Sub as a `Publisher`, over the REST API (the real service or
//! the emulator), plus the pull loop that feeds a `Subscriber`.
//!
//! Delivery is at least once: a publish retried after a lost answer, or a message whose
//! acknowledgement was lost, arrives twice. Consumers drop duplicates by `event_id` or
//! `alert_id` (the warehouse MERGEs on them).

mod pull;
mod wire;

use super::{BusError, Message, Publisher, Subscriber};
use crate::gcp::{encode, GcpError, GcpHttp};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wire::{Bodies, PublishResponse};

pub use pull::Pulled;

const REAL_ENDPOINT: &str = "https://pubsub.googleapis.com";
const JSON: &str = "application/json";
/// How long the subscriber may hold a pulled batch before Pub/Sub redelivers it.
const ACK_DEADLINE_SECONDS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubConfig {
    /// Most messages in one publish request (Pub/Sub allows 1,000) and in one pull.
    pub max_batch_messages: usize,
    /// Most bytes of JSON in one publish request (Pub/Sub allows 10 MB).
    pub max_batch_bytes: usize,
    /// Most messages being published at once, over all callers. Publishers wait beyond it.
    pub max_in_flight: usize,
}

impl Default for PubSubConfig {
    fn default() -> Self {
        Self {
            max_batch_messages: 1_000,
            max_batch_bytes: 9_000_000,
            max_in_flight: 10_000,
        }
    }
}

/// Publisher-side figures, for tests, status pages and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublishStats {
    /// Publish requests the service accepted.
    pub requests: u64,
    /// Messages the service accepted.
    pub accepted: u64,
    /// Messages being published now.
    pub in_flight: usize,
    /// The most messages ever in flight at once (never above `max_in_flight`).
    pub peak_in_flight: usize,
}

/// Pub/Sub over REST. Share it as `Arc<PubSubBus>`; every method may run from many tasks.
#[derive(Debug)]
pub struct PubSubBus {
    http: GcpHttp,
    /// `https://pubsub.googleapis.com` or the emulator's base URL, without a trailing slash.
    base: String,
    emulator: Option<String>,
    project: String,
    config: PubSubConfig,
    /// One permit per message in flight.
    permits: Semaphore,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    requests: AtomicU64,
    accepted: AtomicU64,
    /// `publish` calls running; `flush` waits for zero.
    calls: AtomicUsize,
    idle: Notify,
    /// Topics seen to exist with a subscription, checked once each.
    verified: Mutex<HashSet<String>>,
}

impl PubSubBus {
    /// `endpoint` None = the real service; `Some("http://127.0.0.1:8085")` (or the bare
    /// `host:port` of `PUBSUB_EMULATOR_HOST`) = the emulator.
    pub fn new(
        http: GcpHttp,
        endpoint: Option<String>,
        project: impl Into<String>,
        config: PubSubConfig,
    ) -> Self {
        let emulator = endpoint.map(|e| {
            let e = e.trim_end_matches('/');
            if e.contains("://") {
                e.to_string()
            } else {
                format!("http://{e}")
            }
        });
        let config = PubSubConfig {
            max_batch_messages: config.max_batch_messages.max(1),
            max_batch_bytes: config.max_batch_bytes.max(1),
            max_in_flight: config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS),
        };
        Self {
            http,
            base: emulator
                .clone()
                .unwrap_or_else(|| REAL_ENDPOINT.to_string()),
            emulator,
            project: project.into(),
            permits: Semaphore::new(config.max_in_flight),
            config,
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            calls: AtomicUsize::new(0),
            idle: Notify::new(),
            verified: Mutex::new(HashSet::new()),
        }
    }

    pub fn config(&self) -> &PubSubConfig {
        &self.config
    }

    pub fn stats(&self) -> PublishStats {
        PublishStats {
            requests: self.requests.load(Ordering::Acquire),
            accepted: self.accepted.load(Ordering::Acquire),
            in_flight: self.in_flight.load(Ordering::Acquire),
            peak_in_flight: self.peak_in_flight.load(Ordering::Acquire),
        }
    }

    /// `projects/P/topics/T`, as Pub/Sub names it.
    pub fn topic_name(&self, topic: &str) -> String {
        format!("projects/{}/topics/{}", self.project, topic)
    }

    pub fn subscription_name(&self, subscription: &str) -> String {
        format!("projects/{}/subscriptions/{}", self.project, subscription)
    }

    fn topic_url(&self, topic: &str) -> String {
        let (p, t) = (encode(&self.project), encode(topic));
        format!("{}/v1/projects/{p}/topics/{t}", self.base)
    }

    fn subscription_url(&self, subscription: &str) -> String {
        let (p, s) = (encode(&self.project), encode(subscription));
        format!("{}/v1/projects/{p}/subscriptions/{s}", self.base)
    }

    /// Creates the topic if absent. Idempotent: an existing topic (409) is success.
    pub async fn ensure_topic(&self, topic: &str) -> Result<(), BusError> {
        let url = self.topic_url(topic);
        let what = format!("creating pubsub topic {}", self.topic_name(topic));
        match self
            .http
            .send(&what, |c| {
                c.put(&url).header("content-type", JSON).body("{}")
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(409) => Ok(()),
            Err(e) => Err(service(topic, e)),
        }
    }

    /// Creates a pull subscription on `topic` with message ordering enabled and a 60 s ack
    /// deadline. Idempotent: an existing subscription is success if it is on the same topic
    /// with ordering enabled, an error otherwise (it would not deliver what we expect).
    pub async fn ensure_subscription(
        &self,
        topic: &str,
        subscription: &str,
    ) -> Result<(), BusError> {
        let url = self.subscription_url(subscription);
        let name = self.subscription_name(subscription);
        let topic_name = self.topic_name(topic);
        let body = serde_json::json!({
            "topic": topic_name,
            "enableMessageOrdering": true,
            "ackDeadlineSeconds": ACK_DEADLINE_SECONDS,
        })
        .to_string();
        let what = format!("creating pubsub subscription {name}");
        let created = self
            .http
            .send(&what, |c| {
                c.put(&url).header("content-type", JSON).body(body.clone())
            })
            .await;
        match created {
            Ok(_) => return Ok(()),
            Err(e) if e.status() == Some(409) => {}
            Err(e) => return Err(service(topic, e)),
        }
        #[derive(serde::Deserialize)]
        struct Existing {
            #[serde(default)]
            topic: String,
            #[serde(rename = "enableMessageOrdering", default)]
            ordering: bool,
        }
        let what = format!("reading pubsub subscription {name}");
        let existing: Existing = self
            .http
            .json(&what, |c| c.get(&url))
            .await
            .map_err(|e| service(topic, e))?;
        let misconfigured = |problem| BusError::Misconfigured {
            topic: topic.to_string(),
            problem,
        };
        if existing.topic != topic_name {
            return Err(misconfigured(format!(
                "subscription {name} exists on another topic, {}",
                existing.topic
            )));
        }
        if !existing.ordering {
            return Err(misconfigured(format!(
                "subscription {name} exists without message ordering"
            )));
        }
        Ok(())
    }

    /// Pulls `subscription` until `stop` fires, hands each batch to
    /// `subscriber.handle_batch(topic, ..)` and acknowledges it only after that returns. After
    /// `stop`, keeps pulling until the subscription comes back empty, then returns. Errors
    /// are logged and retried with backoff; the loop ends only through `stop`. A batch held
    /// longer than the ack deadline (60 s) is delivered again; consumers drop the duplicates.
    pub fn spawn_pull(
        self: &Arc<Self>,
        subscription: String,
        topic: String,
        subscriber: Arc<Subscriber>,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move { pull::run(bus, subscription, topic, subscriber, stop).await })
    }

    /// Refuses a topic that does not exist or that nobody subscribes to (Pub/Sub would drop
    /// its messages). Checked once per topic and process; a publisher without the right to
    /// look (403) skips the check.
    async fn check_topic(&self, topic: &str) -> Result<(), BusError> {
        if self.verified_lock().contains(topic) {
            return Ok(());
        }
        let name = self.topic_name(topic);
        let url = self.topic_url(topic);
        let checked = async {
            self.http
                .send(&format!("reading pubsub topic {name}"), |c| c.get(&url))
                .await?;
            #[derive(serde::Deserialize)]
            struct Subscriptions {
                #[serde(default)]
                subscriptions: Vec<String>,
            }
            let list = format!("{url}/subscriptions?pageSize=1");
            let what = format!("listing the subscriptions of pubsub topic {name}");
            let subs: Subscriptions = self.http.json(&what, |c| c.get(&list)).await?;
            Ok::<bool, GcpError>(!subs.subscriptions.is_empty())
        };
        match checked.await {
            Ok(true) => {}
            Ok(false) => {
                return Err(BusError::NoSubscription {
                    topic: topic.to_string(),
                })
            }
            Err(e) if e.is_not_found() => {
                return Err(BusError::NoTopic {
                    topic: topic.to_string(),
                    name,
                })
            }
            Err(e) if e.status() == Some(403) => {
                tracing::warn!(topic = %name, error = %crate::error_chain(&e), "pubsub topic check not permitted; skipped");
            }
            Err(e) => return Err(service(topic, e)),
        }
        self.verified_lock().insert(topic.to_string());
        Ok(())
    }

    fn verified_lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A set edited in single statements: a poisoned lock still holds valid data.
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends one publish request; Ok once the service has accepted all its messages.
    async fn publish_body(
        &self,
        topic: &str,
        url: &str,
        body: &wire::Body,
    ) -> Result<(), BusError> {
        let what = format!("publishing to pubsub topic {}", self.topic_name(topic));
        let response = self
            .http
            .send(&what, |c| {
                c.post(url)
                    .header("content-type", JSON)
                    .body(body.json.clone())
            })
            .await
            .map_err(|e| match e.is_not_found() {
                true => BusError::NoTopic {
                    topic: topic.to_string(),
                    name: self.topic_name(topic),
                },
                false => service(topic, e),
            })?;
        let answer: PublishResponse = crate::gcp::http::read_json(&what, response)
            .await
            .map_err(|e| service(topic, e))?;
        if answer.message_ids.len() != body.count {
            return Err(BusError::Protocol {
                topic: topic.to_string(),
                problem: format!(
                    "{what}: {} message ids for {} messages",
                    answer.message_ids.len(),
                    body.count
                ),
            });
        }
        Ok(())
    }
}

fn service(topic: &str, source: GcpError) -> BusError {
    BusError::Service {
        topic: topic.to_string(),
        source,
    }
}

/// Counts a running `publish` call for `flush`, also when the call's future is dropped.
struct CallGuard<'a>(&'a PubSubBus);

impl<'a> CallGuard<'a> {
    fn enter(bus: &'a PubSubBus) -> Self {
        bus.calls.fetch_add(1, Ordering::AcqRel);
        Self(bus)
    }
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if self.0.calls.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Counts the messages of one request in flight while it is sent.
struct FlightGuard<'a>(&'a PubSubBus, usize);

impl<'a> FlightGuard<'a> {
    fn enter(bus: &'a PubSubBus, n: usize) -> Self {
        let now = bus.in_flight.fetch_add(n, Ordering::AcqRel) + n;
        bus.peak_in_flight.fetch_max(now, Ordering::AcqRel);
        Self(bus, n)
    }
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(self.1, Ordering::AcqRel);
    }
}

#[async_trait]
impl Publisher for PubSubBus {
    /// Publishes in requests of at most `max_batch_messages` (and `max_in_flight`) messages
    /// and `max_batch_bytes` bytes, sent one after another, never concurrently: the simplest
    /// way to keep each ordering key in publish order, and a failed request stops the call, so
    /// no later message of a key overtakes a lost one. Each request waits for permits for its
    /// messages (back-pressure over all callers) and is retried on transient errors by
    /// `GcpHttp` (at least once: consumers deduplicate). The first publish to a topic checks
    /// that it exists (else `NoTopic`, not retried) and has a subscription
    /// (else `NoSubscription`). A failure says how many messages of the call were accepted;
    /// retry the whole batch before publishing more with the same keys, or their order breaks.
    async fn publish(&self, topic: &str, messages: Vec<Message>) -> Result<(), BusError> {
        let _call = CallGuard::enter(self);
        if messages.is_empty() {
            return Ok(());
        }
        self.check_topic(topic).await?;
        let total = messages.len();
        let per_request = self
            .config
            .max_batch_messages
            .min(self.config.max_in_flight);
        let url = format!("{}:publish", self.topic_url(topic));
        let mut accepted = 0;
        for body in Bodies::new(&messages, per_request, self.config.max_batch_bytes) {
            // `count <= max_in_flight <= MAX_PERMITS`, and the semaphore is never closed.
            let permits = self
                .permits
                .acquire_many(u32::try_from(body.count).unwrap_or(u32::MAX))
                .await
                .map_err(|_closed| BusError::ShutDown {
                    topic: topic.to_string(),
                })?;
            let flight = FlightGuard::enter(self, body.count);
            let sent = self.publish_body(topic, &url, &body).await;
            drop(flight);
            drop(permits);
            if let Err(e) = sent {
                tracing::warn!(topic, accepted, total, error = %crate::error_chain(&e), "pubsub publish failed");
                return Err(BusError::Partial {
                    topic: topic.to_string(),
                    accepted,
                    total,
                    source: Box::new(e),
                });
            }
            accepted += body.count;
            self.requests.fetch_add(1, Ordering::AcqRel);
            self.accepted.fetch_add(body.count as u64, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Waits until no `publish` call is running, i.e. the service has accepted (or refused)
    /// everything published before. Under a steady stream of new calls it waits for a gap.
    /// Says nothing about subscribers: Pub/Sub holds accepted messages durably for them.
    async fn flush(&self) -> Result<(), BusError> {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a call ending in between is not missed.
            idle.as_mut().enable();
            if self.calls.load(Ordering::Acquire) == 0 {
                return Ok(());
            }
            idle.await;
        }
    }

    /// `pubsub projects/P`, plus the emulator's URL when one is used. Never a secret.
    fn describe(&self) -> String {
        match &self.emulator {
            Some(url) => format!("pubsub projects/{} (emulator {url})", self.project),
            None => format!("pubsub projects/{}", self.project),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::Credentials;
    use std::time::Duration;

    fn bus(endpoint: Option<&str>, config: PubSubConfig) -> PubSubBus {
        let http = GcpHttp::new(Credentials::Anonymous, Duration::from_secs(5)).unwrap();
        PubSubBus::new(http, endpoint.map(String::from), "proj-1", config)
    }

    #[test]
    fn endpoints_names_and_description() {
        let emu = bus(Some("127.0.0.1:8085"), PubSubConfig::default());
        assert_eq!(
            emu.describe(),
            "pubsub projects/proj-1 (emulator http://127.0.0.1:8085)"
        );
        assert_eq!(
            emu.topic_url("a b"),
            "http://127.0.0.1:8085/v1/projects/proj-1/topics/a%20b"
        );
        let real = bus(None, PubSubConfig::default());
        assert_eq!(real.describe(), "pubsub projects/proj-1");
        assert_eq!(
            real.subscription_url("s-1"),
            "https://pubsub.googleapis.com/v1/projects/proj-1/subscriptions/s-1"
        );
        assert_eq!(real.topic_name("t-1"), "projects/proj-1/topics/t-1");
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let b = bus(
            Some("http://127.0.0.1:1/"),
            PubSubConfig {
                max_batch_messages: 0,
                max_batch_bytes: 0,
                max_in_flight: 0,
            },
        );
        assert_eq!(
            (b.config().max_batch_messages, b.config().max_in_flight),
            (1, 1)
        );
        assert_eq!(b.base, "http://127.0.0.1:1");
    }
}
