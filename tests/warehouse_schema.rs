//! The warehouse's schema is a contract (BigQuery mirrors it, dashboards query it): a
//! snapshot of every table and view, and the `_ext` views tied to the lake's CSV columns.
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use retail_pipeline::model::Table;
use retail_pipeline::warehouse::Warehouse;
use warehouse_fixture::{hours, Fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_is_stable_and_ext_views_have_the_lake_columns() {
    let f = Fixture::new();
    // An empty lake: the _ext views are stand-ins with the same columns as the real ones.
    let w = f.warehouse().await;
    let empty = w.columns().await.expect("columns");
    let listing: String = empty
        .iter()
        .map(|c| format!("{}.{} {}\n", c.table, c.column, c.data_type))
        .collect();
    insta::assert_snapshot!("warehouse_columns", listing);
    assert_eq!(
        w.query_i64("SELECT count(*) FROM sales_data_ext")
            .await
            .expect("q"),
        0
    );

    f.write(&hours("2026-11-20T00", 2)).await;
    w.refresh(&f.lake).await.expect("refresh");
    let loaded = w.columns().await.expect("columns");
    assert_eq!(loaded, empty, "real _ext views have the stand-ins' columns");

    for table in Table::ALL {
        let view = format!("{}_ext", table.name());
        let got: Vec<&str> = loaded
            .iter()
            .filter(|c| c.table == view)
            .map(|c| c.column.as_str())
            .collect();
        let mut want: Vec<&str> = table.columns().to_vec();
        if !want.contains(&"date") {
            want.extend(["date", "hour"]);
        }
        assert_eq!(got, want, "{view}");
        // The managed table keeps every lake column (BigQuery's are held to DuckDB's in
        // warehouse_bigquery.rs), plus the partition and when it was loaded.
        let managed: Vec<&str> = loaded
            .iter()
            .filter(|c| c.table == table.managed())
            .map(|c| c.column.as_str())
            .collect();
        for column in table
            .columns()
            .iter()
            .chain(&["date", "hour", "ingested_at"])
        {
            assert!(
                managed.contains(column),
                "{} lacks {column}",
                table.managed()
            );
        }
    }
    assert!(
        w.query_i64("SELECT count(*) FROM sales_data_ext")
            .await
            .expect("q")
            > 0
    );
}
