//! Helpers shared by the integration tests: parsing the generator's CSV back into rows, and
//! one raw HTTP/1.1 request to a server started as a child process.

#![allow(dead_code)] // each test binary uses a different subset

#[cfg(feature = "gcp")]
pub mod bq;
#[cfg(feature = "gcp")]
pub mod e2e;
pub mod local_bus;
pub mod proxy;
pub mod router;
pub mod seed_payloads;
pub mod stream_dom;

use retail_pipeline::generate::TableFile;
use retail_pipeline::model::Table;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Money "12.34" as integer cents.
pub fn cents(s: &str) -> i64 {
    let (whole, frac) = s.split_once('.').expect("money has two decimals");
    assert_eq!(frac.len(), 2, "money {s} has two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    whole.parse::<i64>().expect("whole part") * 100 + sign * frac.parse::<i64>().expect("cents")
}

/// The rows of one table file, CSV or Parquet, as maps from column name to value in the CSV's
/// spelling; checks the header (or the Parquet schema's column names).
pub fn rows(file: &TableFile) -> Vec<HashMap<String, String>> {
    rows_of(file.table, &file.bytes)
}

pub fn rows_of(table: Table, bytes: &[u8]) -> Vec<HashMap<String, String>> {
    if bytes.starts_with(b"PAR1") {
        return parquet_rows(table, bytes);
    }
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, table.columns(), "{table} header");
    reader
        .records()
        .map(|r| {
            let r = r.expect("well-formed CSV row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

pub fn file(files: &[TableFile], table: Table) -> &TableFile {
    files
        .iter()
        .find(|f| f.table == table)
        .expect("every table is generated")
}

pub fn int(row: &HashMap<String, String>, col: &str) -> i64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is an integer", row[col]))
}

/// The dashboard's batch charts that a loaded day fills with bars (the `id`s of its
/// `<svg class="chart">`s), as the served page and the page Chromium renders both show them.
pub const BARRED_CHARTS: [&str; 7] = [
    "daily-revenue",
    "daily-units",
    "hourly-revenue",
    "hourly-units",
    "state-revenue",
    "store-revenue",
    "top-products",
];

/// A DuckDB warehouse laid out as the service lays out a data dir: `dir/warehouse.duckdb` over
/// the lake `dir/lake`.
#[cfg(feature = "duckdb")]
pub async fn duckdb_in(
    dir: &Path,
) -> std::sync::Arc<retail_pipeline::warehouse::duckdb::DuckDbWarehouse> {
    let warehouse = retail_pipeline::warehouse::duckdb::DuckDbWarehouse::open(
        dir.join("warehouse.duckdb"),
        dir.join("lake"),
    )
    .await
    .expect("open the warehouse");
    std::sync::Arc::new(warehouse)
}

/// What a sink stored, as the sink contract's `Stored::rows` gives it: for each stream table,
/// the rows `read(table, key column)` reads back.
pub async fn stored_per_stream_table<F, Fut>(
    read: F,
) -> BTreeMap<String, Vec<retail_pipeline::bus::sink_contract::StoredRow>>
where
    F: Fn(&'static str, &'static str) -> Fut,
    Fut: std::future::Future<Output = Vec<retail_pipeline::bus::sink_contract::StoredRow>>,
{
    let mut out = BTreeMap::new();
    for table in retail_pipeline::warehouse::stream_tables::STREAM_TABLES {
        out.insert(table.name.to_string(), read(table.name, table.key).await);
    }
    out
}

/// The rows the analytics query `Q` answers on `warehouse` (which must answer) for `filter`.
pub async fn ask<Q, W>(
    warehouse: &W,
    filter: &retail_pipeline::warehouse::AnalyticsFilter,
    params: &Q::Params,
) -> Vec<Q::Row>
where
    Q: retail_pipeline::warehouse::analytics::AnalyticsQuery,
    W: retail_pipeline::warehouse::Warehouse + ?Sized,
{
    retail_pipeline::warehouse::analytics::run::<Q, W>(warehouse, filter, params)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", Q::NAME))
}

/// The sum of the integer `field` over the rows of a JSON array (an analytics answer).
pub fn sum_of(rows: &serde_json::Value, field: &str) -> i64 {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| r[field].as_i64().unwrap_or_else(|| panic!("{field}: {r}")))
        .sum()
}

/// The loopback address a `retail-pipeline serve` child prints on its first stdout line
/// (`... http://127.0.0.1:PORT ...`); the child must have been spawned with a piped stdout.
pub fn serve_address(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("serve's stdout is piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    addr
}

/// `retail-pipeline --data-dir DATA` as the tests run it: `RUST_LOG=warn` (a test may set
/// another) and no `RP_API_TOKEN`, which a developer's shell could hold and which would turn
/// every call into a 401. Global flags go next, then the subcommand.
pub fn binary(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"));
    cmd.arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env_remove("RP_API_TOKEN");
    cmd
}

/// `serve` on a free loopback port: what follows the global flags of a `serve` child.
pub const SERVE_ON_LOOPBACK: [&str; 5] = ["serve", "--port", "0", "--bind", "127.0.0.1"];

/// Spawns a `serve` command with its stdout piped and waits for the address it prints.
pub fn spawn_serve(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn serve");
    let addr = serve_address(&mut child);
    (child, addr)
}

/// An emulator's URL from the variable `var` that `scripts/emulators.sh` sets, or `None` after
/// saying loudly why the test skips (`skip_or_fail`: under `CI=true` it fails instead).
fn emulator_endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skip_or_fail(&format!(
                "{var} not set (scripts/emulators.sh starts the emulator)"
            ));
            None
        }
    }
}

