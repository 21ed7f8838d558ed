//! The shared test suite of the `Warehouse` refresh contract. Every backend runs it: DuckDB in
//! `tests/warehouse_refresh.rs`, BigQuery against its emulator in `tests/warehouse_bigquery.rs`.
//! Each check starts from a new, empty warehouse over a new, empty lake, writes real hours with
//! the generator (CSV, `--scale small`), damages some through the lake's `BlobStore`, and holds
//! the refresh to one promise of the trait's doc. How the managed tables are counted differs
//! per backend, so each supplies a `Subject`.
//!
//! Each check panics with a message naming the broken promise.

mod damage;
mod lake_fixture;

pub use damage::{
    a_corrupt_file_fails_only_its_hour_until_repaired,
    a_corrupt_newest_dimension_falls_back_to_the_next_newest,
    incomplete_hours_wait_for_their_manifests,
};
pub use lake_fixture::{hours, write};

use super::{DateFilter, RefreshReport, Warehouse};
use crate::lake::Lake;
use crate::model::{PartitionHour, Table};
use crate::warehouse::analytics::{
    AnalyticsQuery, BasketStatsQuery, RevenueByStore, RowLimit, RunAnalytics, SalesByCategory,
    SalesByHour, StockByHour, TopProducts,
};
use async_trait::async_trait;
use lake_fixture::{data_path, expected, ReadLog};
use std::sync::{Arc, Mutex};

/// One warehouse under test and the lake it refreshes from, both empty when opened.
#[async_trait]
pub trait Subject: Send + Sync {
    fn warehouse(&self) -> &dyn Warehouse;
    fn lake(&self) -> &Lake;
    /// Rows in each managed table, in `Table::ALL` order, read however the backend can.
    async fn managed_rows(&self) -> Vec<u64>;
    /// Releases what the subject holds outside the process (a BigQuery dataset).
    async fn close(self: Box<Self>) {}
}

/// Opens subjects: a new, empty warehouse over a new, empty lake for each check.
#[async_trait]
pub trait Backend: Send + Sync {
    async fn open(&self) -> Box<dyn Subject>;
}

/// Runs every check, each on a subject of its own, all at once (they share nothing, and the
/// emulated backends spend most of their time waiting).
pub async fn run_all(backend: &dyn Backend) {
    futures::join!(
        check(backend, loads_every_complete_hour_and_answers),
        check(backend, a_second_refresh_loads_nothing),
        check(backend, late_hours_load_without_moving_the_watermark_back),
        check(backend, a_corrupt_file_fails_only_its_hour_until_repaired),
        check(
            backend,
            a_corrupt_newest_dimension_falls_back_to_the_next_newest
        ),
        check(backend, incomplete_hours_wait_for_their_manifests),
        check(backend, a_refresh_reads_only_the_new_hours),
        check(backend, a_refresh_reports_its_progress),
    );
}

/// Runs one check on a new subject, and closes it.
pub async fn check(backend: &dyn Backend, f: impl AsyncFnOnce(&dyn Subject)) {
    let subject = backend.open().await;
    f(subject.as_ref()).await;
    subject.close().await;
}

async fn refresh(s: &dyn Subject) -> RefreshReport {
    s.warehouse().refresh(s.lake()).await.expect("refresh")
}

/// Everything the analytics answer without a filter, as text: equal snapshots, equal answers.
async fn analytics(w: &dyn Warehouse) -> String {
    [
        answer::<SalesByCategory>(w, &()).await,
        answer::<SalesByHour>(w, &()).await,
        answer::<RevenueByStore>(w, &()).await,
        answer::<TopProducts>(w, &RowLimit(5)).await,
        answer::<StockByHour>(w, &()).await,
        answer::<BasketStatsQuery>(w, &()).await,
    ]
    .join("\n")
}

/// `Q`'s rows over every date, as text.
async fn answer<Q: AnalyticsQuery>(w: &dyn Warehouse, params: &Q::Params) -> String
where
    Q::Row: std::fmt::Debug,
{
    let rows = w.analytics::<Q>(&DateFilter::all().into(), params).await;
    format!(
        "{:?}",
        rows.unwrap_or_else(|e| panic!("{}: {e:?}", Q::NAME))
    )
}

