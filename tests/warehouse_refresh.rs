//! The embedded warehouse's refresh: the shared `Warehouse` contract suite on DuckDB, and what
//! is DuckDB's own (a load of more hours than one transaction's batch, the file kept across
//! opens, the `_ext` views over the lake).
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use async_trait::async_trait;
use retail_pipeline::lake::Lake;
use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::analytics::{RunAnalytics, SalesByCategory};
use retail_pipeline::warehouse::contract::{self, Backend, Subject};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{DateFilter, Warehouse};
use warehouse_fixture::{cents, h, hours, read_table, Fixture};

/// A DuckDB file beside a local lake, both in a temp dir of their own.
struct DuckDbSubject {
    fixture: Fixture,
    warehouse: DuckDbWarehouse,
}

#[async_trait]
impl Subject for DuckDbSubject {
    fn warehouse(&self) -> &dyn Warehouse {
        &self.warehouse
    }

    fn lake(&self) -> &Lake {
        &self.fixture.lake
    }

    async fn managed_rows(&self) -> Vec<u64> {
        counts(&self.warehouse)
            .await
            .into_iter()
            .map(|n| n as u64)
            .collect()
    }
}

struct DuckDb;

#[async_trait]
impl Backend for DuckDb {
    async fn open(&self) -> Box<dyn Subject> {
        let fixture = Fixture::new();
        let warehouse = fixture.warehouse().await;
        Box::new(DuckDbSubject { fixture, warehouse })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duckdb_keeps_the_warehouse_contract() {
    contract::run_all(&DuckDb).await;
}

/// Rows per managed table, in `Table::ALL` order.
async fn counts(w: &DuckDbWarehouse) -> Vec<i64> {
    w.table_summaries()
        .await
        .expect("summaries")
        .iter()
        .map(|s| s.rows)
        .collect()
}

/// Rows the lake holds per fact table over these hours.
fn lake_rows(f: &Fixture, table: Table, hours: &[PartitionHour]) -> i64 {
    read_table(f, table, hours)
        .iter()
        .map(|(_, t)| t.rows.len() as i64)
        .sum()
}

fn total_revenue_cents(f: &Fixture, hours: &[PartitionHour]) -> i64 {
    read_table(f, Table::SalesData, hours)
        .iter()
        .flat_map(|(_, t)| {
            let c = t.col("total_amount");
            t.rows.iter().map(move |r| cents(&r[c]))
        })
        .sum()
}

/// More hours than one transaction's batch (a day), across a day boundary: every hour loads
/// with exactly the lake's rows and revenue, and the file keeps it all when opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_of_many_batches_is_exact_and_kept_by_the_file() {
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 30);
    let (w, report) = f.loaded_warehouse(&all).await;
    assert_eq!(report.hours_loaded, all);
    assert_eq!(report.watermark_after, Some(h("2026-11-21T05")));
    let scale = warehouse_fixture::scale();
    let want = [
        i64::from(scale.products),
        i64::from(scale.stores),
        lake_rows(&f, Table::SalesData, &all),
        lake_rows(&f, Table::InventoryData, &all),
        lake_rows(&f, Table::NegativeInventoryAlerts, &all),
    ];
    assert_eq!(counts(&w).await, want);
    // The verified copies DuckDB read are gone with their transactions.
    let staging = f.db_path().with_file_name("warehouse.duckdb.staging");
    assert!(!staging.exists(), "{} left behind", staging.display());

    // No double counting through the catalog join: category totals are the lake's totals.
    let by_category = w
        .analytics::<SalesByCategory>(&DateFilter::all().into(), &())
        .await
        .expect("query");
    let revenue: i64 = by_category.iter().map(|r| r.revenue_cents).sum();
    assert_eq!(revenue, total_revenue_cents(&f, &all));

    // Reopening the file keeps everything (tables are never recreated).
    let before = w.table_summaries().await.expect("summaries");
    drop(w);
    let w = f.warehouse().await;
    assert_eq!(w.table_summaries().await.expect("summaries"), before);
    assert_eq!(
        w.watermark().await.expect("watermark"),
        report.watermark_after,
        "read from the file at open"
    );
    assert!(w.refresh(&f.lake).await.expect("refresh").is_noop());
}

/// The `_ext` views read the lake directly and hide partitions without a manifest. They are
/// per table: an hour missing only its inventory manifest still shows its sales.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ext_views_hide_partitions_without_a_manifest() {
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 4);
    f.write(&all).await;
    std::fs::remove_file(f.manifest_file(Table::InventoryData, all[2])).expect("rm");
    for table in Table::ALL {
        std::fs::remove_file(f.manifest_file(table, all[3])).expect("rm");
    }
    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, all[..2]);
    let ext = w
        .query_i64("SELECT count(*) FROM sales_data_ext")
        .await
        .expect("ext view");
    assert_eq!(ext, lake_rows(&f, Table::SalesData, &all[..3]));
}
