//! `LocalBus`: the embedded bus. In-process, bounded per subscription, with acknowledgement
//! counting so that `flush` can wait until subscribers have handled everything.

use super::{BusError, Delivery, Message, Publisher};
use crate::generate::events::EventTime;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// The default number of messages a subscription holds before publishers wait.
pub const DEFAULT_CAPACITY: usize = 1_024;

/// An in-process bus. Cheap to clone; clones share topics.
///
/// Each subscription has its own bounded queue (`capacity` messages): when a subscriber falls
/// behind, `publish` waits for room, so memory stays bounded and the publisher slows down to
/// the subscriber's pace. Every subscription of a topic gets every message (fan-out, like
/// Pub/Sub subscriptions). Publishing to a topic with no open subscription is refused.
#[derive(Debug, Clone)]
pub struct LocalBus {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    topics: Mutex<BTreeMap<String, Vec<Arc<SubEntry>>>>,
    /// Message ids are `<bus>-<n>`: `bus` is this bus's creation time in milliseconds (hex),
    /// so ids stay distinct across restarts of the process, and `n` counts published messages.
    bus_id: String,
    published: AtomicU64,
}

/// The bus's end of a subscription. Only the bus holds the sender, so the subscription's
/// receiver sees the end of the stream once the bus is gone.
#[derive(Debug)]
struct SubEntry {
    tx: mpsc::Sender<Message>,
    state: Arc<SubState>,
}

/// Counters shared by the bus and the subscription.
#[derive(Debug)]
struct SubState {
    topic: String,
    /// Messages accepted into this subscription's queue.
    published: AtomicU64,
    /// Messages the subscriber has acknowledged as handled.
    handled: AtomicU64,
    closed: AtomicBool,
    /// Woken on every acknowledgement and on close, for `flush`.
    changed: Notify,
}

impl SubEntry {
    /// How this subscription delivers a message: named `<topic>-local`.
    fn delivery(&self, message_id: &str, publish_time: EventTime) -> Delivery {
        Delivery {
            subscription: format!("{}-local", self.state.topic),
            message_id: message_id.to_string(),
            publish_time,
        }
    }

    async fn deliver(&self, message: Message) -> Result<(), ()> {
        // Counted before the send so that a `flush` racing with this publish waits for the
        // message rather than missing it.
        self.state.published.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(message).await.is_err() {
            self.state.published.fetch_sub(1, Ordering::AcqRel);
            return Err(());
        }
        Ok(())
    }
}

impl SubState {
    fn settled(&self) -> bool {
        self.closed.load(Ordering::Acquire)
            || self.handled.load(Ordering::Acquire) >= self.published.load(Ordering::Acquire)
    }
}

/// Figures of one topic, summed over its open subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStats {
    pub topic: String,
    pub subscriptions: usize,
    pub published: u64,
    pub handled: u64,
    /// Published and not yet handled.
    pub backlog: u64,
}

