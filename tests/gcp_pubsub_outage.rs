//! Pub/Sub goes away in the middle of the hourly work and comes back, through the real binary
//! in `--backend gcp` mode on the emulators: first its replies are lost (every publish reaches
//! the emulator, the service is never told, and retries it), then it is stopped outright, then
//! it is back. Every alert of the lake reaches the topic, none is lost, the repeats carry the
//! same `alert_id` and payload, and a consumer that drops repeats by `alert_id` sees exactly the
//! lake's alerts.
//!
//! The outage is a proxy in front of the shared emulator (tests/common/proxy.rs): stopping the
//! emulator itself would also discard the subscription this test reads from, and with it the
//! evidence. Skips, loudly, unless `scripts/emulators.sh` has started the emulators.
#![cfg(feature = "gcp")]

mod common;

use common::e2e::{
    call, check_client, emulators, finished_job, http, names, start, stop, subscribe_to_alerts,
    Emulators, Names,
};
use retail_pipeline::gcp::GcpHttp;
use retail_pipeline::generate::{hour_alerts, World};
use retail_pipeline::model::{PartitionHour, Scale, ScaleName, Table};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Pulls and acknowledges until the subscription has been empty for a while.
async fn pull_all(client: &GcpHttp, e: &Emulators, n: &Names, sub: &str) -> Vec<Value> {
    let base = format!("{}/v1/projects/{}/subscriptions/{sub}", e.pubsub, n.project);
    let mut all = Vec::new();
    let mut empty_since = Instant::now();
    while empty_since.elapsed() < Duration::from_secs(3) {
        let pulled = call(
            client,
            "POST",
            format!("{base}:pull"),
            Some(json!({"maxMessages": 1000, "returnImmediately": true})),
        )
        .await;
        let received = pulled["receivedMessages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if received.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        empty_since = Instant::now();
        let acks: Vec<Value> = received.iter().map(|m| m["ackId"].clone()).collect();
        call(
            client,
            "POST",
            format!("{base}:acknowledge"),
            Some(json!({ "ackIds": acks })),
        )
        .await;
        all.extend(received.into_iter().map(|m| m["message"].clone()));
    }
    all
}

/// The alert ids the lake holds for `hours`, read from the bucket and checked against their
/// manifests.
async fn lake_alert_ids(e: &Emulators, n: &Names, hours: &[PartitionHour]) -> BTreeSet<String> {
    let lake = common::e2e::bucket_lake(e, n);
    let mut ids = BTreeSet::new();
    for &hour in hours {
        let (_, files) = lake
            .read_verified(Table::NegativeInventoryAlerts, hour)
            .await
            .unwrap_or_else(|e| panic!("{hour} in the lake: {e}"));
        for file in files {
            let text = String::from_utf8(file.to_vec()).expect("utf-8");
            for line in text.lines().skip(1) {
                ids.insert(line.split(',').next().expect("alert_id").to_string());
            }
        }
    }
    ids
}

fn generate(addr: &str, body: &str) -> Value {
    let (status, accepted) = http(addr, "POST", "/generate", body);
    assert_eq!(status, 202, "{accepted}");
    let job = finished_job(addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    job["result"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_survive_lost_replies_and_a_stopped_pubsub_without_loss() {
    let Some(e) = emulators() else { return };
    let n = names();
    let proxy =
        common::proxy::Proxy::start(e.pubsub.trim_start_matches("http://").to_string()).await;
    let through = Emulators {
        gcs: e.gcs.clone(),
        bq: e.bq.clone(),
        pubsub: format!("http://{}", proxy.addr),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, addr, _reaper) = start(dir.path(), &through, &n);
    let client = check_client();
    let sub = format!("{}-outage-check", n.alerts);
    subscribe_to_alerts(&client, &e, &n, &sub).await;

    // The service runs the small scale with seed 42; these evening hours oversell.
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let hours: Vec<PartitionHour> = ["2026-03-06T18", "2026-03-06T19", "2026-03-06T20"]
        .iter()
        .map(|h| h.parse().expect("hour"))
        .collect();
    let owing = |hs: &[PartitionHour]| {
        hs.iter()
            .filter(|&&h| !hour_alerts(&world, h).is_empty())
            .count()
    };
    assert_eq!(owing(&hours), 3, "every hour of the test has alerts");

    // 1. Replies lost: the emulator takes every publish, the service hears nothing back. The
    // hours are written; their alerts stay owed.
    proxy.lose_replies(true);
    let first = generate(&addr, r#"{"from": "2026-03-06T18", "to": "2026-03-06T19"}"#);
    assert_eq!(first["hours_written"], 2, "{first}");
    assert_eq!(first["alerts_published"], 0, "{first}");
    assert_eq!(first["hours_still_owing_alerts"], 2, "{first}");

    // 2. Stopped: nothing reaches the emulator at all.
    proxy.lose_replies(false);
    proxy.cut();
    let second = generate(&addr, r#"{"from": "2026-03-06T20", "to": "2026-03-06T20"}"#);
    assert_eq!(second["hours_written"], 1, "{second}");
    assert_eq!(second["hours_still_owing_alerts"], 3, "{second}");

    // 3. Back: the next run writes nothing new and publishes everything owed.
    proxy.reopen();
    let third = generate(&addr, r#"{"from": "2026-03-06T18", "to": "2026-03-06T20"}"#);
    assert_eq!(third["hours_written"], 0, "{third}");
    assert_eq!(third["hours_already_complete"], 3, "{third}");
    assert_eq!(third["hours_still_owing_alerts"], 0, "{third}");

    let in_lake = lake_alert_ids(&e, &n, &hours).await;
    assert!(!in_lake.is_empty(), "the evening hours have alerts");
    assert_eq!(
        third["alerts_republished"].as_u64(),
        Some(in_lake.len() as u64),
        "{third}"
    );

    // What a consumer sees: repeats, but each alert at least once, and all copies alike.
    let messages = pull_all(&client, &e, &n, &sub).await;
    let mut by_id: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &messages {
        let id = m["attributes"]["alert_id"]
            .as_str()
            .unwrap_or_else(|| panic!("alert without alert_id: {m}"));
        let data = m["data"].as_str().expect("data").to_string();
        by_id.entry(id.to_string()).or_default().insert(data);
    }
    let deduplicated: BTreeSet<String> = by_id.keys().cloned().collect();
    assert_eq!(
        deduplicated, in_lake,
        "exactly the lake's alerts, none lost"
    );
    assert!(
        messages.len() > in_lake.len(),
        "lost replies made the service publish again: {} messages for {} alerts",
        messages.len(),
        in_lake.len()
    );
    for (id, payloads) in &by_id {
        assert_eq!(payloads.len(), 1, "every copy of {id} is the same message");
    }
    eprintln!(
        "{} alert messages for {} alerts; duplicates dropped by alert_id",
        messages.len(),
        in_lake.len()
    );

    stop(child);
}
