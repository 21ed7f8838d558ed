//! Runs a set of hours: generation on blocking worker threads, writes on the async runtime,
//! with shared progress counters and cooperative cancellation.

use super::plan::{weeks_in, work_units, WorkUnit};
use crate::bus::{publish_alerts, Publisher};
use crate::generate::{encode_hour_as, EncodeError, NegativeStockAlert, ShopSim, TableFile, World};
use crate::lake::{Lake, LakeError, LakeIdentity};
use crate::model::{LakeFormat, PartitionHour, Table};
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Hours being written at once for `jobs` generating threads. A write spends much of its time
/// waiting on the filesystem's locks and on thread hand-offs rather than on a core, so two per
/// thread keep the cores busy: on a journaled ext4 with 2 cores, 168 hours' files took 41-44 ms
/// with 4 or 8 in flight against 47-50 ms with 2 (`bench`'s lake write, pre-generated files).
pub fn writes_in_flight(jobs: usize) -> usize {
    jobs.max(1) * 2
}

/// Counters a run updates as it goes; readers (progress bar, status) poll them.
#[derive(Debug)]
pub struct RunProgress {
    pub hours_total: AtomicU64,
    pub hours_done: AtomicU64,
    pub rows: AtomicU64,
    pub bytes: AtomicU64,
    started: Instant,
}

impl RunProgress {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            hours_total: AtomicU64::new(0),
            hours_done: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Hours written.
    pub hours: u64,
    /// Rows per table, in `Table::ALL` order.
    pub rows: [u64; Table::COUNT],
    pub bytes: u64,
    /// True when the run stopped early on cancellation; what was written is complete.
    pub cancelled: bool,
    /// Negative-stock alerts published to the bus.
    pub alerts_published: u64,
    /// Hours whose alerts could not be published (they stay owed in the lake's outbox).
    pub alert_publish_errors: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("writing hour {hour}")]
    Write {
        hour: PartitionHour,
        #[source]
        source: LakeError,
    },
    #[error("encoding hour {hour}: {source}")]
    Encode {
        hour: PartitionHour,
        #[source]
        source: EncodeError,
    },
    #[error("a generation worker failed")]
    Worker(#[source] tokio::task::JoinError),
}

/// Where a run publishes each written hour's negative-stock alerts.
#[derive(Debug, Clone)]
pub struct AlertPublisher {
    pub publisher: Arc<dyn Publisher>,
    pub topic: String,
}

/// What a run generates from and writes to.
#[derive(Debug, Clone)]
pub struct RunTarget<'a> {
    pub lake: &'a Lake,
    pub world: Arc<World>,
    pub identity: &'a LakeIdentity,
    /// Generation workers.
    pub jobs: usize,
    /// Where to publish each written hour's alerts, if anywhere.
    pub alerts: Option<&'a AlertPublisher>,
}

/// One generated hour on its way to the writer.
type Generated = (
    PartitionHour,
    Result<Vec<TableFile>, EncodeError>,
    Vec<NegativeStockAlert>,
);

