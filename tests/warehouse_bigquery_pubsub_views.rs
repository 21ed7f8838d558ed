//! The view over the alerts' Pub/Sub BigQuery subscription landing table
//! (`sql/bigquery/06_pubsub_views.sql`) against bqemulator: raw rows written the way a
//! subscription with `write_metadata = true` writes them (the service's own messages, some
//! delivered more than once), read back as exactly the rows `refresh` loads from the lake.
//! (The events' subscriptions write their typed tables directly: tests/subscription_conformance.rs.)
//! Skips (passing, loudly) without RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod common;

use common::bq::{drop_dataset, open, page_rows, post_json, query_page, unique_dataset, PROJECT};
mod warehouse_fixture;

use retail_pipeline::bus::{alert_messages, Message};
use retail_pipeline::generate::events::EventTime;
use retail_pipeline::generate::hour_alerts;
use retail_pipeline::warehouse::bigquery::{BigQueryWarehouse, PubSubView, PUBSUB_VIEWS};
use retail_pipeline::warehouse::Warehouse;
use std::collections::BTreeMap;
use std::sync::Arc;
use warehouse_fixture::{h, world, Fixture};

const T0: i64 = 1_790_000_000_000;
/// When the first copy of every message is published; later copies come after it.
const PUBLISHED: i64 = T0 + 3_600_000;

/// JSON columns of the typed tables: bqemulator reports JSON columns as STRING in
/// INFORMATION_SCHEMA, so their type cannot be read from there.
const JSON_COLUMNS: [&str; 3] = ["items", "shipping_address", "metadata"];

/// Every row of a query, each cell as BigQuery's REST API returns it (jobs.query).
async fn query(endpoint: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    let page = query_page(endpoint, sql, 100_000).await;
    let rows = page_rows(&page);
    assert_eq!(page["totalRows"], rows.len().to_string(), "one page: {sql}");
    rows
}

async fn count(endpoint: &str, sql: &str) -> usize {
    query(endpoint, sql).await[0][0]
        .as_deref()
        .expect("count")
        .parse()
        .expect("number")
}

/// One delivered copy of `message`, as a BigQuery subscription with `write_metadata` writes it.
fn raw_row(view: &PubSubView, message: &Message, id: String, at: i64) -> serde_json::Value {
    let data = std::str::from_utf8(&message.data).expect("the service publishes UTF-8 JSON");
    let attributes = serde_json::to_string(&message.attributes).expect("attributes");
    serde_json::json!({
        "subscription_name": format!("projects/{PROJECT}/subscriptions/{}-to-bigquery", view.raw),
        "message_id": id,
        "publish_time": EventTime::from_millis(at).to_string(),
        // JSON columns take their value as JSON text, in insertAll as in the Storage Write API.
        "data": data,
        "attributes": attributes,
    })
}

async fn insert_raw(endpoint: &str, dataset: &str, table: &str, rows: Vec<serde_json::Value>) {
    let url = format!(
        "{endpoint}/bigquery/v2/projects/{PROJECT}/datasets/{dataset}/tables/{table}/insertAll"
    );
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| serde_json::json!({ "json": r }))
        .collect();
    let body = serde_json::json!({ "rows": rows });
    let reply = post_json("insert raw rows", &url, &body)
        .await
        .expect("insertAll");
    let errors = &reply["insertErrors"];
    assert!(
        errors.is_null() || errors.as_array().is_some_and(Vec::is_empty),
        "{reply}"
    );
}

/// `(column, type)` of every table and view, in position order.
async fn schemas(warehouse: &BigQueryWarehouse) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (table, column, kind) in warehouse.columns().await.expect("columns") {
        out.entry(table).or_default().push((column, kind));
    }
    out
}

/// A cell as compared: JSON by value (key order and number spelling aside), NUMERIC without
/// trailing zeros (a NUMERIC(12, 2) column and a NUMERIC expression print different scales in
/// the emulator), anything else as returned.
#[derive(Debug, PartialEq)]
enum Cell {
    Json(serde_json::Value),
    Text(Option<String>),
}

fn cell(column: &str, kind: &str, value: Option<String>) -> Cell {
    match value {
        Some(text) if JSON_COLUMNS.contains(&column) || kind == "JSON" => {
            Cell::Json(serde_json::from_str(&text).expect("a JSON cell holds JSON"))
        }
        Some(text) if kind.starts_with("NUMERIC") && text.contains('.') => Cell::Text(Some(
            text.trim_end_matches('0').trim_end_matches('.').to_string(),
        )),
        other => Cell::Text(other),
    }
}

