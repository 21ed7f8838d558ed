//! The BigQuery warehouse (on bqemulator) refreshed from a Parquet lake holds exactly the
//! tables it holds refreshed from a CSV lake of the same hours: Parquet load jobs against CSV
//! load jobs, row for row. Skips (passing, loudly) without RP_TEST_BQ_ENDPOINT.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod warehouse_fixture;

mod common;

use common::bq::{drop_dataset, open, query_page, unique_dataset, PROJECT};
use retail_pipeline::model::LakeFormat;
use retail_pipeline::warehouse::bigquery::BigQueryWarehouse;
use retail_pipeline::warehouse::Warehouse;
use serde_json::Value;
use warehouse_fixture::{hours, managed_tables, Fixture};

/// Every row of a managed table but its load clock (`ingested_at`), ordered by every column,
/// as the REST API returns them.
async fn table_rows(endpoint: &str, w: &BigQueryWarehouse, table: &str) -> Vec<Value> {
    let columns: Vec<String> = w
        .columns()
        .await
        .expect("columns")
        .into_iter()
        .filter(|(t, c, _)| t == table && c != "ingested_at")
        .map(|(_, c, _)| c)
        .collect();
    assert!(!columns.is_empty(), "{table} has columns");
    let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {} FROM `{PROJECT}.{}.{table}` ORDER BY {}",
        columns.join(", "),
        w.dataset(),
        order.join(", ")
    );
    let page = query_page(endpoint, &sql, 1_000_000).await;
    assert!(
        page["pageToken"].is_null(),
        "one page holds the test's rows"
    );
    page["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parquet_lake_loads_the_same_tables_as_a_csv_lake() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let all = hours("2026-11-20T22", 3); // across midnight
    let csv = Fixture::new();
    let parquet = Fixture::with_format(LakeFormat::Parquet);
    csv.write(&all).await;
    parquet.write(&all).await;
    let (dc, dp) = (unique_dataset("rp_pq_csv"), unique_dataset("rp_pq_parquet"));
    let (wc, wp) = (open(&endpoint, &dc).await, open(&endpoint, &dp).await);

    let rc = wc.refresh(&csv.lake).await.expect("refresh from csv");
    let rp = wp
        .refresh(&parquet.lake)
        .await
        .expect("refresh from parquet");
    assert!(rc.failures.is_empty(), "{:#?}", rc.failures);
    assert!(rp.failures.is_empty(), "{:#?}", rp.failures);
    assert_eq!(rp.hours_loaded, all);
    assert_eq!(rp.rows, rc.rows);
    for table in managed_tables() {
        let (a, b) = (
            table_rows(&endpoint, &wc, table).await,
            table_rows(&endpoint, &wp, table).await,
        );
        assert!(!a.is_empty(), "{table} has rows");
        assert_eq!(a, b, "{table}");
    }
    drop_dataset(&endpoint, &dc).await;
    drop_dataset(&endpoint, &dp).await;
}
