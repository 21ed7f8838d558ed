//! The whole hour in `--backend gcp` mode, on the three emulators, through the real binary:
//! `POST /generate` writes the hours to the bucket and publishes their alerts to Pub/Sub,
//! `POST /bq/refresh` merges them into BigQuery, a second refresh changes nothing, and a
//! scenario's events reach BigQuery's stream tables through Pub/Sub exactly once. And
//! storage lost in the middle of a job: a clear failure, only whole hours, a rerun that ends
//! the work.
//!
//! What the service wrote is checked straight against the emulators' REST APIs (not through
//! our own backends), so a bug shared by writer and reader cannot hide. Skips, loudly, unless
//! `scripts/emulators.sh` has started all three (scripts/test.sh does).
#![cfg(feature = "gcp")]

mod common;

use common::e2e::{
    call, check_client, count_rows, emulators, finished_job, gcp_command, http, names, start, stop,
    subscribe_to_alerts, Emulators,
};

use retail_pipeline::gcp::GcpHttp;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_hour_lands_in_the_bucket_pubsub_and_bigquery() {
    let Some(e) = emulators() else { return };
    let n = names();
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, addr, _reaper) = start(dir.path(), &e, &n);

    // A subscription of our own on the alerts topic the service created at start.
    let client = check_client();
    let sub = format!("{}-check", n.alerts);
    subscribe_to_alerts(&client, &e, &n, &sub).await;

    // Three evening hours: small scale oversells then, so alerts are certain.
    let body = r#"{"from": "2026-03-06T17", "to": "2026-03-06T19"}"#;
    let (status, accepted) = http(&addr, "POST", "/generate", body);
    assert_eq!(status, 202, "{accepted}");
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    let result = &job["result"];
    assert_eq!(result["hours_written"], 3, "{job}");
    let alerts = result["alerts"].as_u64().expect("alerts");
    let sales = result["sales_lines"].as_u64().expect("sales lines");
    assert!(alerts > 0, "the test needs alerts: {job}");
    assert_eq!(result["alerts_published"].as_u64(), Some(alerts), "{job}");

    // The bucket: each of the five tables has a data file and a manifest for each hour.
    let listed = call(
        &client,
        "GET",
        format!("{}/storage/v1/b/{}/o?maxResults=1000", e.gcs, n.bucket),
        None,
    )
    .await;
    let objects: BTreeSet<String> = listed["items"]
        .as_array()
        .expect("objects in the bucket")
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect();
    for table in retail_pipeline::model::Table::ALL {
        for hour in 17..=19 {
            let data = format!(
                "{}/date=2026-03-06/hour={hour}/part-00000.csv",
                table.name()
            );
            assert!(objects.contains(&data), "{data} missing from {objects:?}");
            let manifest = format!(
                "_manifests/{}/date=2026-03-06/hour={hour}.json",
                table.name()
            );
            assert!(
                objects.contains(&manifest),
                "{manifest} missing from {objects:?}"
            );
        }
    }

    // Pub/Sub: exactly the alerts, each with its alert_id attribute.
    let ids = pull_alert_ids(&client, &e, &n, &sub, alerts as usize).await;
    assert_eq!(ids.len() as u64, alerts, "distinct alerts pulled");

    // BigQuery: the refresh merges all three hours, exactly.
    let (status, accepted) = http(&addr, "POST", "/bq/refresh", "");
    assert_eq!(status, 202, "{accepted}");
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(
        job["result"]["hours_loaded"],
        json!(["2026-03-06T17", "2026-03-06T18", "2026-03-06T19"]),
        "{job}"
    );
    assert_eq!(
        count_rows(&client, &e, &n, "sales_data_managed").await,
        sales
    );
    assert_eq!(
        count_rows(&client, &e, &n, "negative_inventory_alerts").await,
        alerts
    );

    // A second refresh finds nothing to do and changes nothing.
    let (_, accepted) = http(&addr, "POST", "/bq/refresh", "");
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["result"]["hours_loaded"], json!([]), "{job}");
    assert_eq!(
        count_rows(&client, &e, &n, "sales_data_managed").await,
        sales
    );

    // The analytics and the dashboard read BigQuery through the same endpoints as DuckDB.
    let (status, by_category) = http(
        &addr,
        "GET",
        "/analytics/sales-by-category?date=2026-03-06",
        "",
    );
    assert_eq!(status, 200, "{by_category}");
    let units: u64 = by_category
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["units"].as_u64().expect("units"))
        .sum();
    assert!(units >= sales, "{units} units over {sales} sales lines");
    let (status, page) = common::http(
        &addr,
        "GET",
        "/dashboard?from=2026-03-06&to=2026-03-06",
        "",
        Duration::from_secs(30),
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("<svg"),
        "the dashboard draws charts from BigQuery"
    );

    // Streamed events: Pub/Sub, the in-process subscriber, BigQuery's stream tables, exactly.
    let body = r#"{"events_per_minute": 6000, "duration_seconds": 2}"#;
    let (status, accepted) = http(&addr, "POST", "/scenarios/custom/start", body);
    assert_eq!(status, 202, "{accepted}");
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["done"], 200, "{job}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let streamed = loop {
        let mut total = 0;
        for table in ["order_events", "inventory_events", "user_activity_events"] {
            total += count_rows(&client, &e, &n, table).await;
        }
        if total >= 200 || Instant::now() > deadline {
            break total;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(streamed, 200, "every streamed event once in BigQuery");
    assert_eq!(count_rows(&client, &e, &n, "dead_letter_events").await, 0);

    // Status names the cloud backends and the watermark.
    let (_, status) = http(&addr, "GET", "/status", "");
    assert_eq!(status["warehouse_watermark"], "2026-03-06T19", "{status}");
    let backends = status["backends"].to_string();
    assert!(
        backends.contains(&n.bucket) && backends.contains("pubsub"),
        "{backends}"
    );

    stop(child);
}

