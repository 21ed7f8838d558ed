//! The shared test suite of the `Warehouse` refresh contract. Every backend runs it: DuckDB in
//! `tests/warehouse_refresh.rs`, BigQuery against its emulator in `tests/warehouse_bigquery.rs`.
//! Each check starts from a new, empty warehouse over a new, empty lake, writes real hours with
//! the generator (CSV, `--scale small`), damages some through the lake's `BlobStore`, and holds
//! the refresh to one promise of the trait's doc. How the managed tables are counted differs
//! per backend, so each supplies a `Subject`.
//!
//! Each check panics with a message naming the broken promise.

use super::{DateFilter, RefreshReport, Warehouse};
use crate::generate::{generate_hour_as, World, GENERATOR_VERSION};
use crate::lake::{
    crc32c_hex, layout, BlobPath, BlobStore, Lake, LakeIdentity, Manifest, ObjectMeta, StoreError,
};
use crate::model::{LakeFormat, PartitionHour, Scale, ScaleName, Table};
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::{Arc, Mutex, OnceLock};

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
    );
}

/// Runs one check on a new subject, and closes it.
pub async fn check(backend: &dyn Backend, f: impl AsyncFnOnce(&dyn Subject)) {
    let subject = backend.open().await;
    f(subject.as_ref()).await;
    subject.close().await;
}

const SEED: u64 = 42;

fn scale() -> Scale {
    Scale::preset(ScaleName::Small)
}

fn world() -> Arc<World> {
    static WORLD: OnceLock<Arc<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| Arc::new(World::new(SEED, &scale())))
        .clone()
}

/// `count` hours from `first`, across a day boundary when `first` is late in the day.
pub fn hours(first: &str, count: i64) -> Vec<PartitionHour> {
    let first: PartitionHour = first.parse().expect("valid hour");
    (0..count)
        .map(|i| first.offset(i).expect("hour in range"))
        .collect()
}

/// Generates and writes these hours as the pipeline does (data, then manifests).
pub async fn write(lake: &Lake, hours: &[PartitionHour]) {
    let identity = LakeIdentity::new(SEED, &scale(), GENERATOR_VERSION);
    lake.ensure_identity(&identity)
        .await
        .expect("lake identity");
    for &hour in hours {
        let world = world();
        let files =
            tokio::task::spawn_blocking(move || generate_hour_as(&world, hour, LakeFormat::Csv))
                .await
                .expect("generate")
                .expect("encode");
        lake.write_hour(hour, files, &identity)
            .await
            .expect("write hour");
    }
}

fn path(s: String) -> BlobPath {
    BlobPath::new(s).expect("lake path")
}

fn data_path(table: Table, hour: PartitionHour) -> String {
    layout::data_file(table, hour, LakeFormat::Csv)
}

async fn read(lake: &Lake, table: Table, hour: PartitionHour) -> Vec<u8> {
    let at = path(data_path(table, hour));
    let bytes = lake.store().get(&at).await;
    bytes.expect("read a data file").to_vec()
}

/// Replaces a data file, leaving its manifest as it is (so the manifest no longer matches).
async fn replace(lake: &Lake, table: Table, hour: PartitionHour, bytes: Vec<u8>) {
    let at = path(data_path(table, hour));
    let put = lake.store().put(&at, Bytes::from(bytes));
    put.await.expect("replace a data file");
}

/// Replaces a data file and its manifest's size and checksum to match: bad content only the
/// warehouse's own loading can catch.
async fn replace_with_valid_manifest(lake: &Lake, table: Table, hour: PartitionHour, text: String) {
    let manifest_path = path(layout::manifest(table, hour));
    let json = lake.store().get(&manifest_path).await.expect("manifest");
    let mut manifest: Manifest = serde_json::from_slice(&json).expect("manifest json");
    manifest.files[0].bytes = text.len() as u64;
    manifest.files[0].crc32c = crc32c_hex(text.as_bytes());
    replace(lake, table, hour, text.into_bytes()).await;
    let json = serde_json::to_vec(&manifest).expect("json");
    let put = lake.store().put(&manifest_path, Bytes::from(json));
    put.await.expect("write manifest");
}

