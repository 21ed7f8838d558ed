//! Refresh semantics of the embedded warehouse against a real lake: exact loads, idempotence,
//! late arrivals, incomplete and corrupt partitions.
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use retail_pipeline::lake::{crc32c_hex, Manifest};
use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{DateFilter, Warehouse};
use warehouse_fixture::{cents, h, hours, read_table, Fixture};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_loads_exactly_the_lake_and_a_second_run_changes_nothing() {
    let f = Fixture::new();
    // 30 hours: across a day boundary, so the catalog is offered by many hours.
    let all = hours("2026-11-20T00", 30);
    f.write(&all).await;
    let w = f.warehouse().await;
    assert_eq!(w.watermark().await.expect("watermark"), None);

    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.hours_loaded, all);
    assert_eq!(report.watermark_before, None);
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
    assert!(want[4] > 0, "the small scale yields alerts to load");
    for (i, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(report.rows_of(table) as i64, want[i], "{table} rows merged");
    }
    // Dimensions come from the newest hour only, once.
    assert_eq!(report.dimensions_merged.len(), 2);
    assert!(report
        .dimensions_merged
        .iter()
        .all(|d| d.hour == h("2026-11-21T05")));

    // No double counting through the catalog join: category totals are the lake's totals.
    let by_category = w
        .sales_by_category(DateFilter::all().into())
        .await
        .expect("query");
    let revenue: i64 = by_category.iter().map(|r| r.revenue_cents).sum();
    assert_eq!(revenue, total_revenue_cents(&f, &all));

    let before = w.table_summaries().await.expect("summaries");
    let again = w.refresh(&f.lake).await.expect("second refresh");
    assert!(again.is_noop(), "second refresh loaded {again:?}");
    assert!(again.rows.iter().all(|r| r.rows == 0));
    assert_eq!(again.watermark_after, report.watermark_after);
    assert_eq!(w.table_summaries().await.expect("summaries"), before);

    // Reopening the file keeps everything (tables are never recreated).
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_arriving_older_hours_are_loaded_without_moving_the_watermark_back() {
    let f = Fixture::new();
    let first: Vec<_> = hours("2026-11-20T00", 12)
        .into_iter()
        .filter(|h| !(6..=7).contains(&h.hour()))
        .collect();
    f.write(&first).await;
    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded.len(), 10);
    assert_eq!(report.watermark_after, Some(h("2026-11-20T11")));
    let catalog_source = report.dimensions_merged.clone();

    let late = hours("2026-11-20T06", 2);
    f.write(&late).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.hours_loaded, late);
    assert_eq!(report.watermark_after, Some(h("2026-11-20T11")));
    assert!(
        report.dimensions_merged.is_empty(),
        "an older hour must not replace the dimensions merged from {catalog_source:?}"
    );
    let all = hours("2026-11-20T00", 12);
    assert_eq!(
        counts(&w).await[2..],
        [
            lake_rows(&f, Table::SalesData, &all),
            lake_rows(&f, Table::InventoryData, &all),
            lake_rows(&f, Table::NegativeInventoryAlerts, &all),
        ]
    );
    let stock = w
        .stock_by_hour(DateFilter::all().into())
        .await
        .expect("query");
    assert_eq!(stock.len(), 12, "every hour present once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incomplete_hours_are_skipped_until_their_manifests_exist() {
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 4);
    f.write(&all).await;
    // Hour 2 as a crash between data and manifests leaves it: one manifest missing.
    // Hour 3 with no manifest at all (crash before any was written).
    std::fs::remove_file(f.manifest_file(Table::InventoryData, all[2])).expect("rm");
    for table in Table::ALL {
        std::fs::remove_file(f.manifest_file(table, all[3])).expect("rm");
    }
    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.hours_loaded, all[..2]);
    assert_eq!(report.hours_incomplete, 1);
    assert_eq!(
        counts(&w).await[2],
        lake_rows(&f, Table::SalesData, &all[..2])
    );
    // The _ext views hide partitions without a manifest. They are per table: hour 2's sales
    // partition is complete (only its inventory manifest is missing), hour 3's is not.
    let ext = ext_sales_rows(&w).await;
    assert_eq!(ext, lake_rows(&f, Table::SalesData, &all[..3]));

    // The generator completes them (rewriting is idempotent): the next refresh loads them.
    f.write(&all[2..]).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, all[2..]);
    assert_eq!(counts(&w).await[2], lake_rows(&f, Table::SalesData, &all));
}