/// bqemulator's URL from `RP_TEST_BQ_ENDPOINT`, or `None` after a loud SKIPPED line.
pub fn bq_test_endpoint() -> Option<String> {
    emulator_endpoint("RP_TEST_BQ_ENDPOINT")
}

/// The tables and views of a dataset of project `rp-test` on bqemulator (tables.list).
#[cfg(feature = "gcp")]
pub async fn bq_table_ids(endpoint: &str, dataset: &str) -> Vec<String> {
    use retail_pipeline::gcp::{Credentials, GcpHttp};
    let http =
        GcpHttp::new(Credentials::Anonymous, std::time::Duration::from_secs(60)).expect("client");
    let url = format!(
        "{endpoint}/bigquery/v2/projects/rp-test/datasets/{dataset}/tables?maxResults=1000"
    );
    let list: serde_json::Value = http
        .json("list tables", |c| c.get(&url))
        .await
        .expect("tables");
    list["tables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["tableReference"]["tableId"].as_str().map(str::to_owned))
        .collect()
}

/// One HTTP/1.1 request to `addr` (a `retail-pipeline serve` child); the status and the body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
    read_timeout: std::time::Duration,
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(read_timeout)).expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// The fake-gcs-server base URL from `RP_TEST_GCS_ENDPOINT`, or `None` after a loud SKIPPED line.
#[cfg(feature = "gcp")]
pub fn gcs_test_endpoint() -> Option<String> {
    emulator_endpoint("RP_TEST_GCS_ENDPOINT")
}

/// A bucket name no other test, process or earlier run on the shared emulator has used.
#[cfg(feature = "gcp")]
pub fn unique_gcs_bucket() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    format!(
        "rp-test-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Anonymous credentials (nothing asks a token endpoint), 30 s per request, `retry` tries.
#[cfg(feature = "gcp")]
pub fn gcp_test_http(retry: retail_pipeline::gcp::RetryPolicy) -> retail_pipeline::gcp::GcpHttp {
    retail_pipeline::gcp::GcpHttp::new(
        retail_pipeline::gcp::Credentials::Anonymous,
        std::time::Duration::from_secs(30),
    )
    .expect("http client")
    .with_retry(retry)
}

/// A `GcsStore` on the emulator in a fresh bucket of its own (created), below `prefix`; `None`
/// (after a SKIPPED line) when `RP_TEST_GCS_ENDPOINT` is unset.
#[cfg(feature = "gcp")]
pub async fn gcs_store_for_test(prefix: Option<&str>) -> Option<retail_pipeline::lake::GcsStore> {
    let endpoint = gcs_test_endpoint()?;
    let store = retail_pipeline::lake::GcsStore::new(
        gcp_test_http(retail_pipeline::gcp::RetryPolicy::default()),
        Some(endpoint),
        unique_gcs_bucket(),
        prefix.map(str::to_owned),
    );
    store
        .ensure_bucket("rp-test")
        .await
        .expect("create the test bucket");
    Some(store)
}

/// Kills a child process when dropped: a test that panics must not leave a service running
/// (it would hold the test's output pipes open and keep logging).
pub struct KillOnDrop(pub u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Every file below `dir` (none if it does not exist), in no particular order.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// Every file below `dir` with its bytes, by path relative to `dir` (empty if it does not
/// exist). A file gone between the listing and the read is left out: only a writer still
/// running does that (a store's temp file renamed into place), and tests that watch a live
/// directory poll again.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_below(dir)
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(dir).expect("under").to_string_lossy();
            match std::fs::read(&p) {
                Ok(bytes) => Some((rel.into_owned(), bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => panic!("read {}: {e}", p.display()),
            }
        })
        .collect()
}

/// True for a store's temp file (`.tmp*`): a write cut short by a kill, never shown as stored.
pub fn is_temp_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|n| n.starts_with(".tmp"))
}

