//! A Parquet lake in the embedded warehouse: the refresh and the `_ext` views give exactly
//! the rows a CSV lake of the same hours gives (DuckDB's own Parquet reader against its CSV
//! reader), and a damaged Parquet file fails its hour only, named.
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use retail_pipeline::model::{LakeFormat, Table};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::Warehouse;
use warehouse_fixture::{hours, managed_tables, Fixture};

/// Every row of a relation, ordered, as text; `select` picks the columns.
async fn all_rows(w: &DuckDbWarehouse, select: &str, relation: &str) -> Vec<Vec<Option<String>>> {
    w.query_rows(&format!(
        "SELECT {select} FROM main.{relation} ORDER BY ALL"
    ))
    .await
    .expect("rows")
}

async fn ext_types(w: &DuckDbWarehouse) -> Vec<Vec<Option<String>>> {
    w.query_rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'main' AND table_name LIKE '%_ext' ORDER BY table_name, ordinal_position",
    )
    .await
    .expect("columns")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parquet_lake_loads_the_same_tables_as_a_csv_lake() {
    let all = hours("2026-11-19T20", 8); // across midnight
    let csv = Fixture::new();
    let parquet = Fixture::with_format(LakeFormat::Parquet);
    csv.write(&all).await;
    parquet.write(&all).await;
    assert!(parquet.file(Table::SalesData, all[0]).exists());
    assert!(!csv
        .file(Table::SalesData, all[0])
        .with_extension("parquet")
        .exists());

    let (wc, wp) = (csv.warehouse().await, parquet.warehouse().await);
    let (rc, rp) = (
        wc.refresh(&csv.lake).await.expect("refresh csv"),
        wp.refresh(&parquet.lake).await.expect("refresh parquet"),
    );
    assert!(rp.failures.is_empty(), "{:#?}", rp.failures);
    assert_eq!(rp.hours_loaded, rc.hours_loaded);
    assert_eq!(rp.hours_loaded, all);
    for table in managed_tables() {
        // ingested_at is the load's own clock.
        let select = "* EXCLUDE (ingested_at)";
        let (a, b) = (
            all_rows(&wc, select, table).await,
            all_rows(&wp, select, table).await,
        );
        assert!(!a.is_empty(), "{table} has rows");
        assert_eq!(a, b, "{table}");
    }
    for table in Table::ALL {
        let view = format!("{table}_ext");
        let (a, b) = (
            all_rows(&wc, "*", &view).await,
            all_rows(&wp, "*", &view).await,
        );
        assert!(!a.is_empty(), "{view} has rows");
        assert_eq!(a, b, "{view}");
    }
    // Same column names and types in the views over both formats.
    assert_eq!(ext_types(&wc).await, ext_types(&wp).await);
    // A second refresh changes nothing.
    assert!(wp.refresh(&parquet.lake).await.expect("again").is_noop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_parquet_file_fails_its_hour_only() {
    let f = Fixture::with_format(LakeFormat::Parquet);
    let all = hours("2026-11-20T00", 3);
    f.write(&all).await;
    let sales = f.file(Table::SalesData, all[1]);
    let bytes = std::fs::read(&sales).expect("read");
    std::fs::write(&sales, &bytes[..bytes.len() - 10]).expect("cut short");
    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, [all[0], all[2]]);
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
    let text = report.failures[0].to_string();
    assert!(
        text.contains("sales_data/date=2026-11-20/hour=01/part-00000.parquet"),
        "{text}"
    );
}
