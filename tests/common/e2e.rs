//! The service in `--backend gcp` mode on the three emulators, driven through the real binary,
//! and the direct REST calls that check what it wrote (not through our own backends, so a bug
//! shared by writer and reader cannot hide).

use retail_pipeline::gcp::GcpHttp;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Emulators {
    pub gcs: String,
    pub bq: String,
    pub pubsub: String,
}

pub fn emulators() -> Option<Emulators> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("RP_TEST_GCS_ENDPOINT"),
        var("RP_TEST_BQ_ENDPOINT"),
        var("PUBSUB_EMULATOR_HOST"),
    ) {
        (Some(gcs), Some(bq), Some(pubsub)) => Some(Emulators {
            gcs,
            bq,
            pubsub: format!("http://{pubsub}"),
        }),
        _ => {
            super::skip_or_fail("RP_TEST_GCS_ENDPOINT, RP_TEST_BQ_ENDPOINT and PUBSUB_EMULATOR_HOST must all be set (scripts/emulators.sh starts the emulators)");
            None
        }
    }
}

/// Names unique to this run: the emulators are shared by every test.
pub struct Names {
    pub project: String,
    pub bucket: String,
    pub dataset: String,
    pub alerts: String,
    pub events: String,
}

pub fn names() -> Names {
    // The counter keeps two tests of one process apart: the clock alone did not, when both
    // asked within the same microsecond (one test's refresh then read the other's bucket).
    // The clock keeps runs apart on an emulator that outlives its process.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let tag = format!(
        "{}x{}x{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros())
            .unwrap_or(0)
    );
    Names {
        project: format!("e2e-{tag}").chars().take(30).collect(),
        bucket: format!("rp-e2e-{tag}"),
        dataset: format!("rp_e2e_{tag}"),
        alerts: format!("alerts-{tag}"),
        events: format!("events-{tag}"),
    }
}

/// The binary on the emulators (`--backend gcp`, this run's names), before its subcommand.
pub fn gcp_command(data: &std::path::Path, e: &Emulators, n: &Names) -> Command {
    let mut cmd = super::binary(data);
    cmd.args(["--scale", "small", "--backend", "gcp"])
        .args(["--gcp-project", &n.project, "--gcs-bucket", &n.bucket])
        .args(["--bq-dataset", &n.dataset])
        .args(["--alerts-topic", &n.alerts, "--events-topic", &n.events])
        .env("STORAGE_EMULATOR_HOST", &e.gcs)
        .env("BIGQUERY_EMULATOR_HOST", &e.bq)
        .env(
            "PUBSUB_EMULATOR_HOST",
            e.pubsub.trim_start_matches("http://"),
        )
        // Nothing may reach for real credentials.
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env("HOME", data);
    cmd
}

/// `serve` on the emulators: the child, its address, and what kills it if the test panics.
pub fn start(
    data: &std::path::Path,
    e: &Emulators,
    n: &Names,
) -> (Child, String, super::KillOnDrop) {
    let (child, addr) = super::spawn_serve(
        gcp_command(data, e, n)
            .args(super::SERVE_ON_LOOPBACK)
            .stderr(Stdio::inherit()),
    );
    let reaper = super::KillOnDrop(child.id());
    (child, addr, reaper)
}

/// SIGTERM, then the exit status must be a success: the service stops gracefully.
pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "serve exited with {exit}");
}

/// An anonymous client for the direct REST checks on the emulators.
pub fn check_client() -> GcpHttp {
    GcpHttp::new(
        retail_pipeline::gcp::Credentials::Anonymous,
        Duration::from_secs(30),
    )
    .expect("client")
}

/// The lake in this run's bucket, read straight from the emulator (not through the service).
pub fn bucket_lake(e: &Emulators, n: &Names) -> retail_pipeline::lake::Lake {
    retail_pipeline::lake::Lake::new(std::sync::Arc::new(retail_pipeline::lake::GcsStore::new(
        check_client(),
        Some(e.gcs.clone()),
        n.bucket.clone(),
        None,
    )))
}

/// A subscription `sub` of our own on this run's alerts topic, straight at the emulator.
pub async fn subscribe_to_alerts(client: &GcpHttp, e: &Emulators, n: &Names, sub: &str) {
    call(
        client,
        "PUT",
        format!("{}/v1/projects/{}/subscriptions/{sub}", e.pubsub, n.project),
        Some(json!({"topic": format!("projects/{}/topics/{}", n.project, n.alerts)})),
    )
    .await;
}

pub fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let (status, body) = super::http(addr, method, path, body, Duration::from_secs(30));
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

pub fn finished_job(addr: &str, accepted: &Value) -> Value {
    let id = accepted["job_id"].as_str().expect("job id");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (status, job) = http(addr, "GET", &format!("/jobs/{id}"), "");
        assert_eq!(status, 200, "{job}");
        if job["state"] != "running" {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} still running: {job}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Direct REST calls to an emulator, anonymous.
pub async fn call(client: &GcpHttp, method: &str, url: String, body: Option<Value>) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let response = client
        .send("emulator check", |c| {
            let r = c.request(method.clone(), &url);
            match &body {
                Some(b) => r
                    .header("content-type", "application/json")
                    .body(b.to_string()),
                None => r,
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

pub async fn count_rows(client: &GcpHttp, e: &Emulators, n: &Names, table: &str) -> u64 {
    let url = format!("{}/bigquery/v2/projects/{}/queries", e.bq, n.project);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM `{}.{}.{table}`",
        n.project, n.dataset
    );
    let answer = call(
        client,
        "POST",
        url,
        Some(json!({"query": sql, "useLegacySql": false})),
    )
    .await;
    answer["rows"][0]["f"][0]["v"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no count in {answer}"))
}