/// The manifests below `lake/_manifests` (temp files aside), each checked against its data
/// files (size and CRC-32C): only a sealed hour has them.
pub fn checked_manifests(lake: &Path) -> Vec<retail_pipeline::lake::Manifest> {
    tree(&lake.join("_manifests"))
        .into_iter()
        .filter(|(path, _)| !is_temp_file(path))
        .map(|(path, bytes)| {
            let m: retail_pipeline::lake::Manifest =
                serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
            for f in &m.files {
                let data =
                    std::fs::read(lake.join(&f.path)).unwrap_or_else(|e| panic!("{}: {e}", f.path));
                assert_eq!(data.len() as u64, f.bytes, "{} is whole", f.path);
                let crc = retail_pipeline::lake::crc32c_hex(&data);
                assert_eq!(crc, f.crc32c, "{} checksum", f.path);
            }
            m
        })
        .collect()
}

/// The `.jsonl` files below `dir` (none if it does not exist): the raw archive's events or the
/// rows of the stream tables the sinks write.
fn jsonl_files(dir: &Path) -> impl Iterator<Item = PathBuf> {
    files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
}

/// Lines in every `.jsonl` file under `dir` (none if it does not exist).
pub fn jsonl_lines(dir: &Path) -> usize {
    jsonl_files(dir)
        .map(|p| std::fs::read_to_string(&p).expect("read").lines().count())
        .sum()
}

/// Every line of every `.jsonl` file under `dir` (none if it does not exist), parsed.
pub fn jsonl_values(dir: &Path) -> Vec<serde_json::Value> {
    let mut values = Vec::new();
    for p in jsonl_files(dir) {
        for line in std::fs::read_to_string(&p).expect("read").lines() {
            values.push(
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: {e}: {line}", p.display())),
            );
        }
    }
    values
}

/// True where `CI` says so (`CI=true`, as CI services set it, or `1`).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The one rule for a test that cannot run here (a missing emulator, tool or kernel feature):
/// on a laptop it says `SKIPPED: reason` and the test passes; on CI (`CI=true`) it fails, so a
/// missing dependency cannot pass unseen. Call it, then return. The line also goes to the file
/// `RP_SKIPPED_LOG` names, if any: libtest keeps a passing test's output to itself, and
/// `.ci/run` counts skips from that file.
pub fn skip_or_fail(reason: &str) {
    assert!(!on_ci(), "CI=true, and this test cannot run: {reason}");
    eprintln!("SKIPPED: {reason}");
    if let Some(path) = std::env::var_os("RP_SKIPPED_LOG") {
        use std::io::Write;
        // One write of the whole line: tests skip from parallel threads and processes, and
        // appends of one write each do not interleave.
        let line = format!("SKIPPED: {reason}\n");
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = appended {
            eprintln!("cannot record the skip in {}: {e}", path.to_string_lossy());
        }
    }
}

/// A Parquet file's rows, each value written as the CSV writes it (money `12.34`, dates
/// `YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM:SSZ`, a null as the empty string), so that every check
/// written against CSV rows runs on Parquet unchanged.
pub fn parquet_rows(table: Table, bytes: &[u8]) -> Vec<HashMap<String, String>> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader =
        SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).expect("parquet footer");
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, table.columns(), "{table} parquet columns");
    let mut out = Vec::new();
    for row in reader.get_row_iter(None).expect("rows") {
        let row = row.expect("well-formed parquet row");
        let mut map = HashMap::new();
        for (name, field) in row.get_column_iter() {
            let text = match field {
                Field::Null => String::new(),
                Field::Str(s) => s.clone(),
                Field::Int(v) => v.to_string(),
                Field::Long(v) => v.to_string(),
                Field::Decimal(d) => {
                    let mut be = [0u8; 8];
                    be.copy_from_slice(d.data());
                    assert_eq!(d.scale(), 2, "{name}: money has scale 2");
                    assert_eq!(d.precision(), 12, "{name}: money has precision 12");
                    money(i64::from_be_bytes(be))
                }
                Field::Date(days) => (chrono::DateTime::UNIX_EPOCH.date_naive()
                    + chrono::Duration::days(i64::from(*days)))
                .format("%Y-%m-%d")
                .to_string(),
                Field::TimestampMicros(us) => chrono::DateTime::from_timestamp_micros(*us)
                    .expect("in range")
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                other => panic!("{table}.{name}: unexpected parquet value {other:?}"),
            };
            map.insert(name.clone(), text);
        }
        out.push(map);
    }
    out
}

/// Cents as the CSV spells money: 1299 -> "12.99", -5 -> "-0.05".
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}
