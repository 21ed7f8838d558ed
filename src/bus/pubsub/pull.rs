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
use crate::bus::Subscriber;
use crate::gcp::RetryPolicy;
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

pub(super) async fn run(
    bus: Arc<PubSubBus>,
    subscription: String,
    topic: String,
    subscriber: Arc<Subscriber>,
    stop: CancellationToken,
) {
    let name = bus.subscription_name(&subscription);
    let url = bus.subscription_url(&subscription);
    let (pull_url, ack_url) = (format!("{url}:pull"), format!("{url}:acknowledge"));
    let body = serde_json::json!({
        "maxMessages": bus.config.max_batch_messages,
        "returnImmediately": true,
    })
    .to_string();
    let (mut idle, mut pause) = (IDLE_FIRST, ERROR_FIRST);
    let (mut empties, mut errors) = (0, 0);
    tracing::debug!(subscription = %name, "pubsub pull started");
    loop {
        let draining = stop.is_cancelled();
        match pull(&bus, &name, &pull_url, &body).await {
            Ok(response) if response.received.is_empty() => {
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
            Ok(response) => {
                (idle, pause, empties, errors) = (IDLE_FIRST, ERROR_FIRST, 0, 0);
                let (ack_ids, messages): (Vec<String>, Vec<_>) = response
                    .received
                    .into_iter()
                    .map(|r| (r.ack_id, r.message.into_message()))
                    .unzip();
                subscriber.handle_batch(&topic, messages).await;
                acknowledge(&bus, &name, &ack_url, &ack_ids).await;
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

/// One pull, not retried here: the loop backs off itself.
async fn pull(
    bus: &PubSubBus,
    name: &str,
    url: &str,
    body: &str,
) -> Result<PullResponse, crate::gcp::GcpError> {
    let what = format!("pulling pubsub subscription {name}");
    let response = bus
        .http
        .send_with(RetryPolicy::NONE, &what, |c| {
            c.post(url)
                .header("content-type", JSON)
                .timeout(PULL_TIMEOUT)
                .body(body.to_string())
        })
        .await?;
    crate::gcp::http::read_json(&what, response).await
}

/// Acknowledges handled messages. A lost acknowledgement is logged, not fatal: Pub/Sub
/// redelivers those messages after the ack deadline and consumers drop the duplicates.
async fn acknowledge(bus: &PubSubBus, name: &str, url: &str, ack_ids: &[String]) {
    let what = format!("acknowledging on pubsub subscription {name}");
    for chunk in ack_ids.chunks(ACK_CHUNK) {
        let body = serde_json::json!({ "ackIds": chunk }).to_string();
        let sent = bus
            .http
            .send(&what, |c| {
                c.post(url)
                    .header("content-type", JSON)
                    .body(body.clone())
            })
            .await;
        if let Err(error) = sent {
            tracing::warn!(subscription = %name, messages = chunk.len(), %error, "pubsub ack failed; they will be redelivered");
        }
    }
}
