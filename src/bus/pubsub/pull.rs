//! The pull loop: subscription to `Subscriber::handle_batch`, acknowledged after handling.
//!
//! Pulls ask `returnImmediately` although Google deprecates it: without it an empty pull is
//! held open (about 90 s on the emulator), and a held pull that the client abandons (on stop
//! or a client timeout) still takes the next messages on the server side, which then stay
//! invisible for a whole ack deadline. Seen on the emulator: one message went to five
//! abandoned pulls before a live one got it. Immediate pulls with a short, growing sleep
//! when empty cost a few requests per second when idle and never strand a message.

use super::wire::PullResponse;
use super::{PubSubBus, JSON};
use crate::bus::{Message, Subscriber};
use crate::gcp::{GcpError, RetryPolicy};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sleep after an empty pull: doubles from the first to the last while the subscription stays
/// empty, so an idle loop costs about one request a second.
const IDLE_FIRST: Duration = Duration::from_millis(50);
const IDLE_MAX: Duration = Duration::from_secs(1);
/// Pause after a failed pull: doubles up to the last.
const ERROR_FIRST: Duration = Duration::from_millis(200);
const ERROR_MAX: Duration = Duration::from_secs(10);
/// A pull answers at once; this only bounds a hung connection.
const PULL_TIMEOUT: Duration = Duration::from_secs(30);
/// After stop: this many empty pulls in a row, `DRAIN_PAUSE` apart, mean drained (one empty
/// answer can come while the next message of an ordering key is being released).
const DRAIN_EMPTY_PULLS: u32 = 3;
const DRAIN_PAUSE: Duration = Duration::from_millis(100);
/// After stop: give up after this many failed pulls in a row. What is left stays in the
/// subscription, durable, for the next run.
const DRAIN_MAX_ERRORS: u32 = 5;
/// Most ack ids in one acknowledge request (well under its 512 kB limit).
const ACK_CHUNK: usize = 500;

/// A message taken from a subscription, with the id that acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub ack_id: String,
    pub message: Message,
}

impl PubSubBus {
    /// One pull of up to `max_batch_messages` messages from `subscription`, answered at once
    /// (empty when nothing is ready). Not retried: the caller decides. The messages are
    /// leased for the ack deadline (60 s); unacknowledged, they are delivered again.
    pub async fn pull(&self, subscription: &str) -> Result<Vec<Pulled>, GcpError> {
        let name = self.subscription_name(subscription);
        let url = format!("{}:pull", self.subscription_url(subscription));
        let body = serde_json::json!({
            "maxMessages": self.config.max_batch_messages,
            "returnImmediately": true,
        })
        .to_string();
        let what = format!("pulling pubsub subscription {name}");
        let response = self
            .http
            .send_with(RetryPolicy::NONE, &what, |c| {
                c.post(&url)
                    .header("content-type", JSON)
                    .timeout(PULL_TIMEOUT)
                    .body(body.clone())
            })
            .await?;
        let answer: PullResponse = crate::gcp::http::read_json(&what, response).await?;
        Ok(answer
            .received
            .into_iter()
            .map(|r| Pulled {
                ack_id: r.ack_id,
                message: r.message.into_message(&name),
            })
            .collect())
    }

    /// Acknowledges pulled messages so that they are not delivered again. Retried on
    /// transient errors; acknowledging twice is harmless.
    pub async fn acknowledge(
        &self,
        subscription: &str,
        ack_ids: &[String],
    ) -> Result<(), GcpError> {
        let what = format!(
            "acknowledging on pubsub subscription {}",
            self.subscription_name(subscription)
        );
        let url = format!("{}:acknowledge", self.subscription_url(subscription));
        for chunk in ack_ids.chunks(ACK_CHUNK) {
            let body = serde_json::json!({ "ackIds": chunk }).to_string();
            self.http
                .send(&what, |c| {
                    c.post(&url).header("content-type", JSON).body(body.clone())
                })
                .await?;
        }
        Ok(())
    }
}

pub(super) async fn run(
    bus: Arc<PubSubBus>,
    subscription: String,
    topic: String,
    subscriber: Arc<Subscriber>,
    stop: CancellationToken,
) {
    let name = bus.subscription_name(&subscription);
    let (mut idle, mut pause) = (IDLE_FIRST, ERROR_FIRST);
    let (mut empties, mut errors) = (0, 0);
    tracing::debug!(subscription = %name, "pubsub pull started");
    loop {
        let draining = stop.is_cancelled();
        match bus.pull(&subscription).await {
            Ok(pulled) if pulled.is_empty() => {
                (pause, errors) = (ERROR_FIRST, 0);
                if draining {
                    empties += 1;
                    if empties >= DRAIN_EMPTY_PULLS {
                        break;
                    }
                    tokio::time::sleep(DRAIN_PAUSE).await;
                } else {
                    sleep_unless(&stop, idle).await;
                    idle = (idle * 2).min(IDLE_MAX);
                }
            }
            Ok(pulled) => {
                (idle, pause, empties, errors) = (IDLE_FIRST, ERROR_FIRST, 0, 0);
                let (ack_ids, messages): (Vec<String>, Vec<Message>) =
                    pulled.into_iter().map(|p| (p.ack_id, p.message)).unzip();
                subscriber.handle_batch(&topic, messages).await;
                // A lost acknowledgement is not fatal: Pub/Sub redelivers after the deadline
                // and consumers drop the duplicates.
                if let Err(error) = bus.acknowledge(&subscription, &ack_ids).await {
                    tracing::warn!(subscription = %name, messages = ack_ids.len(), %error, "pubsub ack failed; they will be redelivered");
                }
            }
            Err(error) => {
                tracing::warn!(subscription = %name, %error, ?pause, "pubsub pull failed");
                if draining {
                    errors += 1;
                    if errors >= DRAIN_MAX_ERRORS {
                        tracing::warn!(subscription = %name, "pubsub drain gave up; messages stay in the subscription");
                        break;
                    }
                    tokio::time::sleep(pause).await;
                } else {
                    sleep_unless(&stop, pause).await;
                }
                pause = (pause * 2).min(ERROR_MAX);
            }
        }
    }
    tracing::debug!(subscription = %name, "pubsub pull stopped");
}

/// Sleeps `d`, cut short by `stop` (the loop then drains).
async fn sleep_unless(stop: &CancellationToken, d: Duration) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(d) => {}
    }
}