/// Pulls (and acknowledges) alerts from `sub` until `want` distinct `alert_id`s arrived or 30 s
/// passed; then one more pull, so that an extra alert would show.
async fn pull_alert_ids(
    client: &GcpHttp,
    e: &Emulators,
    n: &common::e2e::Names,
    sub: &str,
    want: usize,
) -> BTreeSet<String> {
    let url = |verb: &str| {
        format!(
            "{}/v1/projects/{}/subscriptions/{sub}:{verb}",
            e.pubsub, n.project
        )
    };
    let mut ids = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_round = false;
    loop {
        let body = json!({"maxMessages": 1000, "returnImmediately": last_round});
        let pulled = call(client, "POST", url("pull"), Some(body)).await;
        let received = pulled["receivedMessages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut acks = Vec::new();
        for m in &received {
            let id = m["message"]["attributes"]["alert_id"]
                .as_str()
                .unwrap_or_else(|| panic!("alert without alert_id: {m}"));
            ids.insert(id.to_string());
            acks.push(m["ackId"].clone());
        }
        if !acks.is_empty() {
            call(
                client,
                "POST",
                url("acknowledge"),
                Some(json!({ "ackIds": acks })),
            )
            .await;
        }
        if last_round {
            return ids;
        }
        last_round = ids.len() >= want || Instant::now() > deadline;
    }
}

/// The CLI and the service generate through one path and differ only where a flag says so:
/// `generate` publishes no alerts unless `--publish-alerts` asks, and then exactly the hour's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_publishes_alerts_only_when_asked() {
    use retail_pipeline::generate::{hour_alerts, World};
    use retail_pipeline::model::{PartitionHour, Scale, ScaleName};
    let Some(e) = emulators() else { return };
    let n = names();
    let dir = tempfile::tempdir().expect("temp dir");
    let client = check_client();
    let topic = format!("projects/{}/topics/{}", n.project, n.alerts);
    call(&client, "PUT", format!("{}/v1/{topic}", e.pubsub), None).await;
    let sub = format!("{}-check", n.alerts);
    subscribe_to_alerts(&client, &e, &n, &sub).await;
    let generate = |hour: &str, flag: Option<&str>| {
        let out = gcp_command(dir.path(), &e, &n)
            .args(["generate", "--date", "2026-03-06", "--hour", hour])
            .args(flag)
            .output()
            .expect("run generate");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };

    let quiet = generate("18", None);
    assert!(!quiet.contains("published"), "{quiet}");
    let loud = generate("19", Some("--publish-alerts"));

    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let hour = |h: &str| h.parse::<PartitionHour>().expect("hour");
    let expected: BTreeSet<String> = hour_alerts(&world, hour("2026-03-06T19"))
        .into_iter()
        .map(|a| a.alert_id)
        .collect();
    assert!(!expected.is_empty(), "the test needs alerts at 19:00");
    assert!(!hour_alerts(&world, hour("2026-03-06T18")).is_empty());
    assert!(
        loud.contains(&format!("published {} alerts", expected.len())),
        "{loud}"
    );
    let pulled = pull_alert_ids(&client, &e, &n, &sub, expected.len()).await;
    assert_eq!(pulled, expected, "exactly 19:00's alerts, none of 18:00's");
}

