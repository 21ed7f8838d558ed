//! A full disk, for real: the data directory is a small tmpfs mounted in a private mount
//! namespace (`unshare -rm`, no privileges needed where user namespaces are allowed), and the
//! real binary runs in it. A backfill that fills the disk stops with a clear error naming the
//! file, leaving only whole hours and no temp files; a refresh on a full disk fails without
//! damaging the warehouse; once there is room, the same commands finish the work and the
//! warehouse holds exactly the lake's rows.
#![cfg(feature = "duckdb")]

mod common;

use retail_pipeline::lake::Manifest;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const FROM: &str = "2026-10-01T00";
const TO: &str = "2026-10-03T23";
const HOURS: usize = 3 * 24;

/// The steps, run inside the namespace; each command's exit code and stderr land in files, and
/// the data directory is copied out at each stage (the tmpfs vanishes with the namespace).
const SCRIPT: &str = r#"
set -u
bin=$1; out=$2
data=$out/data
mkdir -p "$data" "$out/full" "$out/final"
mount -t tmpfs -o size=6m tmpfs "$data" || exit 90
run() { name=$1; shift
    "$bin" --data-dir "$data" --stores 10 "$@" > "$out/$name.out" 2> "$out/$name.err"
    echo $? > "$out/$name.code"; }
run backfill_full backfill --from "$FROM" --to "$TO" --jobs 2
cp -a "$data/." "$out/full/"
mount -o remount,size=256m "$data"
run backfill_room backfill --from "$FROM" --to "$TO" --jobs 2
# Leave the warehouse almost no room: what is used now, plus 64 KiB.
used_kb=$(df -k --output=used "$data" | tail -n 1 | tr -d ' ')
mount -o remount,size=$((used_kb + 64))k "$data"
run refresh_full refresh
mount -o remount,size=256m "$data"
run refresh_room refresh
cp -a "$data/." "$out/final/"
"#;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn code(out: &Path, step: &str) -> i32 {
    read(&out.join(format!("{step}.code")))
        .trim()
        .parse()
        .expect("exit code")
}

/// The sealed hours of a lake, each checked against its data files: hour -> tables sealed.
fn sealed_hours(lake: &Path) -> BTreeMap<String, usize> {
    let mut hours = BTreeMap::new();
    for m in common::checked_manifests(lake) {
        *hours
            .entry(format!("{}T{:02}", m.date, m.hour))
            .or_default() += 1;
    }
    hours
}

fn namespaces_work() -> bool {
    Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /mnt && umount /mnt",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_full_disk_stops_cleanly_and_the_work_finishes_once_there_is_room() {
    if !namespaces_work() {
        common::skip_or_fail("cannot mount a tmpfs in a user namespace here (unshare -rm)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();
    let status = Command::new("unshare")
        .args(["-rm", "sh", "-c", SCRIPT, "disk-full"])
        .arg(env!("CARGO_BIN_EXE_retail-pipeline"))
        .arg(out)
        .env("FROM", FROM)
        .env("TO", TO)
        .env("RP_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn")
        .env_remove("RP_DATA_DIR")
        .status()
        .expect("unshare");
    assert!(status.success(), "the namespace script ran: {status:?}");

    // 1. The disk filled during the backfill: a clear error naming the file, no panic.
    let err = read(&out.join("backfill_full.err"));
    assert_ne!(code(out, "backfill_full"), 0, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains("/data/lake/"),
        "the error names the file: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.matches("No space left on device").count(),
        1,
        "the cause is said once: {err}"
    );
    // What the full disk holds: whole hours only, and no temp file left behind.
    let lake = out.join("full/lake");
    let sealed = sealed_hours(&lake);
    assert!(
        !sealed.is_empty() && sealed.len() < HOURS,
        "{} hours sealed",
        sealed.len()
    );
    let temps: Vec<String> = common::tree(&lake)
        .into_keys()
        .filter(|p| common::is_temp_file(p))
        .collect();
    assert!(temps.is_empty(), "temp files left: {temps:?}");
    let whole = sealed.values().filter(|&&tables| tables == 5).count();

    // 2. With room, the rerun writes exactly the hours missing.
    assert_eq!(
        code(out, "backfill_room"),
        0,
        "{}",
        read(&out.join("backfill_room.err"))
    );
    let said = read(&out.join("backfill_room.out"));
    assert!(
        said.contains(&format!("wrote {} hours", HOURS - whole)),
        "{said}"
    );

    // 3. A refresh on a full disk fails, clearly, and damages nothing.
    let err = read(&out.join("refresh_full.err"));
    assert_ne!(
        code(out, "refresh_full"),
        0,
        "the refresh had no room: {err}"
    );
    assert!(
        err.to_lowercase().contains("no space left") || err.contains("disk"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // 4. With room, the refresh loads everything, once.
    assert_eq!(
        code(out, "refresh_room"),
        0,
        "{}",
        read(&out.join("refresh_room.err"))
    );
    let final_lake = out.join("final/lake");
    let sealed = sealed_hours(&final_lake);
    assert_eq!(sealed.len(), HOURS);
    assert!(sealed.values().all(|&t| t == 5));
    let rows: u64 = common::tree(&final_lake.join("_manifests/sales_data"))
        .values()
        .map(|b| {
            serde_json::from_slice::<Manifest>(b)
                .expect("manifest")
                .rows
        })
        .sum();
    let db = duckdb::Connection::open(out.join("final/warehouse.duckdb")).expect("open");
    let count = |sql: &str| -> u64 {
        db.query_row(sql, [], |r| r.get::<_, i64>(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
    };
    assert_eq!(count("SELECT count(*) FROM sales_data_managed"), rows);
    assert_eq!(
        count("SELECT count(*) FROM (SELECT DISTINCT transaction_id, line_number FROM sales_data_managed)"),
        rows,
        "no duplicate sales line"
    );
    assert_eq!(
        count("SELECT count(*) FROM (SELECT DISTINCT date, hour FROM sales_data_managed)") as usize,
        HOURS
    );
    eprintln!(
        "full disk after {whole} whole hours; refresh on a full disk said: {}",
        read(&out.join("refresh_full.err"))
            .lines()
            .last()
            .unwrap_or_default()
    );
}
