//! The BigQuery warehouse against the BigQuery emulator (bqemulator), on real lakes written by
//! the generator: exact loads, idempotence, late hours, corrupt partitions, and analytics equal
//! to the DuckDB warehouse's on the same lake. Skips (passing, loudly) without
//! RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod warehouse_fixture;

use retail_pipeline::gcp::{Credentials, GcpHttp};
use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::bigquery::BigQueryWarehouse;
use retail_pipeline::warehouse::{AnalyticsFilter, DateFilter, Warehouse};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use warehouse_fixture::{h, hours, read_table, Fixture};

fn endpoint() -> Option<String> {
    match std::env::var("RP_TEST_BQ_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "SKIPPED: RP_TEST_BQ_ENDPOINT not set (scripts/emulators.sh starts the emulator)"
            );
            None
        }
    }
}

/// A dataset no other test (or test process) uses.
fn unique_dataset() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "rp_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn open(endpoint: &str, dataset: &str) -> BigQueryWarehouse {
    let http = GcpHttp::new(Credentials::Anonymous, Duration::from_secs(120)).expect("client");
    BigQueryWarehouse::open(
        http,
        Some(endpoint.to_string()),
        "rp-test".into(),
        dataset.to_string(),
        "US".into(),
    )
    .await
    .expect("open the BigQuery warehouse")
}

