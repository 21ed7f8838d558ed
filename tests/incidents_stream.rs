//! Every incident kind, started through the real router, sent over the in-process bus and
//! landed by the subscriber in the DuckDB stream tables, is visible there: the category's
//! orders x10, nothing from the dark store, the product at a hundredth of its price, the
//! customer's burst, dead letters with four reasons, and late event times.

mod common;

use axum::http::StatusCode;
use common::router::{assert_bad_field, test_app_with, TestApp};
use retail_pipeline::app::ServiceSettings;
use retail_pipeline::config::Config;
use retail_pipeline::jobs::scenario::MALFORMED_REASONS;
use retail_pipeline::model::ScaleName;
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// `2026-12-05T12:00:01.000Z` as DuckDB's TIMESTAMP literal.
fn ts(v: &Value) -> String {
    let s = v.as_str().expect("time");
    format!("TIMESTAMP '{}'", s.trim_end_matches('Z').replace('T', " "))
}

fn window(r: &Value) -> String {
    format!(
        "event_time >= {} AND event_time < {}",
        ts(&r["starts_at"]),
        ts(&r["ends_at"])
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_incident_is_visible_in_the_stream_tables() {
    let t = test_app_with(ScaleName::Small, ServiceSettings::default()).await;

    // Bad incidents are refused with the field at fault, before anything starts.
    let bad = json!({"incidents": [{"kind": "malformed_storm", "share": 2}]});
    let reply = t.post_json("/scenarios/quick_sample/start", &bad).await;
    assert_bad_field(&reply, "incidents[0].share");
    let bad = json!({"events_per_minute": 60, "duration_seconds": 30,
        "incidents": [{"kind": "store_dark", "store_id": "S9999"}]});
    let (status, err) = t.post_json("/scenarios/custom/start", &bad).await;
    assert_bad_field(&(status, err.clone()), "incidents[0].store_id");
    assert_eq!(err["code"], "invalid_scenario");

    // 100 events a second for 6 s, one incident a second.
    let body = json!({
        "events_per_minute": 6000, "duration_seconds": 6, "seed": 7,
        "incidents": [
            {"kind": "flash_sale", "start_second": 0, "duration_seconds": 1},
            {"kind": "store_dark", "start_second": 1, "duration_seconds": 1},
            {"kind": "price_error", "start_second": 2, "duration_seconds": 1},
            {"kind": "fraud_burst", "start_second": 3, "duration_seconds": 1, "count": 30},
            {"kind": "malformed_storm", "start_second": 4, "duration_seconds": 1, "share": 0.5},
            {"kind": "late_events", "start_second": 5, "duration_seconds": 1, "minutes": 10}
        ]
    });
    let (status, accepted) = t.post_json("/scenarios/custom/start", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let r = accepted["incidents"].as_array().expect("incidents").clone();
    assert_eq!(r.len(), 6, "{accepted}");
    let flash_orders = r[0]["affected_events"].as_u64().expect("flash");
    assert!(flash_orders > 0, "{accepted}");
    let total = accepted["estimated_total_events"].as_u64().expect("total");
    assert_eq!(total, 600 + 9 * flash_orders + 30);
    assert_eq!(r[4]["affected_events"], 50);

    let id = accepted["job_id"].as_str().expect("id").to_owned();
    let job = t.wait_for_end(&id).await;
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(
        (job["done"].as_u64(), job["target"].as_u64()),
        (Some(total), Some(total))
    );
    assert_eq!(
        job["detail"]["incidents"], accepted["incidents"],
        "the job reports them too"
    );

    t.app.stop_streaming(Duration::from_secs(10)).await;
    let world = t.app.world.clone();
    let config = t.app.config.clone();
    let TestApp {
        app,
        router,
        dir: _dir,
    } = t;
    drop((router, app));
    let warehouse = open(&config).await;
    let count = |sql: String| {
        let w = warehouse.clone();
        async move { w.query_i64(&sql).await.expect(&sql) }
    };
    let category_of: BTreeMap<&str, &str> = world
        .products
        .iter()
        .map(|p| {
            (
                p.id.as_str(),
                retail_pipeline::generate::reference::CATEGORIES[p.category as usize].name,
            )
        })
        .collect();

    // Flash sale: the category's orders in the window are ten times the base's.
    let firsts = warehouse
        .query_rows(&format!(
            "SELECT json_extract_string(items, '$[0].product_id') FROM order_events WHERE {}",
            window(&r[0])
        ))
        .await
        .expect("flash");
    let category = r[0]["category"].as_str().expect("category");
    let of_category = firsts
        .iter()
        .filter(|row| row[0].as_deref().and_then(|p| category_of.get(p)) == Some(&category))
        .count() as u64;
    assert_eq!(of_category, 10 * flash_orders);

    // Store dark: nothing from it in the window, though it sends outside it.
    let store = r[1]["store_id"].as_str().expect("store");
    let from_store = |cond: String| {
        let count = &count;
        async move {
            count(format!(
                "SELECT count(*) FROM order_events WHERE store_id = '{store}' AND {cond}"
            ))
            .await
                + count(format!(
                    "SELECT count(*) FROM inventory_events WHERE store_id = '{store}' AND {cond}"
                ))
                .await
        }
    };
    assert_eq!(from_store(window(&r[1])).await, 0);
    assert!(
        from_store("true".into()).await > 0,
        "the store sends outside its dark window"
    );

    // Price error: every line of the product in the window at a hundredth of its price.
    let product = r[2]["product_id"].as_str().expect("product");
    let lines = warehouse
        .query_rows(&format!(
            "SELECT CAST(event_time AS DATE), json_extract_string(i.item, '$.unit_price') \
             FROM order_events, unnest(CAST(items AS JSON[])) AS i(item) \
             WHERE json_extract_string(i.item, '$.product_id') = '{product}' AND {}",
            window(&r[2])
        ))
        .await
        .expect("lines");
    assert!(!lines.is_empty(), "the product sells in the window");
    let p = world
        .products
        .iter()
        .position(|x| x.id == product)
        .expect("product");
    for line in &lines {
        let date = line[0].as_deref().expect("date").parse().expect("date");
        let cents = (line[1]
            .as_deref()
            .expect("price")
            .parse::<f64>()
            .expect("price")
            * 100.0)
            .round() as i64;
        assert_eq!(cents, (world.price_on(p, date) + 50) / 100, "{line:?}");
    }

    // Fraud burst: the customer's thirty orders within the window.
    let customer = r[3]["customer_id"].as_str().expect("customer");
    let burst = count(format!(
        "SELECT count(*) FROM order_events WHERE customer_id = '{customer}' AND {}",
        window(&r[3])
    ))
    .await;
    assert!((30..=32).contains(&burst), "{burst}");

    // Malformed storm: fifty dead letters, in four reasons.
    let reasons = warehouse
        .query_rows(
            "SELECT reason, count(*) FROM dead_letter_events GROUP BY reason ORDER BY reason",
        )
        .await
        .expect("reasons");
    let got: BTreeMap<String, i64> = reasons
        .iter()
        .map(|row| {
            (
                row[0].clone().unwrap_or_default(),
                row[1].as_deref().unwrap_or("0").parse().unwrap_or(0),
            )
        })
        .collect();
    let mut want: Vec<&str> = MALFORMED_REASONS.to_vec();
    want.sort();
    assert_eq!(
        got.keys().map(String::as_str).collect::<Vec<_>>(),
        want,
        "{got:?}"
    );
    assert_eq!(got.values().sum::<i64>(), 50);

    // Late events: the window's hundred events ten minutes behind their publish time.
    let mut late = 0;
    for table in ["order_events", "inventory_events", "user_activity_events"] {
        late += count(format!(
            "SELECT count(*) FROM {table} WHERE publish_time - event_time > INTERVAL 9 MINUTE"
        ))
        .await;
    }
    assert_eq!(late, 100);

    // Everything sent landed: rows and dead letters.
    let mut landed = 0;
    for table in [
        "order_events",
        "inventory_events",
        "user_activity_events",
        "dead_letter_events",
    ] {
        landed += count(format!("SELECT count(*) FROM {table}")).await;
    }
    assert_eq!(landed as u64, total);
}

/// The warehouse file, once the app has let go of it.
async fn open(config: &Config) -> Arc<DuckDbWarehouse> {
    for _ in 0..50 {
        if let Ok(w) = DuckDbWarehouse::open(config.warehouse_file(), config.lake_dir()).await {
            return Arc::new(w);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the warehouse stays locked");
}