/// Cloud Storage goes away in the middle of a three-day generate (a proxy in front of the
/// shared emulator is cut): the job fails with an error naming the bucket, every hour the lake
/// calls complete is whole and checks against its manifest, and the same request once storage
/// is back writes exactly the missing hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_lost_mid_generate_fails_cleanly_and_the_rerun_completes() {
    use retail_pipeline::model::{PartitionHour, Table};
    let Some(e) = emulators() else { return };
    let n = names();
    let proxy = common::proxy::Proxy::start(e.gcs.trim_start_matches("http://").to_string()).await;
    let through = Emulators {
        gcs: format!("http://{}", proxy.addr),
        bq: e.bq.clone(),
        pubsub: e.pubsub.clone(),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, addr, _reaper) = start(dir.path(), &through, &n);

    let body = r#"{"from": "2026-03-07T00", "to": "2026-03-09T23"}"#;
    let (status, accepted) = http(&addr, "POST", "/generate", body);
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["job_id"].as_str().expect("job id").to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, job) = http(&addr, "GET", &format!("/jobs/{id}"), "");
        if job["done"].as_u64().unwrap_or(0) >= 1 || job["state"] != "running" {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {job}");
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.cut();
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "failed", "{job}");
    let error = job["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("gs://{}", n.bucket)),
        "the error names the bucket: {error}"
    );

    // Straight to the emulator: what is complete is whole.
    let lake = common::e2e::bucket_lake(&e, &n);
    let mut complete = 0;
    for day in ["2026-03-07", "2026-03-08", "2026-03-09"] {
        let date = day.parse().expect("date");
        for h in lake.complete_hours(date).await.expect("list") {
            let hour = PartitionHour::new(date, h).expect("hour");
            for table in Table::ALL {
                lake.verify(table, hour)
                    .await
                    .unwrap_or_else(|e| panic!("{table} {hour} is complete but not whole: {e}"));
            }
            complete += 1;
        }
    }
    assert!(complete < 72, "the cut came before the end");

    proxy.reopen();
    let (status, accepted) = http(&addr, "POST", "/generate", body);
    assert_eq!(status, 202, "{accepted}");
    let job = finished_job(&addr, &accepted);
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["result"]["hours_written"], 72 - complete, "{job}");
    assert_eq!(job["result"]["hours_already_complete"], complete, "{job}");
    for day in ["2026-03-07", "2026-03-08", "2026-03-09"] {
        let hours = lake
            .complete_hours(day.parse().expect("date"))
            .await
            .expect("list");
        assert_eq!(hours.len(), 24, "{day}");
    }
    eprintln!(
        "cut after {complete} whole hours; the rerun wrote the other {}",
        72 - complete
    );

    stop(child);
}

