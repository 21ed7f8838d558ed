//! The subscriber: plays Dataflow's role for the embedded bus. It reads batches of messages,
//! archives accepted events' raw JSON in the lake, writes typed rows and dead letters through
//! an `EventSink`, and only then acknowledges them. Nothing is dropped: every message received
//! ends as a row, a dead letter or (after the retries) a counted failure.

use super::archive::ArchiveFiles;
use super::sink::{DeadLetter, EventSink, SinkBatch, SinkError};
use super::{
    Delivered, Message, RowMetadata, Subscription, ALERT_EVENT_TYPE, ATTR_ALERT_ID, ATTR_EVENT_TYPE,
};
use crate::generate::events::parse::{shape_of, Shape};
use crate::generate::events::{
    parse_event, Event, EventError, EventErrorKind, EventTime, EventType,
};
use crate::generate::NegativeStockAlert;
use crate::lake::{BlobPath, BlobStore, StoreError};
use bytes::Bytes;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct SubscriberConfig {
    /// Most messages handled (and acknowledged) together.
    pub max_batch: usize,
    /// How long a batch waits for more messages after its first. Bounds `flush` latency too.
    pub linger: Duration,
    /// Attempts to write a batch before its messages are counted as failed.
    pub attempts: u32,
    /// Wait before the first retry; doubles each time.
    pub backoff: Duration,
}

impl Default for SubscriberConfig {
    fn default() -> Self {
        Self {
            max_batch: 1_000,
            linger: Duration::from_millis(500),
            attempts: 5,
            backoff: Duration::from_millis(100),
        }
    }
}

/// Counters, updated as batches are written. Invariant once idle:
/// `received == orders + inventory + user_activity + alerts + dead_letters + failed`.
#[derive(Debug, Default)]
pub struct SubscriberStats {
    pub received: AtomicU64,
    pub orders: AtomicU64,
    pub inventory: AtomicU64,
    pub user_activity: AtomicU64,
    pub alerts: AtomicU64,
    pub dead_letters: AtomicU64,
    /// Dead letters per reason, in `EventErrorKind::ALL` order.
    pub dead_by_reason: [AtomicU64; EventErrorKind::ALL.len()],
    /// Messages whose batch could not be written after every attempt.
    pub failed: AtomicU64,
    pub archive_files: AtomicU64,
    pub batches: AtomicU64,
    pub retries: AtomicU64,
    /// Microseconds spent writing the batches counted in `batches` (archive and sink,
    /// retries included): over `batches`, what one batch costs.
    pub write_micros: AtomicU64,
    last_error: Mutex<Option<Arc<BatchError>>>,
}

/// A consistent-enough copy of the counters for status pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub received: u64,
    pub orders: u64,
    pub inventory: u64,
    pub user_activity: u64,
    pub alerts: u64,
    pub dead_letters: u64,
    pub dead_by_reason: Vec<(&'static str, u64)>,
    pub failed: u64,
    pub archive_files: u64,
    pub batches: u64,
    pub retries: u64,
    pub write_micros: u64,
    pub last_error: Option<String>,
}

impl StatsSnapshot {
    /// Rows written to the four data tables.
    pub fn rows(&self) -> u64 {
        self.orders + self.inventory + self.user_activity + self.alerts
    }

    /// Whether every message received is accounted for.
    pub fn reconciles(&self) -> bool {
        self.received == self.rows() + self.dead_letters + self.failed
    }
}

impl SubscriberStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Acquire);
        StatsSnapshot {
            received: get(&self.received),
            orders: get(&self.orders),
            inventory: get(&self.inventory),
            user_activity: get(&self.user_activity),
            alerts: get(&self.alerts),
            dead_letters: get(&self.dead_letters),
            dead_by_reason: EventErrorKind::ALL
                .iter()
                .zip(&self.dead_by_reason)
                .map(|(k, n)| (k.code(), get(n)))
                .collect(),
            failed: get(&self.failed),
            archive_files: get(&self.archive_files),
            batches: get(&self.batches),
            retries: get(&self.retries),
            write_micros: get(&self.write_micros),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .map(|e| crate::error_chain(e.as_ref())),
        }
    }

    fn set_error(&self, e: BatchError) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(e));
    }
}

/// Why a batch was given up: its text is the status page's `last_error` and the log line's.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{topic}: preparing a batch failed: {source}")]
    Prepare {
        topic: String,
        #[source]
        source: tokio::task::JoinError,
    },
    #[error("{topic}: {source}")]
    Write {
        topic: String,
        #[source]
        source: WriteError,
    },
}

/// Why one attempt to write a batch failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// Building or storing the raw archive (shared: a prepared batch keeps it for retries).
    #[error("archive: {0}")]
    Archive(#[source] Arc<StoreError>),
    #[error("sink {sink}: {source}")]
    Sink {
        sink: String,
        #[source]
        source: Arc<SinkError>,
    },
}

/// The subscriber's dependencies. One instance can serve several subscriptions (events and
/// alerts) at once; they share the counters.
#[derive(Debug)]
pub struct Subscriber {
    store: Arc<dyn BlobStore>,
    sink: Arc<dyn EventSink>,
    stats: Arc<SubscriberStats>,
    config: SubscriberConfig,
}