impl LocalBus {
    /// A bus whose subscriptions hold at most `capacity` messages each (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                topics: Mutex::new(BTreeMap::new()),
                bus_id: format!("{:x}", EventTime::now().millis()),
                published: AtomicU64::new(0),
            }),
        }
    }

    /// Opens a new subscription to `topic`. It receives every message published after this
    /// call. Subscribe before starting the producers.
    pub fn subscribe(&self, topic: &str) -> Subscription {
        let (tx, rx) = mpsc::channel(self.inner.capacity);
        let state = Arc::new(SubState {
            topic: topic.to_string(),
            published: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            changed: Notify::new(),
        });
        self.lock()
            .entry(topic.to_string())
            .or_default()
            .push(Arc::new(SubEntry {
                tx,
                state: state.clone(),
            }));
        Subscription { rx, state }
    }

    /// Figures per topic, for status pages and metrics.
    pub fn stats(&self) -> Vec<TopicStats> {
        self.lock()
            .iter()
            .map(|(topic, subs)| {
                let open: Vec<_> = subs
                    .iter()
                    .map(|s| &s.state)
                    .filter(|s| !s.closed.load(Ordering::Acquire))
                    .collect();
                let published: u64 = open
                    .iter()
                    .map(|s| s.published.load(Ordering::Acquire))
                    .sum();
                let handled: u64 = open.iter().map(|s| s.handled.load(Ordering::Acquire)).sum();
                TopicStats {
                    topic: topic.clone(),
                    subscriptions: open.len(),
                    published,
                    handled,
                    backlog: published.saturating_sub(handled),
                }
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<Arc<SubEntry>>>> {
        // The map is only ever edited in single statements; a poisoned lock holds valid data.
        self.inner
            .topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The open subscriptions of a topic, pruning closed ones.
    fn open_subscriptions(&self, topic: &str) -> Vec<Arc<SubEntry>> {
        let mut topics = self.lock();
        match topics.get_mut(topic) {
            Some(subs) => {
                subs.retain(|s| !s.state.closed.load(Ordering::Acquire));
                subs.clone()
            }
            None => Vec::new(),
        }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[async_trait]
impl Publisher for LocalBus {
    async fn publish(&self, topic: &str, messages: Vec<Message>) -> Result<(), BusError> {
        let subs = self.open_subscriptions(topic);
        if subs.is_empty() {
            return Err(BusError::NoSubscription {
                topic: topic.to_string(),
            });
        }
        let total = messages.len();
        let closed = |delivered| BusError::Closed {
            topic: topic.to_string(),
            delivered,
            total,
        };
        let publish_time = EventTime::now();
        for (delivered, mut message) in messages.into_iter().enumerate() {
            let Some((last, others)) = subs.split_last() else {
                break;
            };
            let n = self.inner.published.fetch_add(1, Ordering::Relaxed);
            let message_id = format!("{}-{n}", self.inner.bus_id);
            for sub in others {
                let mut copy = message.clone();
                copy.delivery = Some(sub.delivery(&message_id, publish_time));
                sub.deliver(copy).await.map_err(|()| closed(delivered))?;
            }
            // The last subscription takes the message itself: one copy fewer.
            message.delivery = Some(last.delivery(&message_id, publish_time));
            last.deliver(message)
                .await
                .map_err(|()| closed(delivered))?;
        }
        Ok(())
    }

    async fn flush(&self) -> Result<(), BusError> {
        let subs: Vec<Arc<SubState>> = self
            .lock()
            .values()
            .flatten()
            .map(|s| s.state.clone())
            .collect();
        for sub in subs {
            loop {
                let changed = sub.changed.notified();
                tokio::pin!(changed);
                // Registered before the check, so a change between check and wait is not lost.
                changed.as_mut().enable();
                if sub.settled() {
                    break;
                }
                changed.await;
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "in-process bus ({} messages per subscription)",
            self.inner.capacity
        )
    }
}

/// A subscription's receiving end. Dropping it closes the subscription: publishers stop
/// delivering to it and `flush` stops waiting for it.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Message>,
    state: Arc<SubState>,
}

impl Subscription {
    pub fn topic(&self) -> &str {
        &self.state.topic
    }

    /// The next message; `None` once the bus is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// Waits for at least one message, then takes up to `limit` without waiting further.
    /// Returns how many were appended to `buf` (0 once the bus is gone).
    pub async fn recv_many(&mut self, buf: &mut Vec<Message>, limit: usize) -> usize {
        self.rx.recv_many(buf, limit.max(1)).await
    }

    /// A message if one is queued now.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// Marks `n` received messages as handled. Call it once they are safely written: `flush`
    /// returns when every published message has been acknowledged.
    pub fn ack(&self, n: usize) {
        self.state.handled.fetch_add(n as u64, Ordering::AcqRel);
        self.state.changed.notify_waiters();
    }

    /// Messages published to this subscription and not yet acknowledged.
    pub fn backlog(&self) -> u64 {
        let published = self.state.published.load(Ordering::Acquire);
        published.saturating_sub(self.state.handled.load(Ordering::Acquire))
    }

    /// Messages waiting in the queue (received messages not counted).
    pub fn queued(&self) -> usize {
        self.rx.len()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::Release);
        self.state.changed.notify_waiters();
    }
}