/// The rows of `table`, every column, ordered by `key`, cells normalised by `cell`.
async fn table_rows(
    endpoint: &str,
    dataset: &str,
    table: &str,
    key: &str,
    columns: &[(String, String)],
) -> Vec<Vec<Cell>> {
    let list: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let sql = format!(
        "SELECT {} FROM `{PROJECT}.{dataset}.{table}` ORDER BY {key}",
        list.join(", ")
    );
    query(endpoint, &sql)
        .await
        .into_iter()
        .map(|row| {
            assert_eq!(row.len(), columns.len());
            row.into_iter()
                .zip(columns)
                .map(|(v, (c, k))| cell(c, k, v))
                .collect()
        })
        .collect()
}

/// Asserts that `view` has its table's columns and holds exactly its rows, one per key, out of
/// `raw_rows` landed copies; returns how many rows it holds.
async fn assert_view_equals_table(
    endpoint: &str,
    dataset: &str,
    schemas: &BTreeMap<String, Vec<(String, String)>>,
    view: &PubSubView,
    skip: &[&str],
) -> usize {
    let table_columns = &schemas[view.table];
    assert_eq!(&schemas[view.view], table_columns, "{}: columns", view.view);
    let compared: Vec<(String, String)> = table_columns
        .iter()
        .filter(|(c, _)| !skip.contains(&c.as_str()))
        .cloned()
        .collect();
    let want = table_rows(endpoint, dataset, view.table, view.key, &compared).await;
    let got = table_rows(endpoint, dataset, view.view, view.key, &compared).await;
    assert!(!want.is_empty(), "{}: the table has rows", view.table);
    assert_eq!(
        got.len(),
        want.len(),
        "{}: one row per {}",
        view.view,
        view.key
    );
    for (g, w) in got.iter().zip(&want) {
        for ((column, _), (gc, wc)) in compared.iter().zip(g.iter().zip(w)) {
            assert_eq!(gc, wc, "{}.{column} of {:?}", view.view, w[0]);
        }
    }
    let distinct = count(
        endpoint,
        &format!(
            "SELECT COUNT(DISTINCT {}) FROM `{PROJECT}.{dataset}.{}`",
            view.key, view.view
        ),
    )
    .await;
    assert_eq!(distinct, got.len(), "{}: ids are unique", view.view);
    got.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_view_keeps_one_row_per_alert_id_as_refresh_loads_them() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let hour = h("2026-11-20T18");
    let alerts = hour_alerts(&world(), hour);
    assert!(alerts.len() >= 2, "the hour has alerts to deduplicate");
    let dataset = unique_dataset("rp_pubsub");
    let warehouse = Arc::new(open(&endpoint, &dataset).await);
    let view = &PUBSUB_VIEWS[0];
    assert_eq!(view.table, "negative_inventory_alerts");

    // Each alert published once; the hour published again (regenerated) an hour later, with
    // new message ids; the first alert's message redelivered twice (same id, same time).
    let messages = alert_messages(&alerts);
    let mut rows = Vec::new();
    for (n, message) in messages.iter().enumerate() {
        rows.push(raw_row(view, message, format!("a-{n:04}"), PUBLISHED));
        rows.push(raw_row(
            view,
            message,
            format!("b-{n:04}"),
            PUBLISHED + 3_600_000,
        ));
    }
    for _ in 0..2 {
        rows.push(raw_row(view, &messages[0], "a-0000".into(), PUBLISHED));
    }
    let landed = rows.len();
    insert_raw(&endpoint, &dataset, view.raw, rows).await;
    let raw = format!("SELECT COUNT(*) FROM `{PROJECT}.{dataset}.{}`", view.raw);
    assert_eq!(count(&endpoint, &raw).await, landed);

    // The same hour through the lake: refresh fills negative_inventory_alerts.
    let fixture = Fixture::new();
    fixture.write(&[hour]).await;
    let report = warehouse.refresh(&fixture.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);

    // Equal to the loaded table but for when each row arrived, which differs by path.
    let schemas = schemas(&warehouse).await;
    let rows =
        assert_view_equals_table(&endpoint, &dataset, &schemas, view, &["ingested_at"]).await;
    assert_eq!(rows, alerts.len(), "one row per alert_id");

    // Each row is the first copy's, and its values are the alert's own.
    let got = query(
        &endpoint,
        &format!(
            "SELECT alert_id, CAST(date AS STRING), hour, store_id, product_id, closing_stock, \
             UNIX_MILLIS(detected_at), UNIX_MILLIS(ingested_at) \
             FROM `{PROJECT}.{dataset}.{}` ORDER BY alert_id",
            view.view
        ),
    )
    .await;
    let mut want: Vec<Vec<Option<String>>> = alerts
        .iter()
        .map(|a| {
            let detected = EventTime::parse(&a.detected_at).expect("RFC 3339");
            [
                a.alert_id.clone(),
                a.date.clone(),
                a.hour.to_string(),
                a.store_id.clone(),
                a.product_id.clone(),
                a.closing_stock.to_string(),
                detected.millis().to_string(),
                PUBLISHED.to_string(),
            ]
            .map(Some)
            .to_vec()
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
    drop_dataset(&endpoint, &dataset).await;
}