/// What a batch turns into, prepared off the async threads.
struct Prepared {
    rows: Arc<SinkBatch>,
    /// Archive files (path, JSONL), or why they cannot be named.
    archive: Result<Vec<(BlobPath, Bytes)>, WriteError>,
    dead_by_reason: [u64; EventErrorKind::ALL.len()],
}

impl Subscriber {
    /// `store` receives the raw archive; `sink` the rows.
    pub fn new(
        store: Arc<dyn BlobStore>,
        sink: Arc<dyn EventSink>,
        config: SubscriberConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            sink,
            stats: Arc::new(SubscriberStats::default()),
            config,
        })
    }

    pub fn stats(&self) -> &Arc<SubscriberStats> {
        &self.stats
    }

    /// Reads `subscription` until `cancel` fires, then handles what is already queued and
    /// returns. Call `Publisher::flush` before cancelling to handle everything published.
    pub async fn run(&self, mut subscription: Subscription, cancel: CancellationToken) {
        let max = self.config.max_batch.max(1);
        let topic = subscription.topic().to_string();
        loop {
            let mut batch = Vec::with_capacity(max.min(1_024));
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                n = subscription.recv_many(&mut batch, max) => if n == 0 { return },
            }
            // Linger for a fuller batch: fewer, larger files and sink writes.
            let deadline = Instant::now() + self.config.linger;
            while batch.len() < max {
                let room = max - batch.len();
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep_until(deadline) => break,
                    n = subscription.recv_many(&mut batch, room) => if n == 0 { break },
                }
            }
            let n = batch.len();
            self.handle_batch(&topic, batch).await;
            subscription.ack(n);
        }
        // Cancelled: what is queued now was published and must not be lost.
        loop {
            let mut batch = Vec::new();
            while batch.len() < max {
                match subscription.try_recv() {
                    Some(m) => batch.push(m),
                    None => break,
                }
            }
            if batch.is_empty() {
                return;
            }
            let n = batch.len();
            self.handle_batch(&topic, batch).await;
            subscription.ack(n);
        }
    }

    /// Handles one batch from `topic`: classify, archive, write, count. Never fails: a batch
    /// that cannot be written after every attempt is counted in `failed` with the error.
    pub async fn handle_batch(&self, topic: &str, messages: Vec<Message>) {
        let n = messages.len() as u64;
        if n == 0 {
            return;
        }
        self.stats.received.fetch_add(n, Ordering::AcqRel);
        let at = EventTime::now();
        // Parsing a thousand events takes milliseconds: keep it off the async threads.
        let prepared = tokio::task::spawn_blocking(move || prepare(messages, at)).await;
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                let topic = topic.to_string();
                self.fail(n, BatchError::Prepare { topic, source: e });
                return;
            }
        };
        let started = Instant::now();
        let mut delay = self.config.backoff;
        let mut attempt = 1;
        let outcome = loop {
            match self.write(&prepared).await {
                Ok(files) => break Ok(files),
                Err(e) if attempt >= self.config.attempts.max(1) => break Err(e),
                Err(e) => {
                    tracing::warn!(error = %crate::error_chain(&e), attempt, "subscriber write failed; retrying");
                    self.stats.retries.fetch_add(1, Ordering::AcqRel);
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
            }
        };
        match outcome {
            Ok(files) => {
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                self.stats.write_micros.fetch_add(micros, Ordering::AcqRel);
                self.count(&prepared, files);
            }
            Err(source) => {
                let topic = topic.to_string();
                self.fail(n, BatchError::Write { topic, source });
            }
        }
    }

    async fn write(&self, prepared: &Prepared) -> Result<u64, WriteError> {
        // Archive first: the raw copy is what a replay starts from.
        let files = prepared.archive.as_ref().map_err(Clone::clone)?;
        let count = files.len() as u64;
        let started = Instant::now();
        self.store
            .put_many(files.clone())
            .await
            .map_err(|e| WriteError::Archive(Arc::new(e)))?;
        tracing::debug!(
            files = count,
            micros = started.elapsed().as_micros() as u64,
            "archive wrote a batch"
        );
        if !prepared.rows.is_empty() {
            self.sink
                .write(prepared.rows.clone())
                .await
                .map_err(|e| WriteError::Sink {
                    sink: self.sink.describe(),
                    source: Arc::new(e),
                })?;
        }
        Ok(count)
    }

    fn count(&self, p: &Prepared, files: u64) {
        let s = &self.stats;
        let add = |a: &AtomicU64, n: usize| a.fetch_add(n as u64, Ordering::AcqRel);
        add(&s.orders, p.rows.orders.len());
        add(&s.inventory, p.rows.inventory.len());
        add(&s.user_activity, p.rows.user_activity.len());
        add(&s.alerts, p.rows.alerts.len());
        add(&s.dead_letters, p.rows.dead_letters.len());
        for (counter, n) in s.dead_by_reason.iter().zip(p.dead_by_reason) {
            counter.fetch_add(n, Ordering::AcqRel);
        }
        s.archive_files.fetch_add(files, Ordering::AcqRel);
        s.batches.fetch_add(1, Ordering::AcqRel);
    }

    fn fail(&self, n: u64, error: BatchError) {
        tracing::error!(messages = n, %error, "subscriber gave up on a batch");
        self.stats.failed.fetch_add(n, Ordering::AcqRel);
        self.stats.set_error(error);
    }
}

