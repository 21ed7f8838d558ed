//! kill -9 with the warehouse in the loop, through the real binary: a backfill killed mid-way,
//! a refresh of what it sealed, a refresh killed mid-way, then both rerun. The lake and the
//! DuckDB warehouse end consistent: every hour loaded once, each fact table holding exactly
//! the rows of the lake's manifests, no duplicate key, every dimension one row per id.
#![cfg(feature = "duckdb")]

use retail_pipeline::lake::Manifest;
use retail_pipeline::model::Table;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const FROM: &str = "2026-10-01T00";
const TO: &str = "2026-10-12T23";
const HOURS: usize = 12 * 24;

fn bin(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"));
    cmd.env("RP_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn")
        .env_remove("RP_DATA_DIR")
        .env_remove("RP_SCALE")
        .env_remove("RP_SEED")
        .arg("--data-dir")
        .arg(data)
        .args(["--stores", "10"]);
    cmd
}

fn backfill(data: &Path) -> Command {
    let mut cmd = bin(data);
    cmd.args(["backfill", "--from", FROM, "--to", TO, "--jobs", "2"]);
    cmd
}

fn refresh(data: &Path) -> Command {
    let mut cmd = bin(data);
    cmd.arg("refresh");
    cmd
}

fn finish(mut cmd: Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts `cmd`, waits until `ready` holds, then kills it with SIGKILL. Returns whether the
/// kill came before the process ended on its own.
fn kill_when(mut cmd: Command, ready: impl Fn() -> bool) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    status.code().is_none()
}

/// Manifests per table, by `date/hour`.
fn manifests(lake: &Path) -> BTreeMap<String, BTreeMap<String, Manifest>> {
    let mut out: BTreeMap<String, BTreeMap<String, Manifest>> = BTreeMap::new();
    let root = lake.join("_manifests");
    let Ok(tables) = std::fs::read_dir(&root) else {
        return out;
    };
    for table in tables {
        let table = table.expect("entry").path();
        let name = table
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for date in std::fs::read_dir(&table).expect("dates") {
            let date = date.expect("entry").path();
            for hour in std::fs::read_dir(&date).expect("hours") {
                let hour = hour.expect("entry").path();
                if hour.extension().is_none_or(|x| x != "json") {
                    continue; // a temp file of a write cut short by the kill
                }
                let m: Manifest =
                    serde_json::from_slice(&std::fs::read(&hour).expect("read")).expect("json");
                out.entry(name.clone())
                    .or_default()
                    .insert(format!("{}/{:02}", m.date, m.hour), m);
            }
        }
    }
    out
}

fn one_number(db: &duckdb::Connection, sql: &str) -> u64 {
    db.query_row(sql, [], |r| r.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
}

#[test]
fn kill_9_in_backfill_and_in_refresh_leaves_lake_and_warehouse_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let alerts_sealed = data.join("lake/_manifests/negative_inventory_alerts");

    // 1. A backfill killed after its first sealed hours.
    let killed = kill_when(backfill(data), || {
        std::fs::read_dir(&alerts_sealed).is_ok_and(|mut d| d.next().is_some())
    });
    assert!(killed, "the backfill was killed before it ended");
    let sealed_first = manifests(&data.join("lake"))
        .get("negative_inventory_alerts")
        .map_or(0, BTreeMap::len);
    assert!(sealed_first < HOURS, "{sealed_first} hours sealed");

    // 2. A refresh of what is sealed, then the backfill again, to the end.
    finish(refresh(data));
    finish(backfill(data));

    // 3. A refresh killed while it loads: wait for it to open its write-ahead log.
    let wal = data.join("warehouse.duckdb.wal");
    let started = Instant::now();
    let killed = kill_when(refresh(data), || {
        wal.exists() || started.elapsed() > Duration::from_millis(1500)
    });
    assert!(killed, "the refresh was killed before it ended");

    // 4. The rerun ends the work.
    let out = finish(refresh(data));
    eprintln!(
        "after the killed refresh: {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );

    // The lake: every hour of every table sealed.
    let lake = manifests(&data.join("lake"));
    assert_eq!(lake.len(), Table::ALL.len(), "every lake table");
    for (table, hours) in &lake {
        assert_eq!(hours.len(), HOURS, "{table}: every hour sealed");
    }
    let rows = |table: &str| -> u64 { lake[table].values().map(|m| m.rows).sum() };
    let newest = |table: &str| -> u64 { lake[table].values().next_back().map_or(0, |m| m.rows) };

    // The warehouse: exactly the lake, once.
    let db = duckdb::Connection::open(data.join("warehouse.duckdb")).expect("open warehouse");
    let facts = [
        (
            "sales_data_managed",
            "sales_data",
            "transaction_id, line_number",
        ),
        (
            "inventory_data_managed",
            "inventory_data",
            "date, hour, store_id, product_id",
        ),
        (
            "negative_inventory_alerts",
            "negative_inventory_alerts",
            "alert_id",
        ),
    ];
    for (managed, table, key) in facts {
        let count = one_number(&db, &format!("SELECT count(*) FROM {managed}"));
        assert_eq!(count, rows(table), "{managed} holds the lake's rows");
        let distinct = one_number(
            &db,
            &format!("SELECT count(*) FROM (SELECT DISTINCT {key} FROM {managed})"),
        );
        assert_eq!(distinct, count, "{managed}: no duplicate {key}");
        let hours = one_number(
            &db,
            &format!("SELECT count(*) FROM (SELECT DISTINCT date, hour FROM {managed})"),
        );
        if table != "negative_inventory_alerts" {
            assert_eq!(hours as usize, HOURS, "{managed}: every hour");
        }
    }
    for (managed, table, key) in [
        ("product_catalog_managed", "product_catalog", "product_id"),
        ("stores_managed", "stores", "store_id"),
    ] {
        let count = one_number(&db, &format!("SELECT count(*) FROM {managed}"));
        let distinct = one_number(&db, &format!("SELECT count(DISTINCT {key}) FROM {managed}"));
        assert_eq!(
            (count, distinct),
            (newest(table), newest(table)),
            "{managed}"
        );
    }
    let loaded = one_number(
        &db,
        "SELECT count(*) FROM (SELECT DISTINCT date, hour FROM partition_state)",
    );
    assert_eq!(loaded as usize, HOURS, "partition_state: every hour once");
}
