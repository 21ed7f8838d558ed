//! The real binary, driven as a user would: outputs, idempotency, bad input, interruption.

mod common;

use retail_pipeline::generate::{generate_hour, World};
use retail_pipeline::model::{HourRange, PartitionHour, Scale, ScaleName, Table};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"));
    cmd.env("RP_LOG_FORMAT", "text").env("RUST_LOG", "warn");
    for var in [
        "RP_DATA_DIR",
        "RP_SEED",
        "RP_SCALE",
        "RP_LAKE_FORMAT",
        "RP_PRODUCTS",
        "RP_STORES",
        "RP_OVERSELL_RATE",
        "RP_JOBS",
        "RP_NOW",
        "RP_WINDOW_DAYS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(data: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `--scale small [global] generate --date 2026-11-20 --hour HOUR [extra]`: one small hour.
fn small_hour<'a>(global: &[&'a str], hour: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let generate = ["generate", "--date", "2026-11-20", "--hour", hour];
    [&["--scale", "small"], global, &generate, extra].concat()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` with its bytes, by relative path; `dir` must exist.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    assert!(dir.is_dir(), "{} is a directory", dir.display());
    tree_if_exists(dir)
}

/// As `tree`, but empty where `dir` does not exist. A write cut short by a kill (`.tmp*`) is
/// left out: the store never shows these.
fn tree_if_exists(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = common::tree(dir);
    files.retain(|path, _| !common::is_temp_file(path));
    files
}

/// Hours whose five manifests exist, each checked against its data file.
fn complete_hours(lake: &Path) -> Vec<PartitionHour> {
    let mut per_hour: BTreeMap<PartitionHour, usize> = BTreeMap::new();
    for m in common::checked_manifests(lake) {
        let hour = PartitionHour::new(m.date.parse().expect("date"), m.hour).expect("hour");
        *per_hour.entry(hour).or_default() += 1;
    }
    per_hour
        .into_iter()
        .filter(|(_, n)| *n == Table::ALL.len())
        .map(|(h, _)| h)
        .collect()
}

#[test]
fn generate_one_hour_writes_every_table_with_its_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(dir.path(), &small_hour(&[], "5", &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("wrote 1 hours"), "{}", stdout(&o));
    let lake = dir.path().join("lake");
    for table in Table::ALL {
        let csv = lake.join(format!("{table}/date=2026-11-20/hour=05/part-00000.csv"));
        let head = std::fs::read_to_string(&csv).expect("data file");
        assert!(
            head.starts_with(&table.columns().join(",")),
            "{table} has its header"
        );
    }
    assert_eq!(
        complete_hours(&lake),
        vec!["2026-11-20T05".parse().expect("hour")]
    );

    // The files are exactly what the library generates.
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    for f in generate_hour(&world, "2026-11-20T05".parse().expect("hour")) {
        let on_disk = std::fs::read(lake.join(format!(
            "{}/date=2026-11-20/hour=05/part-00000.csv",
            f.table
        )))
        .expect("read");
        assert_eq!(on_disk, f.bytes, "{} bytes", f.table);
    }

    // Again: nothing to do, nothing touched.
    let before = tree(&lake);
    let o = run(dir.path(), &small_hour(&[], "5", &[]));
    assert!(o.status.success());
    assert!(stdout(&o).contains("nothing to do"), "{}", stdout(&o));
    assert_eq!(tree(&lake), before);
}

#[test]
fn the_rolling_window_fills_only_missing_hours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "--scale",
        "small",
        "generate",
        "--window-days",
        "1",
        "--now",
        "2026-11-20T05",
    ];
    let o = run(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let lake = dir.path().join("lake");
    let want: Vec<PartitionHour> = HourRange::new(
        "2026-11-19T05".parse().expect("h"),
        "2026-11-20T04".parse().expect("h"),
    )
    .expect("range")
    .hours()
    .collect();
    assert_eq!(
        complete_hours(&lake),
        want,
        "the window is the 24 hours before the current one"
    );

    // Lose one partition's seal and one data file: exactly that hour is redone, byte for byte.
    let before = tree(&lake);
    std::fs::remove_file(lake.join("_manifests/sales_data/date=2026-11-19/hour=12.json"))
        .expect("rm");
    std::fs::remove_file(lake.join("sales_data/date=2026-11-19/hour=12/part-00000.csv"))
        .expect("rm");
    let o = run(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("wrote 1 hours"), "{}", stdout(&o));
    assert_eq!(tree(&lake), before);
}

#[test]
fn backfill_output_does_not_depend_on_parallelism() {
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let range = [
        "backfill",
        "--from",
        "2026-02-27T20",
        "--to",
        "2026-03-01T03",
    ];
    let o1 = run(
        a.path(),
        &[&["--scale", "small"][..], &range, &["--jobs", "1"]].concat(),
    );
    let o2 = run(
        b.path(),
        &[&["--scale", "small"][..], &range, &["--jobs", "3"]].concat(),
    );
    assert!(
        o1.status.success() && o2.status.success(),
        "{}{}",
        stderr(&o1),
        stderr(&o2)
    );
    let (t1, t2) = (tree(a.path()), tree(b.path()));
    assert_eq!(complete_hours(&a.path().join("lake")).len(), 32);
    assert_eq!(t1.len(), t2.len());
    assert!(t1 == t2, "the same lake, whatever the number of workers");
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["generate", "--date", "2026-13-01"],
            "invalid date '2026-13-01'",
        ),
        (
            &["generate", "--date", "2026-11-20", "--hour", "24"],
            "invalid hour '24'",
        ),
        (&["generate", "--hour", "5"], "--date"),
        (
            &["generate", "--date", "1999-12-31"],
            "outside the supported range",
        ),
        (
            &[
                "backfill",
                "--from",
                "2026-11-20T05",
                "--to",
                "2026-11-20T04",
            ],
            "range is reversed",
        ),
        (
            &["backfill", "--from", "2026-11-20", "--to", "2026-11-21T00"],
            "expected YYYY-MM-DDTHH",
        ),
        (
            &[
                "backfill",
                "--from",
                "2000-01-01T00",
                "--to",
                "2099-12-31T23",
            ],
            "at most",
        ),
        (&["--scale", "huge", "generate"], "unknown scale 'huge'"),
        (
            &["--products", "0", "generate"],
            "--products must be from 1",
        ),
        (
            &["--oversell-rate", "2", "generate"],
            "--oversell-rate must be from 0 to 1",
        ),
        (&["--seed", "abc", "generate"], "--seed"),
        (&["generate", "--window-days", "0"], "--window-days"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let o = run(&data, args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?} prints one line: {err}"
        );
        assert!(
            err.starts_with("error:") && err.contains(expected),
            "{args:?}: {err}"
        );
        assert!(!data.exists(), "{args:?} wrote nothing");
    }
}

#[test]
fn an_unwritable_data_dir_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").expect("write");
    let o = run(
        &file.join("data"),
        &["--scale", "small", "generate", "--date", "2026-11-20"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("cannot write to data dir") && err.contains("not-a-dir"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn a_lake_is_never_mixed_with_another_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(dir.path(), &small_hour(&[], "1", &[]));
    assert!(o.status.success());
    let before = tree(dir.path());
    let o = run(dir.path(), &small_hour(&["--seed", "7"], "2", &[]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("seed 42") && stderr(&o).contains("seed 7"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tree(dir.path()), before, "nothing written");
}

/// 480 hours of ten stores: long enough to interrupt.
const LONG_BACKFILL: [&str; 7] = [
    "--stores",
    "10",
    "backfill",
    "--from",
    "2026-10-01T00",
    "--to",
    "2026-10-20T23",
];

/// Starts a long backfill, waits for its first complete hour, then sends `signal`.
fn interrupted_backfill(data: &Path, signal: &str) -> (Option<i32>, String) {
    let child = bin()
        .arg("--data-dir")
        .arg(data)
        .args(LONG_BACKFILL)
        .args(["--jobs", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The alerts table is sealed last: its first manifest means a first complete hour.
    let sealed = data.join("lake/_manifests/negative_inventory_alerts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while tree_if_exists(&sealed).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    (out.status.code(), stderr(&out))
}

/// Reruns the backfill; `complete` hours were sealed before the interruption.
fn resume_and_check(data: &Path, complete: usize) {
    let o = run(data, &LONG_BACKFILL);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("wrote {} hours", 480 - complete)),
        "the rerun writes only what is missing: {}",
        stdout(&o)
    );
    let lake = data.join("lake");
    assert_eq!(complete_hours(&lake).len(), 20 * 24);
    // Spot-check that resumed hours hold exactly the generator's bytes.
    let scale = Scale {
        stores: 10,
        ..Scale::preset(ScaleName::Default)
    };
    let world = World::new(42, &scale);
    for h in ["2026-10-01T00", "2026-10-07T13", "2026-10-20T23"] {
        let hour: PartitionHour = h.parse().expect("hour");
        for f in generate_hour(&world, hour) {
            let path = lake.join(format!(
                "{}/date={}/hour={:02}/part-00000.csv",
                f.table,
                hour.date_string(),
                hour.hour()
            ));
            assert!(
                std::fs::read(&path).expect("read") == f.bytes,
                "{} matches",
                path.display()
            );
        }
    }
}

#[test]
fn ctrl_c_stops_cleanly_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, err) = interrupted_backfill(dir.path(), "-INT");
    assert_eq!(code, Some(130), "interrupted exit code: {err}");
    assert!(err.contains("interrupted"), "{err}");
    // A graceful stop writes every generated hour whole: no data file without its manifest.
    let lake = dir.path().join("lake");
    let complete = complete_hours(&lake).len();
    assert!(complete > 0 && complete < 480, "{complete} hours complete");
    let data_files = tree(&lake).keys().filter(|k| k.ends_with(".csv")).count();
    assert_eq!(
        data_files,
        complete * Table::ALL.len(),
        "no half-written hour"
    );
    resume_and_check(dir.path(), complete);
}

#[test]
fn kill_9_loses_nothing_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _) = interrupted_backfill(dir.path(), "-KILL");
    assert_eq!(code, None, "killed by a signal");
    // Whatever is sealed verifies (complete_hours checks every manifest against its data).
    let complete = complete_hours(&dir.path().join("lake")).len();
    assert!(complete < 480, "{complete} hours complete");
    resume_and_check(dir.path(), complete);
}

#[test]
fn scenario_list_run_and_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(dir.path(), &["scenario", "list"]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("quick_sample") && stdout(&o).contains("12 events"),
        "{}",
        stdout(&o)
    );
    let o = run(dir.path(), &["--scale", "small", "scenario", "run", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("valid scenarios: quick_sample"),
        "{}",
        stderr(&o)
    );

    // quick_sample sends at 0 s, 5 s, 10 s...: stop it once two events are archived.
    let child = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--scale",
            "small",
            "scenario",
            "run",
            "quick_sample",
            "--run-seed",
            "7",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let archived_lines = || -> usize {
        tree_if_exists(&dir.path().join("lake/events"))
            .values()
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    while archived_lines() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("quick_sample cancelled: 2 of 12 events"),
        "{said}"
    );
    assert!(said.contains("replay with --run-seed 7"), "{said}");
    assert_eq!(archived_lines(), 2, "exactly the events sent are archived");
}

#[test]
fn a_parquet_lake_is_rewritten_byte_for_byte_and_refuses_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(
        dir.path(),
        &small_hour(&["--lake-format", "parquet"], "5", &[]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lake = dir.path().join("lake");
    let first = tree(&lake);
    let parquet: Vec<&String> = first.keys().filter(|k| k.ends_with(".parquet")).collect();
    assert_eq!(parquet.len(), Table::ALL.len(), "{parquet:?}");
    assert!(!first.keys().any(|k| k.ends_with(".csv")));
    for file in &parquet {
        assert!(first[*file].starts_with(b"PAR1"), "{file}");
    }
    // Forced again, from the environment this time: the same bytes, manifests included.
    let o = bin()
        .env("RP_LAKE_FORMAT", "parquet")
        .arg("--data-dir")
        .arg(dir.path())
        .args(small_hour(&[], "5", &["--force"]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(tree(&lake), first);
    // The default format against this lake is refused, naming both, and writes nothing.
    let o = run(dir.path(), &small_hour(&[], "6", &[]));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("holds parquet files") && err.contains("this run writes csv"),
        "{err}"
    );
    assert_eq!(tree(&lake), first);
}