/// Runs `subscriber` on `subscription` in a task until `cancel` fires.
pub fn spawn_subscriber(
    subscriber: Arc<Subscriber>,
    subscription: Subscription,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move { subscriber.run(subscription, cancel).await })
}

/// Classifies every message of a batch into rows, dead letters and archive lines.
fn prepare(messages: Vec<Message>, at: EventTime) -> Prepared {
    let mut rows = SinkBatch {
        ingested_at: Some(at),
        ..SinkBatch::default()
    };
    let mut archive = ArchiveFiles::default();
    let mut dead_by_reason = [0; EventErrorKind::ALL.len()];
    for message in messages {
        let meta = RowMetadata::of(&message);
        let result = if message.attribute(ATTR_EVENT_TYPE) == Some(ALERT_EVENT_TYPE) {
            parse_alert(&message).map(|a| rows.alerts.push(Delivered::new(a, meta.clone())))
        } else {
            parse_message_event(&message).map(|event| {
                archive.add(
                    event.event_type(),
                    event.event_time(),
                    event.event_id(),
                    &message.data,
                );
                rows.push_event(event, meta.clone());
            })
        };
        if let Err(e) = result {
            if let Some(slot) = EventErrorKind::ALL.iter().position(|k| *k == e.kind) {
                dead_by_reason[slot] += 1;
            }
            rows.dead_letters.push(dead_letter(&message, &e, meta));
        }
    }
    let archive = archive
        .into_files()
        .map(|files| {
            files
                .into_iter()
                .map(|(path, bytes, _)| (path, Bytes::from(bytes)))
                .collect()
        })
        .map_err(|e| WriteError::Archive(Arc::new(e)));
    Prepared {
        rows: Arc::new(rows),
        archive,
        dead_by_reason,
    }
}

/// The event of a message routed, as Pub/Sub's subscriptions route it, by its `event_type`
/// attribute: a message without one, or with a type no table holds, is a dead letter whatever
/// its data says (deployed, it matches only the catch-all subscription). The exception is a
/// body in seed 003's or 004's shape: their publishers set no attributes and their pipelines
/// route by the body's `event_type`, so here such a body is routed by it too.
fn parse_message_event(message: &Message) -> Result<Event, EventError> {
    let Some(attribute) = message.attribute(ATTR_EVENT_TYPE) else {
        if shape_of(&message.data) == Some(Shape::Seed) {
            return parse_event(&message.data);
        }
        return Err(EventError::new(
            EventErrorKind::MissingEventType,
            "the message has no event_type attribute, so no table's subscription takes it",
        ));
    };
    if attribute.parse::<EventType>().is_err() {
        return Err(EventError::new(
            EventErrorKind::UnknownEventType,
            format!("attribute event_type '{attribute}' names no event table"),
        ));
    }
    let event = parse_event(&message.data)?;
    if attribute != event.event_type().as_str() {
        return Err(EventError::new(
            EventErrorKind::AttributeMismatch,
            format!(
                "attribute event_type '{attribute}' but the event is '{}'",
                event.event_type()
            ),
        ));
    }
    Ok(event)
}

fn parse_alert(message: &Message) -> Result<NegativeStockAlert, EventError> {
    let alert: NegativeStockAlert = serde_json::from_slice(&message.data).map_err(|e| {
        let text = e.to_string();
        let kind = if e.is_syntax() || e.is_eof() {
            EventErrorKind::InvalidJson
        } else if text.starts_with("missing field") {
            EventErrorKind::MissingField
        } else {
            EventErrorKind::InvalidField
        };
        EventError::new(kind, text)
    })?;
    if !crate::generate::events::parse::is_safe_id(&alert.alert_id) {
        return Err(EventError::new(
            EventErrorKind::InvalidField,
            "alert_id is not a valid id",
        ));
    }
    if !alert.is_consistent() {
        return Err(EventError::new(
            EventErrorKind::InvalidField,
            "closing_stock must be negative and equal opening + restocked + returned - units_sold",
        ));
    }
    match message.attribute(ATTR_ALERT_ID) {
        Some(id) if id == alert.alert_id => Ok(alert),
        Some(id) => Err(EventError::new(
            EventErrorKind::AttributeMismatch,
            format!(
                "attribute alert_id '{id}' but the row has '{}'",
                alert.alert_id
            ),
        )),
        None => Err(EventError::new(
            EventErrorKind::MissingField,
            "attribute alert_id",
        )),
    }
}

fn dead_letter(message: &Message, e: &EventError, meta: RowMetadata) -> Delivered<DeadLetter> {
    Delivered::new(
        DeadLetter {
            data: String::from_utf8_lossy(&message.data).into_owned(),
            reason: e.kind.code().to_string(),
            detail: e.detail.clone(),
        },
        meta,
    )
}