async fn remove_manifest(lake: &Lake, table: Table, hour: PartitionHour) {
    let at = path(layout::manifest(table, hour));
    let deleted = lake.store().delete(&at);
    deleted.await.expect("delete a manifest");
}

/// Rows the lake's manifests declare for `table` over `hours`.
async fn lake_rows(lake: &Lake, table: Table, hours: &[PartitionHour]) -> u64 {
    let mut rows = 0;
    for &hour in hours {
        let manifest = lake.manifest(table, hour).await.expect("manifest");
        rows += manifest.expect("a written hour has manifests").rows;
    }
    rows
}

/// What the managed tables hold once exactly `hours` are loaded, in `Table::ALL` order.
async fn expected(lake: &Lake, hours: &[PartitionHour]) -> Vec<u64> {
    let scale = scale();
    vec![
        u64::from(scale.products),
        u64::from(scale.stores),
        lake_rows(lake, Table::SalesData, hours).await,
        lake_rows(lake, Table::InventoryData, hours).await,
        lake_rows(lake, Table::NegativeInventoryAlerts, hours).await,
    ]
}

async fn refresh(s: &dyn Subject) -> RefreshReport {
    s.warehouse().refresh(s.lake()).await.expect("refresh")
}

/// Everything the analytics answer without a filter, as text: equal snapshots, equal answers.
async fn analytics(w: &dyn Warehouse) -> String {
    let all = || DateFilter::all().into();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        w.sales_by_category(all()).await.expect("sales_by_category"),
        w.sales_by_hour(all()).await.expect("sales_by_hour"),
        w.revenue_by_store(all()).await.expect("revenue_by_store"),
        w.top_products(all(), 5).await.expect("top_products"),
        w.stock_by_hour(all()).await.expect("stock_by_hour"),
        w.basket_stats(all()).await.expect("basket_stats"),
    )
}

