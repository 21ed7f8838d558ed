//! `EventSink`: where the subscriber puts typed rows: the three event tables, the alerts
//! table and the dead letters. The warehouse implements it; `LakeEventSink` keeps the rows as
//! JSONL in the lake; `MemorySink` is a test double.

use super::{Delivered, RowMetadata};
use crate::generate::events::{Event, EventTime, InventoryEvent, OrderEvent, UserActivityEvent};
use crate::generate::NegativeStockAlert;
use crate::lake::{BlobPath, BlobStore, StoreError};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{Datelike, Timelike};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Warehouse table names (the data contract: README.md, "The lake" and "The warehouse").
pub const ORDER_EVENTS: &str = "order_events";
pub const INVENTORY_EVENTS: &str = "inventory_events";
pub const USER_ACTIVITY_EVENTS: &str = "user_activity_events";
pub const NEGATIVE_INVENTORY_ALERTS: &str = "negative_inventory_alerts";
pub const DEAD_LETTER_EVENTS: &str = "dead_letter_events";

/// A message the subscriber could not turn into a row, kept whole with the reason. The
/// columns of `dead_letter_events`, with the message's metadata beside them (`Delivered`).
/// Deployed, the catch-all and dead-letter subscriptions write `data` and the metadata into
/// the same table and leave `reason` and `detail` empty: the `dead_letters` view derives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The data as text (invalid UTF-8 replaced), for people and for replay after a fix.
    pub data: String,
    /// A stable code (`EventErrorKind::code`): `invalid_json`, `missing_event_type`, ...
    pub reason: String,
    pub detail: String,
}

/// The rows of one subscriber batch, all received at `ingested_at`, each with the metadata
/// of the message it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkBatch {
    pub ingested_at: Option<EventTime>,
    pub orders: Vec<Delivered<OrderEvent>>,
    pub inventory: Vec<Delivered<InventoryEvent>>,
    pub user_activity: Vec<Delivered<UserActivityEvent>>,
    pub alerts: Vec<Delivered<NegativeStockAlert>>,
    pub dead_letters: Vec<Delivered<DeadLetter>>,
}