/// Generates and writes `hours` (sorted, without duplicates) with `jobs` generation workers.
/// With `alerts`, each hour's negative-stock alerts are published once the hour is written. A
/// publish failure is counted in the summary, and the hour stays in the lake's alert outbox
/// until `publish_pending_alerts` delivers it.
/// On cancellation the workers stop after their current hour, every hour already generated is
/// written whole, and the summary says `cancelled`.
pub async fn run_hours(
    target: RunTarget<'_>,
    hours: Vec<PartitionHour>,
    progress: Arc<RunProgress>,
    cancel: CancellationToken,
) -> Result<RunSummary, RunError> {
    let RunTarget {
        lake,
        world,
        identity,
        jobs,
        alerts,
    } = target;
    let jobs = jobs.max(1);
    progress
        .hours_total
        .store(hours.len() as u64, Ordering::Relaxed);
    // Whole anchor weeks, about one unit per worker: a unit that starts later in a week
    // replays the week up to its start, which costs more than finer units would gain.
    let max_weeks = weeks_in(&hours).div_ceil(jobs);
    let units: VecDeque<WorkUnit> = work_units(&hours, max_weeks).into();
    let queue = Arc::new(Mutex::new(units));
    let (tx, mut rx) = mpsc::channel::<Generated>(jobs);
    let with_alerts = alerts.is_some();
    let format = identity.format;
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (queue, world, tx, cancel) =
                (queue.clone(), world.clone(), tx.clone(), cancel.clone());
            tokio::task::spawn_blocking(move || {
                generate_units(&queue, &world, format, &tx, &cancel, with_alerts)
            })
        })
        .collect();
    drop(tx);

    let mut summary = RunSummary::default();
    let bus_down = &AtomicBool::new(false);
    let writes = futures::stream::poll_fn(|cx| rx.poll_recv(cx))
        .map(|(hour, files, hour_alerts)| async move {
            let write_error = |source| RunError::Write { hour, source };
            let files = files.map_err(|source| RunError::Encode { hour, source })?;
            let owed = alerts.filter(|_| !hour_alerts.is_empty());
            // The outbox marker goes first: from here until the publish succeeds, a failure or
            // a kill leaves the hour marked, and the next run publishes what it owes.
            if owed.is_some() {
                lake.mark_alerts_pending(hour, hour_alerts.len())
                    .await
                    .map_err(write_error)?;
            }
            let written = lake
                .write_hour(hour, files, identity)
                .await
                .map_err(write_error)?;
            let mut published = Ok(hour_alerts.len() as u64);
            if let Some(to) = owed {
                // After one failure the bus is taken as down for the rest of the run: the
                // hours stay owed rather than each waiting out its own retries.
                published = if bus_down.load(Ordering::Acquire) {
                    Err(None)
                } else {
                    publish_owed(lake, to, hour, &hour_alerts)
                        .await
                        .inspect_err(|_| bus_down.store(true, Ordering::Release))
                        .map_err(Some)
                };
            }
            Ok((hour, written, published))
        })
        .buffer_unordered(writes_in_flight(jobs));
    futures::pin_mut!(writes);
    let mut failure = None;
    while let Some(result) = writes.next().await {
        match result {
            Ok((hour, written, published)) => {
                match published {
                    Ok(n) if alerts.is_some() => summary.alerts_published += n,
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(e) = e {
                            tracing::warn!(%hour, error = %crate::error_chain(&e), "alerts not published; kept owed");
                        }
                        summary.alert_publish_errors += 1;
                    }
                }
                summary.hours += 1;
                summary.bytes += written.bytes;
                for (total, rows) in summary.rows.iter_mut().zip(written.rows) {
                    *total += rows;
                }
                progress.hours_done.fetch_add(1, Ordering::Relaxed);
                progress
                    .rows
                    .fetch_add(written.rows.iter().sum(), Ordering::Relaxed);
                progress.bytes.fetch_add(written.bytes, Ordering::Relaxed);
            }
            Err(e) => {
                // Stop generating; hours in flight finish writing, none is left half-sealed.
                cancel.cancel();
                failure.get_or_insert(e);
            }
        }
    }
    for worker in workers {
        if let Err(e) = worker.await {
            failure.get_or_insert(RunError::Worker(e));
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    summary.cancelled = cancel.is_cancelled() && summary.hours < hours.len() as u64;
    Ok(summary)
}

/// Publishes an hour's alerts and clears its outbox marker. A marker that cannot be cleared
/// only means the alerts go out again later (consumers drop repeats by `alert_id`).
async fn publish_owed(
    lake: &Lake,
    to: &AlertPublisher,
    hour: PartitionHour,
    alerts: &[NegativeStockAlert],
) -> Result<u64, crate::bus::BusError> {
    let n = publish_alerts(to.publisher.as_ref(), &to.topic, alerts).await?;
    if let Err(e) = lake.clear_alerts_pending(hour).await {
        tracing::warn!(%hour, error = %crate::error_chain(&e), "alerts published but still marked pending");
    }
    Ok(n as u64)
}

/// What `publish_pending_alerts` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Republished {
    /// Hours whose owed alerts were published now.
    pub hours: u64,
    pub alerts: u64,
    /// Hours still owing: their hour is not complete yet, or the bus refused them.
    pub still_pending: u64,
}