/// The hours the analytics see: each loaded hour once in `stock_by_hour`.
async fn hours_answered(w: &dyn Warehouse) -> Vec<PartitionHour> {
    let rows = w.stock_by_hour(DateFilter::all().into()).await;
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
    assert!(want[4] > 0, "the small scale yields alerts to load");
    assert_eq!(
        s.managed_rows().await,
        want,
        "the managed tables hold the lake"
    );
    for (i, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(report.rows_of(table), want[i], "{table} rows reported");
    }
    let merged: Vec<_> = report
        .dimensions_merged
        .iter()
        .map(|d| (d.table, d.hour))
        .collect();
    assert_eq!(
        merged,
        [(Table::ProductCatalog, all[3]), (Table::Stores, all[3])],
        "dimensions merged once each, from the newest hour"
    );

    assert_eq!(
        hours_answered(w).await,
        all,
        "every loaded hour answers, once"
    );
    let by_category = w.sales_by_category(DateFilter::all().into()).await;
    let by_store = w.revenue_by_store(DateFilter::all().into()).await;
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

/// A file that does not match its manifest (a changed byte: crc32c; cut short: size), or that
/// matches it but cannot be loaded (a non-number; an alert row of another hour, caught after
/// the hour's other tables were loaded), fails its hour only: named with its table and file,
/// nothing of the hour loaded, every other hour loaded, the watermark at the newest good hour.
/// Repaired, the failed hours load on the next refresh.
pub async fn a_corrupt_file_fails_only_its_hour_until_repaired(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T21", 5);
    write(lake, &all).await;
    // The alert case needs an hour with alerts; the others take the rest, the newest hour
    // among the failed ones so that the watermark has to stay behind it.
    let mut alert_hour = None;
    for &hour in all.iter().rev() {
        if lake_rows(lake, Table::NegativeInventoryAlerts, &[hour]).await > 0 {
            alert_hour = Some(hour);
            break;
        }
    }
    let alert_hour = alert_hour.expect("an hour with alerts");
    let mut others: Vec<_> = all.iter().copied().filter(|h| *h != alert_hour).collect();
    let flipped = others.pop().expect("an hour");
    let (good, cut, bad_number) = (others[0], others[1], others[2]);

    let mut bytes = read(lake, Table::SalesData, flipped).await;
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    replace(lake, Table::SalesData, flipped, bytes).await;

    let bytes = read(lake, Table::InventoryData, cut).await;
    replace(
        lake,
        Table::InventoryData,
        cut,
        bytes[..bytes.len() / 3].to_vec(),
    )
    .await;

    let text = String::from_utf8(read(lake, Table::InventoryData, bad_number).await).expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[5] = lines[5].replacen(',', ",x", 3);
    replace_with_valid_manifest(
        lake,
        Table::InventoryData,
        bad_number,
        lines.join("\n") + "\n",
    )
    .await;

    let text = String::from_utf8(read(lake, Table::NegativeInventoryAlerts, alert_hour).await)
        .expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    assert_eq!(
        fields[2],
        alert_hour.hour().to_string(),
        "the hour column: {}",
        lines[1]
    );
    fields[2] = ((alert_hour.hour() + 1) % 24).to_string();
    lines[1] = fields.join(",");
    let table = Table::NegativeInventoryAlerts;
    replace_with_valid_manifest(lake, table, alert_hour, lines.join("\n") + "\n").await;

    let report = refresh(s).await;
    let loaded = vec![good];
    assert_eq!(
        report.hours_loaded, loaded,
        "only the good hour: {:#?}",
        report.failures
    );
    let mut failed = vec![
        (flipped, Some(Table::SalesData), "crc32c"),
        (cut, Some(Table::InventoryData), "bytes"),
        (bad_number, Some(Table::InventoryData), ""),
        // Caught inside the hour's transaction: the backend may name the file or the hour.
        (alert_hour, None, ""),
    ];
    failed.sort_by_key(|f| f.0);
    assert_eq!(
        report.failures.len(),
        failed.len(),
        "one failure per bad hour: {:#?}",
        report.failures
    );
    // In no particular order: a backend may verify a batch's files before loading any.
    let mut failures = report.failures.clone();
    failures.sort_by_key(|f| f.hour);
    for (failure, (hour, table, why)) in failures.iter().zip(&failed) {
        let text = failure.to_string();
        assert_eq!(failure.hour, *hour, "{text}");
        if let Some(table) = table {
            assert_eq!(failure.table, *table, "{text}");
            let file = data_path(*table, *hour);
            assert!(text.contains(&file), "{text} names {file}");
        }
        assert!(text.contains(why), "{text} says {why}");
    }
    assert_eq!(
        s.managed_rows().await,
        expected(lake, &loaded).await,
        "nothing of a failed hour"
    );
    assert_eq!(hours_answered(s.warehouse()).await, loaded);
    assert_eq!(
        report.watermark_after,
        Some(good),
        "the newest hour loaded, not the newest hour"
    );

    // Regenerated (manifests last, as a crash-free rewrite does), the failed hours load.
    let mut repaired: Vec<_> = failed.iter().map(|f| f.0).collect();
    repaired.sort();
    for &hour in &repaired {
        for table in Table::ALL {
            remove_manifest(lake, table, hour).await;
        }
    }
    write(lake, &repaired).await;
    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.hours_loaded, repaired,
        "the repaired hours, once each"
    );
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
    assert_eq!(hours_answered(s.warehouse()).await, all);
    assert_eq!(report.watermark_after, all.last().copied());
}