impl SinkBatch {
    /// Rows of every table, dead letters included.
    pub fn len(&self) -> usize {
        self.orders.len()
            + self.inventory.len()
            + self.user_activity.len()
            + self.alerts.len()
            + self.dead_letters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `event` to its table's rows.
    pub fn push_event(&mut self, event: Event, meta: RowMetadata) {
        match event {
            Event::Order(e) => self.orders.push(Delivered::new(e, meta)),
            Event::Inventory(e) => self.inventory.push(Delivered::new(e, meta)),
            Event::UserActivity(e) => self.user_activity.push(Delivered::new(e, meta)),
        }
    }

    fn append(&mut self, other: &SinkBatch) {
        self.orders.extend(other.orders.iter().cloned());
        self.inventory.extend(other.inventory.iter().cloned());
        self.user_activity
            .extend(other.user_activity.iter().cloned());
        self.alerts.extend(other.alerts.iter().cloned());
        self.dead_letters.extend(other.dead_letters.iter().cloned());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    /// A table of a remote warehouse refused the rows; the source is the service's answer.
    #[error("writing {table} failed")]
    Remote {
        table: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the batch's ingestion time {at} is out of range")]
    TimeOutOfRange { at: String },
    #[error("a sink encoding task failed")]
    Worker(#[source] tokio::task::JoinError),
    /// `MemorySink::fail_next` (a test double's injected failure).
    #[error("injected failure")]
    Injected,
}

/// Receives the subscriber's rows. Held as `Arc<dyn EventSink>`.
#[async_trait]
pub trait EventSink: Send + Sync + fmt::Debug {
    /// Writes every row of `batch`. Success means all of them are durable. On error some may
    /// have been written, and the subscriber retries the whole batch: a table may then hold a
    /// row twice, as a Pub/Sub subscription's table may (delivery is at least once). Readers
    /// take one row per id (`event_id`, `alert_id`, `message_id`): the `*_clean` views do.
    ///
    /// Shared, so that a sink can encode its rows on the blocking pool (`on_blocking_pool`):
    /// a thousand rows take milliseconds, which on an async thread would stall every request
    /// queued behind it.
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError>;

    /// Where the rows go, for logs and status (never a secret).
    fn describe(&self) -> String;
}

/// **Test double**: keeps every row in memory, durable for nothing. For tests and the
/// benchmark only, never for a running service. `fail_next(n)` makes the next `n` writes
/// fail, to exercise retries.
#[derive(Debug, Default)]
pub struct MemorySink {
    rows: Mutex<SinkBatch>,
    failures: AtomicU32,
    writes: AtomicU32,
}

impl MemorySink {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Every row written so far (`ingested_at` is left empty).
    pub fn rows(&self) -> SinkBatch {
        self.lock().clone()
    }

    pub fn fail_next(&self, n: u32) {
        self.failures.store(n, Ordering::SeqCst);
    }

    /// Successful writes so far.
    pub fn writes(&self) -> u32 {
        self.writes.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SinkBatch> {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl EventSink for MemorySink {
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(SinkError::Injected);
        }
        self.lock().append(&batch);
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory sink (test double)".into()
    }
}

/// The embedded sink: each table's rows of a batch become one JSONL file in the lake at
/// `<table>/date=YYYY-MM-DD/hour=HH/part-<hash>.jsonl` (ingestion hour, UTC), each row with
/// the columns of its warehouse table. The file name is a hash of the rows' ids, so retrying a
/// batch rewrites the same file and two batches never share one.
#[derive(Debug, Clone)]
pub struct LakeEventSink {
    store: Arc<dyn BlobStore>,
}

impl LakeEventSink {
    pub fn new(store: Arc<dyn BlobStore>) -> Self {
        Self { store }
    }
}

/// JSONL of `rows` (each one line of its table's columns), and a hash of their ids.
pub(crate) fn jsonl<T: Serialize>(rows: &[T], id: impl Fn(&T) -> Cow<'_, str>) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(rows.len() * 512);
    let mut hash = Fnv::default();
    for row in rows {
        hash.write(id(row).as_bytes());
        hash.write(b"\n");
        // Plain data with string keys: serialization cannot fail.
        if serde_json::to_writer(&mut out, row).is_ok() {
            out.push(b'\n');
        }
    }
    (out, hash.finish())
}

/// A dead letter's id for file names and hashes: its message id, or (without a bus) a hash
/// of its data.
pub(crate) fn dead_letter_key(row: &Delivered<DeadLetter>) -> Cow<'_, str> {
    match &row.meta.message_id {
        Some(id) => Cow::Borrowed(id),
        None => {
            let mut hash = Fnv::default();
            hash.write(row.data.as_bytes());
            Cow::Owned(format!("dl-{:016x}", hash.finish()))
        }
    }
}

#[async_trait]
impl EventSink for LakeEventSink {
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        let files = on_blocking_pool(move || lake_files(&batch)).await??;
        self.store.put_many(files).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("JSONL tables in {}", self.store.describe())
    }
}

/// The batch's files for `LakeEventSink`: one JSONL file per table with rows.
fn lake_files(batch: &SinkBatch) -> Result<Vec<(BlobPath, Bytes)>, SinkError> {
    let at = batch.ingested_at.unwrap_or_else(EventTime::now);
    let when = at
        .datetime()
        .ok_or_else(|| SinkError::TimeOutOfRange { at: at.to_string() })?;
    let partition = format!(
        "date={:04}-{:02}-{:02}/hour={:02}",
        when.year(),
        when.month(),
        when.day(),
        when.hour()
    );
    let files = [
        (ORDER_EVENTS, jsonl(&batch.orders, |r| (&r.event_id).into())),
        (
            INVENTORY_EVENTS,
            jsonl(&batch.inventory, |r| (&r.event_id).into()),
        ),
        (
            USER_ACTIVITY_EVENTS,
            jsonl(&batch.user_activity, |r| (&r.event_id).into()),
        ),
        (
            NEGATIVE_INVENTORY_ALERTS,
            jsonl(&batch.alerts, |r| (&r.alert_id).into()),
        ),
        (
            DEAD_LETTER_EVENTS,
            jsonl(&batch.dead_letters, dead_letter_key),
        ),
    ];
    files
        .into_iter()
        .filter(|(_, (bytes, _))| !bytes.is_empty())
        .map(|(table, (bytes, hash))| {
            let path = BlobPath::new(format!("{table}/{partition}/part-{hash:016x}.jsonl"))?;
            Ok((path, Bytes::from(bytes)))
        })
        .collect()
}

/// Runs a sink's CPU work (encoding rows) on the blocking pool.
pub(crate) async fn on_blocking_pool<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SinkError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(SinkError::Worker)
}

/// FNV-1a, 64 bits: a stable content hash for names (not for security).
#[derive(Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        crate::generate::rng::mix64(self.0)
    }
}

/// Writes every batch to each sink in turn; a failure of any fails the batch, which the
/// subscriber retries whole (both sinks are idempotent per batch).
#[derive(Debug)]
pub struct TeeSink {
    sinks: Vec<Arc<dyn EventSink>>,
}

impl TeeSink {
    pub fn new(sinks: Vec<Arc<dyn EventSink>>) -> Self {
        Self { sinks }
    }
}

#[async_trait]
impl EventSink for TeeSink {
    async fn write(&self, batch: Arc<SinkBatch>) -> Result<(), SinkError> {
        for sink in &self.sinks {
            let started = std::time::Instant::now();
            sink.write(batch.clone()).await?;
            // Which sink a batch's time went to (the subscriber's metrics count the sum).
            tracing::debug!(
                sink = %sink.describe(),
                micros = started.elapsed().as_micros() as u64,
                "sink wrote a batch"
            );
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.sinks
            .iter()
            .map(|s| s.describe())
            .collect::<Vec<_>>()
            .join(" + ")
    }
}