/// Rows per managed table, in `Table::ALL` order.
async fn counts(w: &BigQueryWarehouse) -> Vec<u64> {
    w.table_rows()
        .await
        .expect("table rows")
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

fn lake_rows(f: &Fixture, table: Table, hours: &[PartitionHour]) -> u64 {
    read_table(f, table, hours)
        .iter()
        .map(|(_, t)| t.rows.len() as u64)
        .sum()
}

/// What the managed tables must hold once `hours` are loaded.
fn expected(f: &Fixture, hours: &[PartitionHour]) -> Vec<u64> {
    let scale = warehouse_fixture::scale();
    vec![
        u64::from(scale.products),
        u64::from(scale.stores),
        lake_rows(f, Table::SalesData, hours),
        lake_rows(f, Table::InventoryData, hours),
        lake_rows(f, Table::NegativeInventoryAlerts, hours),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_loads_exactly_the_lake_keeps_late_hours_and_a_second_run_changes_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let f = Fixture::new();
    // Across a day boundary; hour 01 arrives late.
    let all = hours("2026-11-20T22", 4);
    let first = [all[0], all[1], all[3]];
    f.write(&first).await;
    let dataset = unique_dataset();
    let w = open(&endpoint, &dataset).await;
    assert_eq!(w.watermark().await.expect("watermark"), None);

    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, first);
    assert_eq!(report.watermark_after, Some(all[3]));
    let want = expected(&f, &first);
    assert!(want[4] > 0, "the small scale yields alerts to load");
    assert_eq!(counts(&w).await, want);
    for (i, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(report.rows_of(table), want[i], "{table} rows merged");
    }
    assert_eq!(report.dimensions_merged.len(), 2);
    assert!(report.dimensions_merged.iter().all(|d| d.hour == all[3]));
    assert_eq!(w.watermark().await.expect("watermark"), Some(all[3]));

    // Again, and through a second open of the same dataset: nothing to load, nothing changes.
    let again = open(&endpoint, &dataset).await;
    let report = again.refresh(&f.lake).await.expect("second refresh");
    assert!(report.is_noop(), "{report:?}");
    assert!(report.failures.is_empty());
    assert_eq!(counts(&again).await, want);
    assert_eq!(again.watermark().await.expect("watermark"), Some(all[3]));

    // The late hour is loaded, the watermark stays, history is kept.
    f.write(&all[2..3]).await;
    let report = w.refresh(&f.lake).await.expect("refresh late");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, vec![all[2]]);
    assert!(
        report.dimensions_merged.is_empty(),
        "an older hour never rolls dimensions back"
    );
    assert_eq!(report.watermark_before, Some(all[3]));
    assert_eq!(report.watermark_after, Some(all[3]));
    assert_eq!(counts(&w).await, expected(&f, &all));
    let streams = w.stream_rows().await.expect("stream rows");
    assert_eq!(streams.len(), 4);
    assert!(streams.iter().all(|(_, n)| *n == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_partition_fails_only_its_hour_and_loads_once_repaired() {
    let Some(endpoint) = endpoint() else { return };
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 3);
    f.write(&all).await;
    // Hour 1: one byte of the sales file changed after its manifest was written.
    let sales = f.file(Table::SalesData, all[1]);
    let mut bytes = std::fs::read(&sales).expect("read");
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    std::fs::write(&sales, &bytes).expect("write");

    let w = open(&endpoint, &unique_dataset()).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    let good = [all[0], all[2]];
    assert_eq!(report.hours_loaded, good);
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
    let failure = &report.failures[0];
    assert_eq!((failure.hour, failure.table), (all[1], Table::SalesData));
    let text = failure.to_string();
    assert!(
        text.contains("sales_data/date=2026-11-20/hour=01/part-00000.csv"),
        "{text} names the file"
    );
    assert!(text.contains("crc32c"), "{text} says why");
    // Nothing of hour 1 in any fact table; the other hours whole.
    assert_eq!(counts(&w).await, expected(&f, &good));
    let hourly = w
        .stock_by_hour(DateFilter::all().into())
        .await
        .expect("stock by hour");
    let loaded: Vec<u8> = hourly.iter().map(|r| r.hour).collect();
    assert_eq!(loaded, vec![0, 2]);
    assert_eq!(report.watermark_after, Some(all[2]));

    // Regenerated, the hour loads on the next refresh.
    for table in Table::ALL {
        std::fs::remove_file(f.manifest_file(table, all[1])).expect("rm manifest");
    }
    f.write(&all[1..2]).await;
    let report = w.refresh(&f.lake).await.expect("refresh repaired");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, vec![all[1]]);
    assert_eq!(counts(&w).await, expected(&f, &all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_analytics_query_equals_the_duckdb_warehouse() {
    let Some(endpoint) = endpoint() else { return };
    let f = Fixture::new();
    let all = hours("2026-11-20T23", 3);
    f.write(&all).await;
    let bq = open(&endpoint, &unique_dataset()).await;
    let duck = f.warehouse().await;
    let report = bq.refresh(&f.lake).await.expect("bigquery refresh");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    duck.refresh(&f.lake).await.expect("duckdb refresh");

    // Filter values taken from the data, so each one selects something.
    let all_rows = duck
        .revenue_by_store(DateFilter::all().into())
        .await
        .expect("stores");
    let store = all_rows[0].store_id.clone();
    let state = all_rows[0].state.clone();
    let categories = duck
        .sales_by_category(DateFilter::all().into())
        .await
        .expect("categories");
    let category = categories[0].category.clone();
    let day = DateFilter::day(h("2026-11-21T00").date());
    let filters = [
        AnalyticsFilter::default(),
        day.into(),
        AnalyticsFilter {
            category: Some(category.clone()),
            ..Default::default()
        },
        AnalyticsFilter {
            state: Some(state.clone()),
            ..Default::default()
        },
        AnalyticsFilter {
            dates: day,
            store_id: Some(store.clone()),
            category: Some(category.clone()),
            state: Some(state.clone()),
        },
        // A value with a quote is data, never SQL: no rows, no error.
        AnalyticsFilter {
            category: Some("it's'; DROP TABLE x; --".into()),
            ..Default::default()
        },
    ];
    for filter in filters {
        let label = format!("{filter:?}");
        let want = duck.sales_by_category(filter.clone()).await.expect("duck");
        assert_eq!(
            bq.sales_by_category(filter.clone()).await.expect("bq"),
            want,
            "sales_by_category {label}"
        );
        let want = duck.sales_by_hour(filter.clone()).await.expect("duck");
        assert_eq!(
            bq.sales_by_hour(filter.clone()).await.expect("bq"),
            want,
            "sales_by_hour {label}"
        );
        let want = duck.revenue_by_store(filter.clone()).await.expect("duck");
        assert_eq!(
            bq.revenue_by_store(filter.clone()).await.expect("bq"),
            want,
            "revenue_by_store {label}"
        );
        for limit in [1, 7] {
            let want = duck
                .top_products(filter.clone(), limit)
                .await
                .expect("duck");
            assert_eq!(
                bq.top_products(filter.clone(), limit).await.expect("bq"),
                want,
                "top_products {limit} {label}"
            );
        }
        let want = duck.stock_by_hour(filter.clone()).await.expect("duck");
        assert_eq!(
            bq.stock_by_hour(filter.clone()).await.expect("bq"),
            want,
            "stock_by_hour {label}"
        );
        let want = duck.basket_stats(filter.clone()).await.expect("duck");
        assert_eq!(
            bq.basket_stats(filter.clone()).await.expect("bq"),
            want,
            "basket_stats {label}"
        );
    }
    // The unfiltered results are not trivially empty.
    assert!(!bq
        .sales_by_hour(AnalyticsFilter::default())
        .await
        .expect("bq")
        .is_empty());
    assert!(!bq
        .basket_stats(AnalyticsFilter::default())
        .await
        .expect("bq")
        .is_empty());
}