/// What a refresh told its progress, in order.
#[derive(Default)]
struct Recorded(std::sync::Mutex<Vec<(&'static str, u64, u64)>>);

impl crate::warehouse::RefreshProgress for Recorded {
    fn pending(&self, hours: u64) {
        self.0.lock().expect("record").push(("pending", hours, 0));
    }
    fn tried(&self, hours: u64, rows: u64) {
        self.0.lock().expect("record").push(("tried", hours, rows));
    }
}

impl Recorded {
    /// The hours pending, then the hours and rows tried in all.
    fn totals(&self) -> (Vec<(&'static str, u64, u64)>, u64, u64) {
        let events = self.0.lock().expect("record").clone();
        let tried = events.iter().filter(|e| e.0 == "tried");
        let (hours, rows) = tried.fold((0, 0), |(h, r), e| (h + e.1, r + e.2));
        (events, hours, rows)
    }
}

/// Progress as a bar or a job shows it: the pending hours first, once the lake is listed,
/// then every one of them tried, with the fact rows loaded; a refresh with nothing new
/// reports nothing pending.
pub async fn a_refresh_reports_its_progress(s: &dyn Subject) {
    let all = hours("2026-11-21T05", 3);
    write(s.lake(), &all).await;
    let progress = Recorded::default();
    let report = s
        .warehouse()
        .refresh_with_progress(s.lake(), &progress)
        .await
        .expect("refresh");
    let (events, hours, rows) = progress.totals();
    assert_eq!(events.first(), Some(&("pending", 3, 0)), "{events:?}");
    assert_eq!(hours, 3, "every pending hour tried: {events:?}");
    let facts: u64 = crate::warehouse::refresh::FACT_TABLES
        .iter()
        .map(|t| report.rows_of(*t))
        .sum();
    assert!(facts > 0);
    assert_eq!(rows, facts, "the fact rows loaded: {events:?}");

    let again = Recorded::default();
    s.warehouse()
        .refresh_with_progress(s.lake(), &again)
        .await
        .expect("refresh");
    assert_eq!(again.totals().0, [("pending", 0, 0)], "nothing new");
}

/// The hours the analytics see: each loaded hour once in `stock_by_hour`.
/// The dimension partitions a refresh merged, as (table, hour).
fn dimensions_merged(report: &RefreshReport) -> Vec<(Table, PartitionHour)> {
    report
        .dimensions_merged
        .iter()
        .map(|d| (d.table, d.hour))
        .collect()
}

async fn hours_answered(w: &dyn Warehouse) -> Vec<PartitionHour> {
    let rows = w
        .analytics::<StockByHour>(&DateFilter::all().into(), &())
        .await;
    rows.expect("stock_by_hour")
        .iter()
        .map(|r| {
            let hour = format!("{}T{:02}", r.date, r.hour);
            hour.parse().expect("an answered hour")
        })
        .collect()
}

/// A first refresh loads every complete hour, oldest first, with exactly the lake's rows,
/// merges both dimensions from the newest hour, moves the watermark from none to the newest
/// hour, and the analytics answer over exactly those hours.
pub async fn loads_every_complete_hour_and_answers(s: &dyn Subject) {
    let all = hours("2026-11-20T22", 4);
    write(s.lake(), &all).await;
    let w = s.warehouse();
    assert_eq!(
        w.watermark().await.expect("watermark"),
        None,
        "no watermark before a load"
    );

    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.hours_loaded, all,
        "every complete hour, in time order"
    );
    assert_eq!(report.hours_incomplete, 0);
    assert_eq!(report.watermark_before, None);
    assert_eq!(
        report.watermark_after,
        Some(all[3]),
        "the newest hour loaded"
    );
    assert_eq!(w.watermark().await.expect("watermark"), Some(all[3]));
    let want = expected(s.lake(), &all).await;
    let alerts = Table::ALL
        .iter()
        .position(|t| *t == Table::NegativeInventoryAlerts)
        .expect("a lake table");
    assert!(want[alerts] > 0, "the small scale yields alerts to load");
    assert_eq!(
        s.managed_rows().await,
        want,
        "the managed tables hold the lake"
    );
    for (i, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(report.rows_of(table), want[i], "{table} rows reported");
    }
    let merged = dimensions_merged(&report);
    assert_eq!(
        merged,
        Table::DIMENSIONS.map(|t| (t, all[3])),
        "dimensions merged once each, from the newest hour"
    );

    assert_eq!(
        hours_answered(w).await,
        all,
        "every loaded hour answers, once"
    );
    let by_category = w
        .analytics::<SalesByCategory>(&DateFilter::all().into(), &())
        .await;
    let by_store = w
        .analytics::<RevenueByStore>(&DateFilter::all().into(), &())
        .await;
    let by_category: i64 = by_category
        .expect("sales_by_category")
        .iter()
        .map(|r| r.revenue_cents)
        .sum();
    let by_store: i64 = by_store
        .expect("revenue_by_store")
        .iter()
        .map(|r| r.revenue_cents)
        .sum();
    assert!(by_category > 0, "the loaded hours have sales");
    assert_eq!(by_category, by_store, "one revenue whichever way it is cut");
}

/// A second refresh finds nothing to load and changes nothing: no rows, no merge, the same
/// watermark, tables and answers.
pub async fn a_second_refresh_loads_nothing(s: &dyn Subject) {
    let all = hours("2026-11-20T23", 3);
    write(s.lake(), &all).await;
    let first = refresh(s).await;
    assert_eq!(first.hours_loaded, all);
    let w = s.warehouse();
    let (rows, answers) = (s.managed_rows().await, analytics(w).await);

    // The lake rewrites the hours too (same bytes): loaded hours are not read again.
    write(s.lake(), &all).await;
    let again = refresh(s).await;
    assert!(again.is_noop(), "a second refresh loaded {again:#?}");
    assert!(again.failures.is_empty(), "{:#?}", again.failures);
    assert!(again.rows.iter().all(|r| r.rows == 0), "{:?}", again.rows);
    assert_eq!(again.watermark_before, first.watermark_after);
    assert_eq!(again.watermark_after, first.watermark_after);
    assert_eq!(s.managed_rows().await, rows, "no rows added or removed");
    assert_eq!(analytics(w).await, answers, "the same answers");
}

/// An hour older than the watermark that arrives late is loaded by the next refresh, without
/// moving the watermark back or rolling the dimensions back to it.
pub async fn late_hours_load_without_moving_the_watermark_back(s: &dyn Subject) {
    let all = hours("2026-11-20T22", 4);
    let first = [all[0], all[1], all[3]];
    write(s.lake(), &first).await;
    let report = refresh(s).await;
    assert_eq!(report.hours_loaded, first);
    assert_eq!(report.watermark_after, Some(all[3]));

    write(s.lake(), &all[2..3]).await;
    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, [all[2]], "the late hour, and only it");
    assert!(
        report.dimensions_merged.is_empty(),
        "an older hour never rolls dimensions back: {:?}",
        report.dimensions_merged
    );
    assert_eq!(report.watermark_before, Some(all[3]));
    assert_eq!(
        report.watermark_after,
        Some(all[3]),
        "the watermark never moves back"
    );
    let w = s.warehouse();
    assert_eq!(w.watermark().await.expect("watermark"), Some(all[3]));
    assert_eq!(s.managed_rows().await, expected(s.lake(), &all).await);
    assert_eq!(
        hours_answered(w).await,
        all,
        "the late hour answers in its place"
    );
}

/// A refresh's cost grows with the new hours, not with the history: after a first load, a
/// refresh reads no data file, and one after a new hour reads that hour's files only.
pub async fn a_refresh_reads_only_the_new_hours(s: &dyn Subject) {
    let all = hours("2026-11-20T22", 4);
    write(s.lake(), &all[..3]).await;
    let log = Arc::new(ReadLog {
        store: s.lake().store().clone(),
        reads: Mutex::new(Vec::new()),
    });
    let lake = Lake::new(log.clone());
    let w = s.warehouse();
    let first = w.refresh(&lake).await.expect("refresh");
    assert_eq!(first.hours_loaded, all[..3]);
    assert!(!log.data_files_read().is_empty(), "a load reads the lake");

    let again = w.refresh(&lake).await.expect("refresh");
    assert!(again.is_noop(), "{again:#?}");
    assert_eq!(
        log.data_files_read(),
        Vec::<String>::new(),
        "nothing new, nothing read"
    );

    write(s.lake(), &all[3..]).await;
    log.data_files_read();
    let report = w.refresh(&lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, all[3..]);
    let mut want: Vec<String> = Table::ALL.iter().map(|&t| data_path(t, all[3])).collect();
    want.sort();
    assert_eq!(
        log.data_files_read(),
        want,
        "the new hour's files, each once"
    );
}
