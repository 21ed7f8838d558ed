//! The BigQuery warehouse against the BigQuery emulator (bqemulator), on real lakes written by
//! the generator: exact loads, idempotence, late hours, corrupt partitions, and analytics equal
//! to the DuckDB warehouse's on the same lake. Skips (passing, loudly) without
//! RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod warehouse_fixture;

mod common;

use common::bq::{drop_dataset, open, unique_dataset};

use retail_pipeline::lake::{crc32c_hex, Manifest};
use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::bigquery::{BigQueryWarehouse, PUBSUB_VIEWS, STAGING_PREFIX};
use retail_pipeline::warehouse::{AnalyticsFilter, DateFilter, Warehouse};
use warehouse_fixture::{h, hours, read_table, Fixture};

/// Rewrites a data file and its manifest so that the checksums match bad content: only the
/// warehouse's own loading can catch it then.
fn replace_with_valid_manifest(f: &Fixture, table: Table, hour: PartitionHour, bytes: &[u8]) {
    std::fs::write(f.file(table, hour), bytes).expect("write");
    let path = f.manifest_file(table, hour);
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("manifest");
    manifest.files[0].bytes = bytes.len() as u64;
    manifest.files[0].crc32c = crc32c_hex(bytes);
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write");
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
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let f = Fixture::new();
    // Across a day boundary; hour 01 arrives late.
    let all = hours("2026-11-20T22", 4);
    let first = [all[0], all[1], all[3]];
    f.write(&first).await;
    let dataset = unique_dataset("rp_test");
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
    drop_dataset(&endpoint, &dataset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_partition_fails_only_its_hour_and_loads_once_repaired() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let f = Fixture::new();
    let all = hours("2026-11-20T22", 4);
    f.write(&all).await;
    // Roles by what the lake holds: the alert case needs an hour with alerts.
    let alert_hour = *all
        .iter()
        .rev()
        .find(|h| lake_rows(&f, Table::NegativeInventoryAlerts, &[**h]) > 0)
        .expect("an hour with alerts");
    let others: Vec<PartitionHour> = all.iter().copied().filter(|h| *h != alert_hour).collect();
    let (good, flipped, bad_number) = (others[0], others[1], others[2]);
    // One byte of a sales file changed after its manifest was written.
    let sales = f.file(Table::SalesData, flipped);
    let mut bytes = std::fs::read(&sales).expect("read");
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    std::fs::write(&sales, &bytes).expect("write");
    // Inventory with a non-number in it, and a manifest that matches it: the load job fails
    // after the hour's sales were staged.
    let text = std::fs::read_to_string(f.file(Table::InventoryData, bad_number)).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[5] = lines[5].replacen(",", ",x", 3);
    let bad = lines.join("\n") + "\n";
    replace_with_valid_manifest(&f, Table::InventoryData, bad_number, bad.as_bytes());
    // An alert row claiming another hour, with a matching manifest: caught inside the hour's
    // transaction after its inserts, which must roll back.
    let text =
        std::fs::read_to_string(f.file(Table::NegativeInventoryAlerts, alert_hour)).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    assert_eq!(fields[2], alert_hour.hour().to_string(), "{}", lines[1]);
    fields[2] = ((alert_hour.hour() + 1) % 24).to_string();
    lines[1] = fields.join(",");
    let bad = lines.join("\n") + "\n";
    replace_with_valid_manifest(
        &f,
        Table::NegativeInventoryAlerts,
        alert_hour,
        bad.as_bytes(),
    );

    let dataset = unique_dataset("rp_test");
    let w = open(&endpoint, &dataset).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, vec![good]);
    let file = |table: Table, hour: PartitionHour| {
        format!(
            "{table}/date={}/hour={:02}/part-00000.csv",
            hour.date_string(),
            hour.hour()
        )
    };
    let mut want = vec![
        (
            flipped,
            Table::SalesData,
            file(Table::SalesData, flipped),
            "crc32c",
        ),
        (
            bad_number,
            Table::InventoryData,
            file(Table::InventoryData, bad_number),
            "x",
        ),
        (
            alert_hour,
            Table::SalesData,
            format!(
                "date={}/hour={:02}",
                alert_hour.date_string(),
                alert_hour.hour()
            ),
            "not of partition",
        ),
    ];
    want.sort_by_key(|w| w.0);
    assert_eq!(report.failures.len(), want.len(), "{:#?}", report.failures);
    for (failure, (hour, table, path, why)) in report.failures.iter().zip(&want) {
        assert_eq!((failure.hour, failure.table), (*hour, *table), "{failure}");
        let text = failure.to_string();
        assert!(text.contains(path.as_str()), "{text} names {path}");
        assert!(text.contains(why), "{text} says {why}");
    }
    // Nothing of the failed hours in any fact table; the good hour whole.
    assert_eq!(counts(&w).await, expected(&f, &[good]));
    let hourly = w
        .stock_by_hour(DateFilter::all().into())
        .await
        .expect("stock by hour");
    let loaded: Vec<u8> = hourly.iter().map(|r| r.hour).collect();
    assert_eq!(loaded, vec![good.hour()]);
    assert_eq!(report.watermark_after, Some(good));
    // Every staging table was dropped, failed loads' included.
    let tables = common::bq_table_ids(&endpoint, &dataset).await;
    assert!(
        !tables.iter().any(|t| t.starts_with(STAGING_PREFIX)),
        "{tables:?}"
    );
    assert_eq!(
        tables.len(),
        13 + 2 * PUBSUB_VIEWS.len(),
        "managed, state, stream tables, two views, Pub/Sub landing tables and their views: {tables:?}"
    );

    // Regenerated, the failed hours load on the next refresh.
    for hour in &others[1..] {
        for table in Table::ALL {
            std::fs::remove_file(f.manifest_file(table, *hour)).expect("rm manifest");
        }
    }
    for table in Table::ALL {
        std::fs::remove_file(f.manifest_file(table, alert_hour)).expect("rm manifest");
    }
    let mut repaired = vec![flipped, bad_number, alert_hour];
    repaired.sort();
    f.write(&repaired).await;
    let report = w.refresh(&f.lake).await.expect("refresh repaired");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, repaired);
    assert_eq!(counts(&w).await, expected(&f, &all));
    drop_dataset(&endpoint, &dataset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_analytics_query_equals_the_duckdb_warehouse() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let f = Fixture::new();
    let all = hours("2026-11-20T23", 3);
    f.write(&all).await;
    let dataset = unique_dataset("rp_test");
    let bq = open(&endpoint, &dataset).await;
    let duck = f.warehouse().await;

    // The same tables and columns, in the same order, as the DuckDB warehouse (whose `_ext`
    // views are external tables here, not created by the code). The Pub/Sub landing tables and
    // their views are BigQuery's alone: nothing writes them into DuckDB.
    let pubsub = |t: &str| PUBSUB_VIEWS.iter().any(|v| v.raw == t || v.view == t);
    let names = |cols: Vec<(String, String)>| -> Vec<String> {
        cols.into_iter().map(|(t, c)| format!("{t}.{c}")).collect()
    };
    let want = names(
        duck.columns()
            .await
            .expect("duckdb columns")
            .into_iter()
            .filter(|c| !c.table.ends_with("_ext"))
            .map(|c| (c.table, c.column))
            .collect(),
    );
    let got = names(
        bq.columns()
            .await
            .expect("bigquery columns")
            .into_iter()
            .filter(|(t, _, _)| !pubsub(t))
            .map(|(t, c, _)| (t, c))
            .collect(),
    );
    assert_eq!(got, want);

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