/// Messages the service did not write (seed 003's order, seed 004's event, one published
/// without attributes, as `gcloud pubsub topics publish` sends it) reach the events topic on
/// the emulator: each ends as a dead letter with its reason, in `/status` and in BigQuery's
/// `dead_letters` view, where deployed the catch-all and dead-letter subscriptions put them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_messages_end_as_dead_letters_counted_by_status() {
    use base64::Engine as _;
    let Some(e) = emulators() else { return };
    let n = names();
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, addr, _reaper) = start(dir.path(), &e, &n);
    let client = check_client();

    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let seed_003 = r#"{"event_type":"order","order_id":"ORD-20240115-001","customer_id":"CUST-001","order_date":"2024-01-15T10:30:00Z","items":[{"product_id":"PROD-001","quantity":2,"price":29.99}],"total_amount":59.98}"#;
    let seed_004 = r#"{"event_id":"evt-1","event_type":"order_created","timestamp":"2024-01-15T10:30:00Z","user_id":"u-1","metadata":{"session_id":"s-1","platform":"web"}}"#;
    let bare = r#"{"order_id":"X-1","total":10}"#;
    call(
        &client,
        "POST",
        format!(
            "{}/v1/projects/{}/topics/{}:publish",
            e.pubsub, n.project, n.events
        ),
        Some(json!({"messages": [
            {"data": b64(seed_003), "attributes": {"event_type": "order"}},
            {"data": b64(seed_004), "attributes": {"event_type": "order_created"}},
            {"data": b64(bare)},
        ]})),
    )
    .await;

    // Delivery is at least once: wait for each reason, then count each message once.
    let wanted = ["missing_event_type", "missing_field", "unknown_event_type"];
    let reasons = |stream: &serde_json::Value| -> std::collections::BTreeMap<String, u64> {
        stream["dead_by_reason"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| {
                let code = r[0].as_str().unwrap_or_default().to_string();
                (code, r[1].as_u64().unwrap_or(0))
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let stream = loop {
        let (status, body) = http(&addr, "GET", "/status", "");
        assert_eq!(status, 200, "{body}");
        let seen = reasons(&body["stream"]);
        if wanted.iter().all(|r| seen.get(*r) > Some(&0)) || Instant::now() > deadline {
            break body["stream"].clone();
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let seen = reasons(&stream);
    assert!(seen["missing_field"] >= 1, "seed 003's order: {stream}");
    assert!(seen["unknown_event_type"] >= 1, "seed 004's type: {stream}");
    assert!(seen["missing_event_type"] >= 1, "no attributes: {stream}");
    assert_eq!(stream["failed"], 0, "{stream}");
    for table in ["orders", "inventory", "user_activity"] {
        assert_eq!(stream[table], 0, "no typed row: {stream}");
    }

    let url = format!("{}/bigquery/v2/projects/{}/queries", e.bq, n.project);
    let sql = format!(
        "SELECT reason, COUNT(*) FROM `{}.{}.dead_letters` \
         WHERE message_id IS NOT NULL AND publish_time IS NOT NULL GROUP BY reason ORDER BY reason",
        n.project, n.dataset
    );
    let answer = call(
        &client,
        "POST",
        url,
        Some(json!({"query": sql, "useLegacySql": false})),
    )
    .await;
    let rows: Vec<(String, String)> = answer["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {answer}"))
        .iter()
        .map(|r| {
            let cell = |i: usize| r["f"][i]["v"].as_str().unwrap_or_default().to_string();
            (cell(0), cell(1))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("missing_event_type".to_string(), "1".to_string()),
            ("missing_field".into(), "1".into()),
            ("unknown_event_type".into(), "1".into()),
        ],
        "{answer}"
    );
    let _ = child.kill();
}