async fn ext_sales_rows(w: &DuckDbWarehouse) -> i64 {
    w.query_i64("SELECT count(*) FROM sales_data_ext")
        .await
        .expect("ext view")
}

/// Rewrites a data file and its manifest so that the checksums match bad content: only the
/// warehouse's own parsing can catch it then.
fn replace_with_valid_manifest(f: &Fixture, table: Table, hour: PartitionHour, bytes: &[u8]) {
    std::fs::write(f.file(table, hour), bytes).expect("write");
    let path = f.manifest_file(table, hour);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("manifest");
    manifest.files[0].bytes = bytes.len() as u64;
    manifest.files[0].crc32c = crc32c_hex(bytes);
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_fail_their_hour_only_and_name_the_file() {
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 6);
    f.write(&all).await;
    // Hour 1: one byte of a sales file changed (a bit flip in storage).
    let sales = f.file(Table::SalesData, all[1]);
    let mut bytes = std::fs::read(&sales).expect("read");
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    std::fs::write(&sales, &bytes).expect("write");
    // Hour 2: an inventory file cut short.
    let inventory = f.file(Table::InventoryData, all[2]);
    let bytes = std::fs::read(&inventory).expect("read");
    std::fs::write(&inventory, &bytes[..bytes.len() / 3]).expect("write");
    // Hour 3: inventory with a non-number in it, and a manifest that matches it. Sales load
    // before inventory in the hour's transaction, so this also checks the rollback.
    let good = std::fs::read(f.file(Table::InventoryData, all[3])).expect("read");
    let text = String::from_utf8(good).expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[5] = lines[5].replacen(",", ",x", 3);
    let bad = lines.join("\n") + "\n";
    replace_with_valid_manifest(&f, Table::InventoryData, all[3], bad.as_bytes());

    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    let good_hours = [all[0], all[4], all[5]];
    assert_eq!(report.hours_loaded, good_hours);
    assert_eq!(report.failures.len(), 3, "{:#?}", report.failures);
    let named = |i: usize, table: Table, hour: PartitionHour, why: &str| {
        let failure = &report.failures[i];
        assert_eq!((failure.hour, failure.table), (hour, table));
        let file = format!(
            "{}/date=2026-11-20/hour={:02}/part-00000.csv",
            table,
            hour.hour()
        );
        let text = failure.to_string();
        assert!(text.contains(&file), "{text} names {file}");
        assert!(text.contains(why), "{text} says {why}");
    };
    named(0, Table::SalesData, all[1], "crc32c");
    named(1, Table::InventoryData, all[2], "bytes");
    named(2, Table::InventoryData, all[3], "Could not convert");

    // Nothing of the failed hours is in any fact table; everything else is.
    assert_eq!(
        counts(&w).await[2..],
        [
            lake_rows(&f, Table::SalesData, &good_hours),
            lake_rows(&f, Table::InventoryData, &good_hours),
            lake_rows(&f, Table::NegativeInventoryAlerts, &good_hours),
        ]
    );
    assert_eq!(report.watermark_after, Some(all[5]));

    // Regenerated, the failed hours load on the next refresh.
    for hour in &all[1..4] {
        for table in Table::ALL {
            std::fs::remove_file(f.manifest_file(table, *hour)).expect("rm");
        }
    }
    f.write(&all[1..4]).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.hours_loaded, all[1..4]);
    assert_eq!(counts(&w).await[2], lake_rows(&f, Table::SalesData, &all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_newest_catalog_falls_back_to_the_next_newest() {
    let f = Fixture::new();
    let all = hours("2026-11-20T00", 3);
    f.write(&all).await;
    let catalog = f.file(Table::ProductCatalog, all[2]);
    let bytes = std::fs::read(&catalog).expect("read");
    std::fs::write(&catalog, &bytes[..bytes.len() - 10]).expect("truncate");
    let w = f.warehouse().await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(report.failures[0].table, Table::ProductCatalog);
    assert!(report.failures[0]
        .path
        .ends_with("date=2026-11-20/hour=02/part-00000.csv"));
    let merged: Vec<_> = report
        .dimensions_merged
        .iter()
        .map(|d| (d.table, d.hour))
        .collect();
    assert!(
        merged.contains(&(Table::ProductCatalog, all[1])),
        "{merged:?}"
    );
    assert!(merged.contains(&(Table::Stores, all[2])), "{merged:?}");
    assert_eq!(
        counts(&w).await[0],
        i64::from(warehouse_fixture::scale().products)
    );
}
