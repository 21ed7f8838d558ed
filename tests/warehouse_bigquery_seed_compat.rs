//! The seeds' published queries on the BigQuery warehouse's compatibility views
//! (sql/bigquery/08_seed_compat.sql, in `<dataset>_seed_compat`) against bqemulator, with only
//! their project.dataset changed: the totals of our own analytics on the same warehouse for
//! seeds 000 and 002, the events written (each once) for seeds 001 and 003. The queries and
//! comparisons are tests/seed_queries/, shared with the DuckDB test (tests/seed_compat.rs).
//! Skips (passing, loudly) without RP_TEST_BQ_ENDPOINT; each test works in datasets of its own.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod common;
mod seed_queries;
mod warehouse_fixture;

use async_trait::async_trait;
use common::bq::{
    drop_dataset, open, page_rows, query_page, stream_dataset, unique_dataset, PROJECT,
};
use retail_pipeline::warehouse::Warehouse;
use seed_queries::{Runner, Target};
use warehouse_fixture::{hours, Fixture};

/// Runs a query as the seeds' clients do (jobs.query, standard SQL) and gives every row.
struct Bq {
    endpoint: String,
    compat: String,
}

#[async_trait]
impl Runner for Bq {
    async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let page = query_page(&self.endpoint, sql, 1_000_000).await;
        let rows = page_rows(&page);
        let total: usize = page["totalRows"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(rows.len());
        assert_eq!(rows.len(), total, "every row in one page");
        rows
    }

    fn target(&self) -> Target {
        Target::BigQuery(format!("{PROJECT}.{}", self.compat))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_and_002_queries_give_our_analytics_totals_in_bigquery() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let f = Fixture::new();
    // Across midnight, so that seed 000's join on (date, product_id) meets two dates.
    f.write(&hours("2026-11-20T22", 4)).await;
    let dataset = unique_dataset("rp_seed_lake");
    let w = open(&endpoint, &dataset).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    let run = Bq {
        endpoint: endpoint.clone(),
        compat: w.seed_compat_dataset(),
    };
    seed_queries::check_lake_seeds(&w, &run).await;
    drop_dataset(&endpoint, &dataset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_and_003_queries_read_each_event_once_in_bigquery() {
    let Some((endpoint, dataset, w, sink)) = stream_dataset("rp_seed_stream").await else {
        return;
    };
    let run = Bq {
        endpoint: endpoint.clone(),
        compat: w.seed_compat_dataset(),
    };
    seed_queries::check_stream_seeds(&sink, &run, 120).await;
    // Opening again changes nothing (every statement of 08_seed_compat.sql is idempotent) and
    // the views still answer.
    let again = open(&endpoint, &dataset).await;
    let rows = run
        .rows(&format!(
            "SELECT COUNT(*) FROM `{PROJECT}.{}.orders`",
            again.seed_compat_dataset()
        ))
        .await;
    assert!(rows[0][0].as_deref().is_some_and(|n| n != "0"));
    drop_dataset(&endpoint, &dataset).await;
}