/// A dimension's newest partition that fails verification is reported, and the dimension is
/// merged from the next newest hour instead; the other dimension still from the newest.
pub async fn a_corrupt_newest_dimension_falls_back_to_the_next_newest(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T00", 3);
    write(lake, &all).await;
    let bytes = read(lake, Table::ProductCatalog, all[2]).await;
    replace(
        lake,
        Table::ProductCatalog,
        all[2],
        bytes[..bytes.len() - 10].to_vec(),
    )
    .await;

    let report = refresh(s).await;
    assert_eq!(
        report.hours_loaded, all,
        "fact hours do not depend on the catalog's file"
    );
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
    let failure = &report.failures[0];
    assert_eq!(
        (failure.hour, failure.table),
        (all[2], Table::ProductCatalog)
    );
    let file = data_path(Table::ProductCatalog, all[2]);
    assert!(failure.path.ends_with(&file), "{failure} names {file}");
    let merged: Vec<_> = report
        .dimensions_merged
        .iter()
        .map(|d| (d.table, d.hour))
        .collect();
    assert_eq!(
        merged,
        [(Table::ProductCatalog, all[1]), (Table::Stores, all[2])],
        "the catalog from the next newest hour"
    );
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
}

/// Hours with data but not all manifests (a write interrupted before or between manifests)
/// are counted as incomplete and skipped, without failing; once complete they load.
pub async fn incomplete_hours_wait_for_their_manifests(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T00", 4);
    write(lake, &all).await;
    // Hour 2 as a crash between manifests leaves it; hour 3 as one before any.
    remove_manifest(lake, Table::InventoryData, all[2]).await;
    for table in Table::ALL {
        remove_manifest(lake, table, all[3]).await;
    }
    let report = refresh(s).await;
    assert!(
        report.failures.is_empty(),
        "skipped, not failed: {:#?}",
        report.failures
    );
    assert_eq!(report.hours_loaded, all[..2], "the complete hours only");
    assert_eq!(
        report.hours_incomplete, 1,
        "hour 2 has some manifests, hour 3 none"
    );
    assert_eq!(report.watermark_after, Some(all[1]));
    assert_eq!(s.managed_rows().await, expected(lake, &all[..2]).await);
    assert_eq!(hours_answered(s.warehouse()).await, all[..2]);

    // The generator completes them (rewriting is idempotent): the next refresh loads them.
    write(lake, &all[2..]).await;
    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, all[2..]);
    assert_eq!(report.hours_incomplete, 0);
    assert_eq!(report.watermark_after, Some(all[3]));
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
}

/// A lake store that notes every object read, to see what a refresh costs.
#[derive(Debug)]
struct ReadLog {
    store: Arc<dyn BlobStore>,
    reads: Mutex<Vec<String>>,
}

impl ReadLog {
    /// The data files read since the last call (manifests and `_lake.json` left out), sorted.
    fn data_files_read(&self) -> Vec<String> {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let mut data: Vec<String> = reads.drain(..).filter(|p| !p.starts_with('_')).collect();
        data.sort();
        data
    }
}

#[async_trait]
impl BlobStore for ReadLog {
    async fn put(&self, path: &BlobPath, bytes: Bytes) -> Result<(), StoreError> {
        self.store.put(path, bytes).await
    }
    async fn put_many(&self, objects: Vec<(BlobPath, Bytes)>) -> Result<(), StoreError> {
        self.store.put_many(objects).await
    }
    async fn put_stages(&self, stages: Vec<Vec<(BlobPath, Bytes)>>) -> Result<(), StoreError> {
        self.store.put_stages(stages).await
    }
    async fn get(&self, path: &BlobPath) -> Result<Bytes, StoreError> {
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.as_str().to_string());
        self.store.get(path).await
    }
    async fn exists(&self, path: &BlobPath) -> Result<bool, StoreError> {
        self.store.exists(path).await
    }
    async fn list(&self, prefix: &BlobPath) -> Result<Vec<ObjectMeta>, StoreError> {
        self.store.list(prefix).await
    }
    async fn list_paths(&self, prefix: &BlobPath) -> Result<Vec<BlobPath>, StoreError> {
        self.store.list_paths(prefix).await
    }
    async fn list_dirs(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        self.store.list_dirs(prefix).await
    }
    async fn delete(&self, path: &BlobPath) -> Result<(), StoreError> {
        self.store.delete(path).await
    }
    fn describe(&self) -> String {
        self.store.describe()
    }
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
