//! `GET /dashboard` and its fragments through the real router (`oneshot`): the empty
//! warehouse, a day of data, filters, and bad filter values on the page and in JSON; the
//! Stream section against the stream analytics after a batch of events.
#![cfg(feature = "duckdb")]

mod common;

use axum::http::{Method, StatusCode};
use common::router::{get, send, test_app, TestApp};
use common::sum_of;
use retail_pipeline::model::ScaleName;
use std::time::Duration;

async fn small_app() -> TestApp {
    test_app(ScaleName::Small, None, 4).await
}

/// A day of data, generated and refreshed into the warehouse.
async fn load_one_day(t: &TestApp) {
    let (_, accepted) = t.generate(r#"{"date":"2026-11-20"}"#).await;
    t.wait_for_accepted(&accepted).await;
    let (_, job) = t.post("/bq/refresh?wait=true", None).await;
    assert_eq!(job["state"], "completed", "{job}");
}

/// The page asks for nothing outside this service: no absolute URLs in src/href/action.
fn assert_self_contained(html: &str) {
    for attr in ["src=\"", "href=\"", "action=\""] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            assert!(
                value.starts_with('/') || value.starts_with('#'),
                "{attr}{} is not on this service",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(!html.contains("//cdn") && !html.contains("https://"));
}

#[tokio::test]
async fn empty_warehouse_says_what_to_do() {
    let t = small_app().await;
    let r = get(&t.router, "/dashboard").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    assert!(r.csp.contains("default-src 'none'") && r.csp.contains("connect-src 'self'"));
    assert!(r.body.starts_with("<!doctype html>"));
    assert!(r.body.contains("The warehouse is empty"), "{}", r.body);
    assert!(r.body.contains("POST /generate") || r.body.contains("-XPOST localhost:8080/generate"));
    assert!(r.body.contains("bq/refresh") && r.body.contains("retail-pipeline refresh"));
    assert!(!r.body.contains("<svg"), "no empty charts");
    assert!(
        r.body.contains("Nothing streamed in the last 10 minutes"),
        "the Stream section says what to do too"
    );
    assert_self_contained(&r.body);
    // The pipeline panel is there even so, and the script that refreshes it.
    assert!(r.body.contains(r#"id="live""#) && r.body.contains("<script>"));

    let data = get(&t.router, "/dashboard/data").await;
    assert_eq!(data.status, StatusCode::OK);
    let data = data.json();
    assert_eq!(data["charts"]["warehouse_loaded"], false);
    assert_eq!(data["totals"]["revenue_cents"], 0);
}

#[tokio::test]
async fn a_loaded_day_is_charted_and_filters_narrow_it() {
    let t = small_app().await;
    load_one_day(&t).await;

    let r = get(&t.router, "/dashboard").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_self_contained(&r.body);
    for id in common::BARRED_CHARTS.into_iter().chain(["stock"]) {
        let start = r
            .body
            .find(&format!(r#"<svg class="chart" id="{id}""#))
            .unwrap_or_else(|| panic!("chart {id} missing"));
        let svg = &r.body[start..start + r.body[start..].find("</svg>").expect("end")];
        assert!(svg.contains(r#"role="img""#) && svg.contains(&format!(r#"id="{id}-title""#)));
        assert!(
            svg.contains("<rect") || svg.contains("<polyline"),
            "{id} has marks"
        );
        assert!(!svg.contains("No data"), "{id} has data");
    }
    assert!(r.body.contains("Data table"), "text alternatives");
    assert!(r.body.contains(r#"data-watermark="2026-11-20T23""#));

    // The JSON agrees with the analytics endpoints.
    let data = get(&t.router, "/dashboard/data").await.json();
    let baskets = get(&t.router, "/analytics/basket-stats").await.json();
    let revenue = sum_of(&baskets, "revenue_cents");
    assert!(revenue > 0);
    assert_eq!(data["totals"]["revenue_cents"], revenue);
    assert_eq!(
        data["charts"]["hourly"]
            .as_array()
            .expect("hourly")
            .iter()
            .map(|h| h["hour"].as_u64().expect("hour"))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        24
    );
    assert_eq!(data["live"]["lag_hours"], 0);

    // Filters: one store's page shows only that store; the form keeps the choice.
    let store = &t.app.world.stores[0];
    let r = get(
        &t.router,
        &format!(
            "/dashboard?from=2026-11-20&to=2026-11-20&store_id={}&category=&state=",
            store.id
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains(&format!(r#"<option value="{}" selected>"#, store.id)));
    let data = get(&t.router, &format!("/dashboard/data?store_id={}", store.id))
        .await
        .json();
    let stores = data["charts"]["stores"].as_array().expect("stores");
    assert_eq!(stores.len(), 1);
    assert_eq!(stores[0]["store_id"], store.id.as_str());
    let one: i64 = data["totals"]["revenue_cents"].as_i64().expect("cents");
    assert!(one > 0 && one < revenue);
    let data = get(&t.router, "/dashboard/data?category=Toys").await.json();
    assert!(data["charts"]["products"]
        .as_array()
        .expect("products")
        .iter()
        .all(|p| p["category"] == "Toys"));

    // A range with no data: the page says so instead of blank charts.
    let r = get(&t.router, "/dashboard?from=2027-01-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("No sales or stock match these filters"));

    // The fragments the page's script fetches.
    let live = get(&t.router, "/dashboard/live").await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(live.body.contains("Warehouse watermark") && live.body.contains("completed"));
    assert!(!live.body.contains("<html"));
    let charts = get(&t.router, "/dashboard/charts?category=Grocery").await;
    assert_eq!(charts.status, StatusCode::OK);
    assert!(charts.body.contains(r#"id="daily-revenue""#) && !charts.body.contains("<html"));
}

#[tokio::test]
async fn bad_filters_show_on_the_page_and_as_json_errors() {
    let t = small_app().await;
    for (query, field, code, status) in [
        (
            "category=Spaceships",
            "category",
            "invalid_filter",
            StatusCode::BAD_REQUEST,
        ),
        (
            "state=ZZ",
            "state",
            "invalid_filter",
            StatusCode::BAD_REQUEST,
        ),
        (
            "store_id=S9999",
            "store_id",
            "invalid_filter",
            StatusCode::BAD_REQUEST,
        ),
        (
            "from=2026-02-30",
            "from",
            "invalid_date",
            StatusCode::BAD_REQUEST,
        ),
        (
            "from=2026-11-21&to=2026-11-20",
            "to",
            "invalid_range",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let page = get(&t.router, &format!("/dashboard?{query}")).await;
        assert_eq!(page.status, status, "{query}");
        assert!(page.content_type.starts_with("text/html"));
        assert!(
            page.body.contains(r#"role="alert""#),
            "{query}: {}",
            page.body
        );
        assert!(page.body.contains("Reset the filters"));
        let json = get(&t.router, &format!("/dashboard/data?{query}")).await;
        assert_eq!(json.status, status, "{query}");
        let err = json.json();
        assert_eq!(
            (err["code"].as_str(), err["field"].as_str()),
            (Some(code), Some(field))
        );
        let fragment = get(&t.router, &format!("/dashboard/charts?{query}")).await;
        assert_eq!(fragment.status, status);
        assert!(fragment.body.contains(r#"role="alert""#));
    }
    // The message names the bad value, escaped.
    let page = get(&t.router, "/dashboard?category=%3Cb%3Ex").await;
    assert!(
        page.body.contains("unknown category &#39;&lt;b&gt;x&#39;"),
        "{}",
        page.body
    );
    // Unknown parameters are refused the same way.
    let page = get(&t.router, "/dashboard?colour=red").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains(r#"role="alert""#));
    // The analytics endpoints take the same filters.
    let err = get(&t.router, "/analytics/sales-by-hour?state=ZZ")
        .await
        .json();
    assert_eq!(err["code"], "invalid_filter");
}

#[tokio::test]
async fn the_dashboard_is_in_the_openapi_document() {
    let t = small_app().await;
    let doc = get(&t.router, "/openapi.json").await.json();
    for path in ["/dashboard", "/dashboard/data", "/analytics/sales-by-hour"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn a_batch_of_events_shows_in_the_stream_section_as_the_analytics_count_it() {
    use common::stream_dom::{int, keyed_counts, rate_totals, shown_funnel, tagged, window_counts};
    let t = small_app().await;
    let batch = r#"{"events_per_minute":90,"event_types":["order","inventory","user_activity"],"environment":"dev"}"#;
    let sent = send(&t.router, Method::POST, "/generate/batch", Some(batch), &[]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    // The subscriber lands the batch shortly; wait until all 90 are counted.
    let mut totals = Default::default();
    for _ in 0..200 {
        totals = rate_totals(&get(&t.router, "/analytics/stream-rates").await.json());
        if totals.values().sum::<i64>() == 90 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(totals.values().sum::<i64>(), 90, "{totals:?}");

    let page = get(&t.router, "/dashboard/stream").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_self_contained(&page.body);
    let html = &page.body;
    // The per-type tiles: the window's count equals the analytics', and all 90 landed within
    // the last minute.
    let tiles = tagged(html, "stream-rate-values", "data-event-type");
    assert_eq!(tiles.len(), 4, "{tiles:?}");
    for (ty, n) in window_counts(html) {
        assert_eq!(n, totals.get(&ty).copied().unwrap_or(0), "{ty}");
    }
    let last_minute: i64 = tiles
        .iter()
        .map(|t| int(t, "data-events-last-minute"))
        .sum();
    assert_eq!(last_minute, 90);
    // The funnel's steps equal /analytics/activity-funnel's.
    let funnel = get(&t.router, "/analytics/activity-funnel").await.json();
    let pairs = shown_funnel(html);
    let expected = keyed_counts(&funnel, "step", "events");
    assert_eq!(pairs, expected);
    assert_eq!(pairs.last().map(|p| p.1), totals.get("order").copied());
    // Every store of the world has a row; their events sum to the orders and inventory sent.
    let stores = tagged(html, "stream-store-events", "data-store-id");
    assert_eq!(stores.len(), t.app.world.stores.len());
    let store_events: i64 = stores.iter().map(|s| int(s, "data-events")).sum();
    assert_eq!(
        store_events,
        totals.get("order").copied().unwrap_or(0) + totals.get("inventory").copied().unwrap_or(0)
    );
    // No dead letters; and the orders panel totals /analytics/orders-per-minute.
    assert!(tagged(html, "stream-dead-letters", "data-reason").is_empty());
    let orders = get(&t.router, "/analytics/orders-per-minute").await.json();
    let n = sum_of(&orders, "orders");
    assert_eq!(n, totals.get("order").copied().unwrap_or(0));
    assert!(
        html.contains(&format!(r#"data-total="{n}" id="stream-orders-panel""#)),
        "{html}"
    );
    // The whole page holds the same section.
    let full = get(&t.router, "/dashboard").await;
    assert!(full.body.contains(
        r#"<section id="stream" aria-labelledby="stream-h" data-src="/dashboard/stream">"#
    ));
    // A window out of range is refused, naming the field.
    let bad = get(&t.router, "/analytics/stream-rates?minutes=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["field"], "minutes");
}
