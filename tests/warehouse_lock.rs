//! A warehouse file held by another process gives a clear, typed error naming the file, in
//! the library and on the command line.
#![cfg(feature = "duckdb")]

use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::WarehouseError;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const HOLD_ENV: &str = "RP_TEST_HOLD_WAREHOUSE";
const READY: &str = "WAREHOUSE-HELD";

/// Not a test of its own: the child process of `another_process_holding_the_file...`. It
/// opens the warehouse named in `RP_TEST_HOLD_WAREHOUSE`, says so, and holds it until its
/// stdin closes.
#[test]
#[ignore = "helper process for the lock tests"]
fn hold_warehouse_lock() {
    let Some(path) = std::env::var_os(HOLD_ENV).map(PathBuf::from) else {
        return;
    };
    let lake = path.with_file_name("lake");
    let _held = DuckDbWarehouse::open_blocking(&path, &lake).expect("helper opens the warehouse");
    println!("{READY}");
    std::io::stdout().flush().expect("flush");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

/// Starts the helper and waits until it holds the file.
fn hold(path: &Path) -> Child {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["hold_warehouse_lock", "--exact", "--ignored", "--nocapture"])
        .env(HOLD_ENV, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn helper");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.expect("helper output").contains(READY) {
            // Keep draining: the helper's test harness still prints when it ends.
            std::thread::spawn(move || lines.for_each(drop));
            return child;
        }
    }
    let _ = child.wait();
    panic!("the helper exited before holding the warehouse");
}

fn release(mut child: Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_holding_the_file_gives_a_locked_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("warehouse.duckdb");
    let child = hold(&path);

    let err = DuckDbWarehouse::open(path.clone(), dir.path().join("lake"))
        .await
        .expect_err("the file is held by the helper");
    let message = err.to_string();
    let held_by_helper = matches!(&err, WarehouseError::Locked { path: p, .. } if *p == path);
    assert!(held_by_helper, "want Locked naming the file, got {err:?}");
    assert!(message.contains(&path.display().to_string()), "{message}");

    // The command line says it in one line and exits 2 (the user's to resolve).
    std::fs::create_dir_all(dir.path().join("lake")).expect("lake dir");
    let out = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .args(["--data-dir"])
        .arg(dir.path())
        .arg("refresh")
        .env("RUST_LOG", "error")
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("is locked by another process"), "{stderr}");
    assert!(stderr.contains("warehouse.duckdb"), "{stderr}");

    release(child);
    // Once released, the file opens normally.
    DuckDbWarehouse::open(path, dir.path().join("lake"))
        .await
        .expect("open after the helper exits");
}
