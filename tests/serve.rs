//! The real `serve` binary on a random loopback port: start-up, a job, and SIGTERM mid-job.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(data: &Path, extra: &[&str]) -> (Child, String) {
    common::spawn_serve(
        common::binary(data)
            .args(common::SERVE_ON_LOOPBACK)
            .args(extra)
            .stderr(Stdio::piped()),
    )
}

/// One HTTP/1.1 request; returns the status and the body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    common::http(addr, method, path, body, Duration::from_secs(10))
}

/// Starts a custom scenario (`body` is its JSON) and answers the accepted job.
fn start_custom_scenario(addr: &str, body: &str) -> String {
    let (status, accepted) = http(addr, "POST", "/scenarios/custom/start", body);
    assert_eq!(status, 202, "{accepted}");
    accepted
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

/// SIGTERM, as Cloud Run stops an instance: the child must exit 0 within its 10 s.
fn stop_as_cloud_run_does(child: &mut Child) {
    let stopped_at = Instant::now();
    sigterm(child);
    let status = child.wait().expect("wait");
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(10),
        "stopped within Cloud Run's 10 s"
    );
}

#[test]
fn sigterm_mid_job_stops_cleanly_leaving_only_whole_hours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = start(dir.path(), &["--schedule", "false"]);
    let _reaper = common::KillOnDrop(child.id());
    assert_eq!(http(&addr, "GET", "/healthz", "").0, 200);
    let (status, body) = http(
        &addr,
        "POST",
        "/generate",
        r#"{"from":"2026-01-01T00","to":"2026-02-28T23"}"#,
    );
    assert_eq!(status, 202, "{body}");
    // Let it write some hours, then stop the service as Cloud Run would.
    let manifests = dir.path().join("lake/_manifests/negative_inventory_alerts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !manifests.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop_as_cloud_run_does(&mut child);

    // Every data file written belongs to an hour whose manifests are all there.
    let mut data_hours = std::collections::BTreeSet::new();
    let mut manifest_count = std::collections::BTreeMap::<String, usize>::new();
    let mut stack = vec![dir.path().join("lake")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            let s = p.to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if s.ends_with("part-00000.csv") {
                let parts: Vec<&str> = s.rsplit('/').collect();
                data_hours.insert(format!("{}/{}", parts[2], parts[1]));
            } else if s.contains("_manifests") && s.ends_with(".json") {
                let parts: Vec<&str> = s.rsplit('/').collect();
                *manifest_count
                    .entry(format!(
                        "{}/{}",
                        parts[1],
                        parts[0].trim_end_matches(".json")
                    ))
                    .or_default() += 1;
            }
        }
    }
    assert!(
        !data_hours.is_empty(),
        "some hours were written before the stop"
    );
    assert!(data_hours.len() < 59 * 24, "the job was stopped early");
    for hour in &data_hours {
        assert_eq!(manifest_count.get(hour), Some(&5), "{hour} is whole");
    }
}