/// Publishes the alerts of every complete hour the outbox says is owed: hours sealed while
/// the bus was unreachable, or by a process that stopped before publishing. The alerts are
/// generated again from the world (the lake's identity guarantees the same seed and scale,
/// hence the same `alert_id`s) and checked against the hour's manifest before they go out.
/// Stops at the first publish failure: the bus is likely still down, and the rest waits for
/// the next run.
pub async fn publish_pending_alerts(
    lake: &Lake,
    world: &Arc<World>,
    to: &AlertPublisher,
) -> Result<Republished, LakeError> {
    let pending = lake.pending_alert_hours().await?;
    let mut done = Republished::default();
    for (i, &hour) in pending.iter().enumerate() {
        let table = Table::NegativeInventoryAlerts;
        let Some(manifest) = lake.manifest(table, hour).await? else {
            // Not sealed: the run that writes this hour publishes its alerts.
            done.still_pending += 1;
            continue;
        };
        let world = world.clone();
        let alerts =
            tokio::task::spawn_blocking(move || crate::generate::hour_alerts(&world, hour))
                .await
                .map_err(|e| LakeError::Corrupt {
                    what: "alerts",
                    path: hour.to_string(),
                    reason: format!("regenerating the alerts failed: {e}"),
                })?;
        if alerts.len() as u64 != manifest.rows {
            return Err(LakeError::Corrupt {
                what: "alerts",
                path: crate::lake::layout::manifest(table, hour),
                reason: format!(
                    "{} alerts regenerated, the manifest says {}",
                    alerts.len(),
                    manifest.rows
                ),
            });
        }
        match publish_owed(lake, to, hour, &alerts).await {
            Ok(n) => {
                done.hours += 1;
                done.alerts += n;
            }
            Err(e) => {
                tracing::warn!(%hour, error = %crate::error_chain(&e), "owed alerts not published; will retry");
                done.still_pending += (pending.len() - i) as u64;
                break;
            }
        }
    }
    Ok(done)
}

fn generate_units(
    queue: &Mutex<VecDeque<WorkUnit>>,
    world: &World,
    format: LakeFormat,
    tx: &mpsc::Sender<Generated>,
    cancel: &CancellationToken,
    with_alerts: bool,
) {
    loop {
        let unit = match queue.lock() {
            Ok(mut q) => q.pop_front(),
            Err(_) => return, // another worker panicked; its error is reported by the runner
        };
        let Some(unit) = unit else { return };
        let Some(&first) = unit.hours.first() else {
            continue;
        };
        let mut sim = ShopSim::new(world, first.date());
        for &hour in &unit.hours {
            if cancel.is_cancelled() {
                return;
            }
            let view = sim.advance_to(hour);
            let files = encode_hour_as(&view, format);
            let alerts = if with_alerts {
                view.negative_stock_alerts()
            } else {
                Vec::new()
            };
            if tx.blocking_send((hour, files, alerts)).is_err() {
                return; // the writer stopped
            }
        }
    }
}

/// A refresh's hours, as a run's: the API's counts, rate and ETA and the CLI's bar.
impl crate::warehouse::RefreshProgress for RunProgress {
    fn pending(&self, hours: u64) {
        self.hours_total.store(hours, Ordering::Relaxed);
    }

    fn tried(&self, hours: u64, rows: u64) {
        self.hours_done.fetch_add(hours, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }
}

impl crate::jobs::registry::JobProgress for RunProgress {
    fn done(&self) -> u64 {
        self.hours_done.load(Ordering::Relaxed)
    }

    fn target(&self) -> u64 {
        self.hours_total.load(Ordering::Relaxed)
    }
}
