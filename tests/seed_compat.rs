//! The seeds' published queries on the DuckDB warehouse's `seed_compat` views
//! (sql/duckdb/04_seed_compat.sql) give the totals of our own analytics: seeds 000 and 002 on
//! a lake loaded by refresh, seeds 001 and 003 on streamed events delivered at least once.
//! The queries and the comparisons are in tests/seed_queries/ (shared with BigQuery's test).
#![cfg(feature = "duckdb")]

mod seed_queries;
mod warehouse_fixture;

use async_trait::async_trait;
use retail_pipeline::warehouse::duckdb::{DuckDbEventSink, DuckDbWarehouse};
use seed_queries::{Runner, Target};
use std::sync::Arc;
use warehouse_fixture::{hours, Fixture};

struct Duck<'a>(&'a DuckDbWarehouse);

#[async_trait]
impl Runner for Duck<'_> {
    async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.0
            .query_rows(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"))
    }

    fn target(&self) -> Target {
        Target::DuckDb
    }
}

#[test]
fn every_duckdb_spelling_replaces_text_the_seeds_wrote() {
    seed_queries::duckdb_spellings_are_used();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_and_002_queries_give_our_analytics_totals() {
    let f = Fixture::new();
    // Across midnight, so that seed 000's join on (date, product_id) meets two dates.
    let (w, _) = f.loaded_warehouse(&hours("2026-11-20T20", 8)).await;
    seed_queries::check_lake_seeds(&w, &Duck(&w)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_and_003_queries_read_each_event_once() {
    let f = Fixture::new();
    let w = Arc::new(f.warehouse().await);
    let sink = DuckDbEventSink::new(w.clone());
    seed_queries::check_stream_seeds(&sink, &Duck(&w), 300).await;
    // The redelivered half is in the tables: only the views' one row per id hid it.
    let rows = w
        .query_i64("SELECT count(*) - count(DISTINCT event_id) FROM order_events")
        .await
        .expect("count");
    assert!(rows > 0, "some orders are stored twice");
}