#[test]
fn bad_serve_flags_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = common::binary(dir.path())
        .args(["serve", "--port", "99999"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--port") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn the_schedule_fills_the_window_once_per_hour_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jobs = |addr: &str| -> Vec<String> {
        let (_, body) = http(addr, "GET", "/status", "");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        v["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .filter(|j| j["kind"] == "generate")
            .map(|j| j["name"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let (child, addr) = start(dir.path(), &[]);
    let _reaper = common::KillOnDrop(child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut names = jobs(&addr);
    while names.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        names = jobs(&addr);
    }
    assert_eq!(names.len(), 1, "one scheduled generate at start: {names:?}");
    let ledger: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("schedule.json")).expect("ledger"))
            .expect("json");
    let hour = ledger["generate"].as_str().expect("hour").to_owned();
    assert!(
        names[0].ends_with(&format!("..{}", ledger_previous(&hour))),
        "{names:?} ends at the hour before {hour}"
    );
    sigterm(&child);
    let mut child = child;
    assert!(child.wait().expect("wait").success());

    // A restart within the same hour does not schedule it again.
    let (child, addr) = start(dir.path(), &[]);
    let _reaper = common::KillOnDrop(child.id());
    std::thread::sleep(Duration::from_millis(300));
    let after = jobs(&addr);
    sigterm(&child);
    let mut child = child;
    child.wait().expect("wait");
    let now_hour = chrono::Utc::now().format("%Y-%m-%dT%H").to_string();
    if now_hour == hour {
        assert!(
            after.is_empty(),
            "no second run in the same hour: {after:?}"
        );
    }
}

/// The hour before `YYYY-MM-DDTHH`.
fn ledger_previous(hour: &str) -> String {
    let h: retail_pipeline::model::PartitionHour = hour.parse().expect("hour");
    h.offset(-1).expect("previous").to_string()
}

/// Cloud Run stops the service while a scenario streams: the process exits cleanly within its
/// 10 s, the scenario's end is logged with the count it sent, and every event it sent is
/// delivered before exit (the raw archive, the stream tables and the warehouse each hold
/// exactly that many): the bus is flushed, nothing sent is dropped.
#[cfg(feature = "duckdb")]
#[test]
fn sigterm_mid_scenario_flushes_the_bus_and_logs_the_final_count() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let (mut child, addr) = common::spawn_serve(
        common::binary(dir.path())
            .args(["--scale", "small", "--log-format", "json"])
            .args(common::SERVE_ON_LOOPBACK)
            .args(["--schedule", "false"])
            .env("RUST_LOG", "info")
            .stderr(Stdio::from(log)),
    );
    let _reaper = common::KillOnDrop(child.id());
    start_custom_scenario(
        &addr,
        r#"{"events_per_minute":60000,"duration_seconds":120}"#,
    );
    // Let a good number of events go out, then stop the service mid-stream.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, s) = http(&addr, "GET", "/status", "");
        let v: serde_json::Value = serde_json::from_str(&s).expect("status");
        if v["stream"]["received"].as_u64().unwrap_or(0) >= 500 {
            break;
        }
        assert!(Instant::now() < deadline, "no events: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
    stop_as_cloud_run_does(&mut child);

    // The log's last word on the scenario: cancelled, with how many it sent.
    let lines: Vec<serde_json::Value> =
        std::io::BufReader::new(std::fs::File::open(&log_path).expect("log"))
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
    let ended = lines
        .iter()
        .find(|l| l["message"] == "scenario ended")
        .unwrap_or_else(|| panic!("no 'scenario ended' line in {lines:?}"));
    assert_eq!(ended["state"], "Cancelled", "{ended}");
    let sent = ended["sent"].as_u64().expect("sent count");
    assert!((500..120_000).contains(&sent), "stopped mid-way: {sent}");
    assert!(
        !lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not drain"))),
        "the bus drained"
    );

    // Everything sent was delivered before the process exited.
    assert_eq!(
        common::jsonl_lines(&dir.path().join("lake/events")) as u64,
        sent,
        "raw archive"
    );
    let streamed: u64 = ["order_events", "inventory_events", "user_activity_events"]
        .iter()
        .map(|t| common::jsonl_lines(&dir.path().join("stream").join(t)) as u64)
        .sum();
    assert_eq!(streamed, sent, "stream tables");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let in_warehouse: u64 = rt.block_on(async {
        use retail_pipeline::warehouse::Warehouse;
        let w = retail_pipeline::warehouse::duckdb::DuckDbWarehouse::open(
            dir.path().join("warehouse.duckdb"),
            dir.path().join("lake"),
        )
        .await
        .expect("open the warehouse after exit");
        w.stream_rows()
            .await
            .expect("stream rows")
            .iter()
            .filter(|(t, _)| t.ends_with("_events") && !t.starts_with("dead_letter"))
            .map(|(_, n)| n)
            .sum()
    });
    assert_eq!(in_warehouse, sent, "the warehouse's event tables");
}

/// Scenario ids across restarts: three processes in turn on one data dir each stream a
/// scenario as their job `scn-1` (the first is stopped mid-stream, the others finish). Every
/// event id in the raw archive is distinct, and the warehouse's event tables, keyed by event id
/// (a repeated id would silently replace a row), hold every event archived.
#[cfg(feature = "duckdb")]
#[test]
fn scenario_event_ids_stay_distinct_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let job = |addr: &str| -> serde_json::Value {
        let (status, body) = http(addr, "GET", "/jobs/scn-1", "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("job")
    };
    for run in 0..3 {
        let (mut child, addr) = start(
            dir.path(),
            &[
                "--schedule",
                "false",
                "--scale",
                "small",
                "--log-format",
                "json",
            ],
        );
        let _reaper = common::KillOnDrop(child.id());
        let body =
            start_custom_scenario(&addr, r#"{"events_per_minute":6000,"duration_seconds":2}"#);
        assert!(body.contains(r#""job_id":"scn-1""#), "{body}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let j = job(&addr);
            // The first run is stopped while it streams, the others once they are done.
            let done = if run == 0 {
                j["done"].as_u64().unwrap_or(0) >= 50
            } else {
                j["state"] == "completed"
            };
            if done {
                break;
            }
            assert!(Instant::now() < deadline, "run {run}: {j}");
            std::thread::sleep(Duration::from_millis(20));
        }
        sigterm(&child);
        assert!(child.wait().expect("wait").success(), "run {run} exits 0");
    }

    let events = common::jsonl_values(&dir.path().join("lake/events"));
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().expect("event_id"))
        .collect();
    assert!(events.len() >= 450, "{} events archived", events.len());
    assert_eq!(
        ids.len(),
        events.len(),
        "an event id repeats in the archive"
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (rows, distinct) = rt.block_on(async {
        let w = retail_pipeline::warehouse::duckdb::DuckDbWarehouse::open(
            dir.path().join("warehouse.duckdb"),
            dir.path().join("lake"),
        )
        .await
        .expect("open the warehouse after exit");
        let all = "SELECT event_id FROM order_events UNION ALL \
                   SELECT event_id FROM inventory_events UNION ALL \
                   SELECT event_id FROM user_activity_events";
        (
            w.query_i64(&format!("SELECT count(*) FROM ({all})"))
                .await
                .expect("rows"),
            w.query_i64(&format!("SELECT count(DISTINCT event_id) FROM ({all})"))
                .await
                .expect("distinct ids"),
        )
    });
    assert_eq!(
        (rows, distinct),
        (events.len() as i64, events.len() as i64),
        "the warehouse holds every archived event once"
    );
}

/// Slow clients: connections that stop half-way through their request line or headers, or
/// kept alive without a next request, are closed once the header-read timeout (set small here)
/// has passed, while the service goes on answering; and SIGTERM still stops it promptly.
#[test]
fn stalled_clients_are_disconnected_after_the_header_read_timeout() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = start(
        dir.path(),
        &["--schedule", "false", "--header-read-timeout-secs", "2"],
    );
    let _reaper = common::KillOnDrop(child.id());
    let partial = [
        "GET /status HTTP/1.1\r\nHost: x\r\nUser-Ag".to_owned(),
        "GET /stat".to_owned(),
        String::new(),
    ];
    let opened = Instant::now();
    let mut stalled: Vec<std::net::TcpStream> = (0..50)
        .map(|i| {
            let mut s = std::net::TcpStream::connect(&addr).expect("connect");
            s.write_all(partial[i % partial.len()].as_bytes())
                .expect("write");
            s
        })
        .collect();
    // A kept-alive connection that goes quiet after one whole request.
    let mut idle = std::net::TcpStream::connect(&addr).expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).expect("a response");
    assert_eq!(&first, b"HTTP/1.1 200");
    stalled.push(idle);

    // The service keeps answering meanwhile.
    assert_eq!(http(&addr, "GET", "/healthz", "").0, 200);
    for (i, s) in stalled.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut rest = Vec::new();
        // EOF (or a reset) is the server closing; a read timeout would be it holding on.
        match s.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert!(
                e.kind() == std::io::ErrorKind::ConnectionReset,
                "connection {i} still open after {:?}: {e}",
                opened.elapsed()
            ),
        }
    }
    let waited = opened.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(6),
        "closed after {waited:?}, for a 2 s timeout"
    );
    let stopped_at = Instant::now();
    sigterm(&child);
    assert!(
        child.wait().expect("wait").success(),
        "a graceful stop exits 0"
    );
    assert!(stopped_at.elapsed() < Duration::from_secs(10));
}
