//! The BigQuery warehouse against the BigQuery emulator (bqemulator), on real lakes written by
//! the generator: the shared `Warehouse` contract suite, a dataset opened twice, and analytics
//! equal to the DuckDB warehouse's on the same lake. Skips (passing, loudly) without
//! RP_TEST_BQ_ENDPOINT; each test works in a dataset of its own.
#![cfg(all(feature = "gcp", feature = "duckdb"))]

mod warehouse_fixture;

mod common;

use common::bq::{drop_dataset, open, unique_dataset};
use retail_pipeline::warehouse::analytics::{
    BasketStatsQuery, RevenueByStore, RowLimit, RunAnalytics, SalesByCategory, SalesByHour,
    StockByHour, TopProducts,
};

use async_trait::async_trait;
use retail_pipeline::lake::Lake;
use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::analytics::{
    self, AnalyticsQuery, CategoryChange, PeriodDays, SalesHeatmap, StoreHourKpis,
};
use retail_pipeline::warehouse::bigquery::{BigQueryWarehouse, PUBSUB_VIEWS, STAGING_PREFIX};
use retail_pipeline::warehouse::contract::{self, Backend, Subject};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{AnalyticsFilter, DateFilter, Warehouse};
use warehouse_fixture::{h, hours, read_table, Fixture};

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

/// A BigQuery dataset of its own beside a local lake; the dataset is dropped on close.
struct BigQuerySubject {
    fixture: Fixture,
    warehouse: BigQueryWarehouse,
    endpoint: String,
    dataset: String,
}

#[async_trait]
impl Subject for BigQuerySubject {
    fn warehouse(&self) -> &dyn Warehouse {
        &self.warehouse
    }

    fn lake(&self) -> &Lake {
        &self.fixture.lake
    }

    async fn managed_rows(&self) -> Vec<u64> {
        counts(&self.warehouse).await
    }

    async fn close(self: Box<Self>) {
        // Every staging table was dropped, failed loads' included.
        let tables = common::bq_table_ids(&self.endpoint, &self.dataset).await;
        assert!(
            !tables.iter().any(|t| t.starts_with(STAGING_PREFIX)),
            "{tables:?}"
        );
        drop_dataset(&self.endpoint, &self.dataset).await;
    }
}

struct BigQuery {
    endpoint: String,
}

#[async_trait]
impl Backend for BigQuery {
    async fn open(&self) -> Box<dyn Subject> {
        let dataset = unique_dataset("rp_test");
        let warehouse = open(&self.endpoint, &dataset).await;
        Box::new(BigQuerySubject {
            fixture: Fixture::new(),
            warehouse,
            endpoint: self.endpoint.clone(),
            dataset,
        })
    }
}

/// The query `Q` answers the same rows in the DuckDB and the BigQuery warehouse.
async fn agree<Q: AnalyticsQuery>(
    duck: &DuckDbWarehouse,
    bq: &BigQueryWarehouse,
    filter: &AnalyticsFilter,
    params: &Q::Params,
    label: &str,
) where
    Q::Row: PartialEq + std::fmt::Debug,
{
    let want = duck.analytics::<Q>(filter, params).await.expect("duck");
    let got = bq.analytics::<Q>(filter, params).await.expect("bq");
    assert_eq!(got, want, "{} {label}", Q::NAME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bigquery_keeps_the_warehouse_contract() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    contract::run_all(&BigQuery { endpoint }).await;
}

/// A second open of the same dataset sees what the first loaded: nothing to load again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_open_of_the_dataset_keeps_the_loaded_hours() {
    let Some(endpoint) = common::bq_test_endpoint() else {
        return;
    };
    let f = Fixture::new();
    let all = hours("2026-11-20T23", 2);
    f.write(&all).await;
    let dataset = unique_dataset("rp_test");
    let w = open(&endpoint, &dataset).await;
    let report = w.refresh(&f.lake).await.expect("refresh");
    assert_eq!(report.hours_loaded, all);
    let want = expected(&f, &all);
    assert_eq!(counts(&w).await, want);

    let again = open(&endpoint, &dataset).await;
    assert_eq!(again.watermark().await.expect("watermark"), Some(all[1]));
    let report = again.refresh(&f.lake).await.expect("second refresh");
    assert!(report.is_noop(), "{report:?}");
    assert!(report.failures.is_empty());
    assert_eq!(counts(&again).await, want);
    let streams = again.stream_rows().await.expect("stream rows");
    assert_eq!(streams.len(), 4);
    assert!(streams.iter().all(|(_, n)| *n == 0));
    let tables = common::bq_table_ids(&endpoint, &dataset).await;
    assert_eq!(
        tables.len(),
        13 + 2 * PUBSUB_VIEWS.len(),
        "managed, state, stream tables, two views, Pub/Sub landing tables and their views: {tables:?}"
    );
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
        .analytics::<RevenueByStore>(&DateFilter::all().into(), &())
        .await
        .expect("stores");
    let store = all_rows[0].store_id.clone();
    let state = all_rows[0].state.clone();
    let categories = duck
        .analytics::<SalesByCategory>(&DateFilter::all().into(), &())
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
        agree::<SalesByCategory>(&duck, &bq, &filter, &(), &label).await;
        agree::<SalesByHour>(&duck, &bq, &filter, &(), &label).await;
        agree::<RevenueByStore>(&duck, &bq, &filter, &(), &label).await;
        for limit in [1, 7] {
            let label = format!("{limit} {label}");
            agree::<TopProducts>(&duck, &bq, &filter, &RowLimit(limit), &label).await;
        }
        agree::<StockByHour>(&duck, &bq, &filter, &(), &label).await;
        agree::<BasketStatsQuery>(&duck, &bq, &filter, &(), &label).await;
        // Seeds 001 and 002's panels.
        agree::<StoreHourKpis>(&duck, &bq, &filter, &(), &label).await;
        agree::<SalesHeatmap>(&duck, &bq, &filter, &(), &label).await;
        for days in [PeriodDays(1), PeriodDays(7)] {
            let label = format!("{days:?} {label}");
            agree::<CategoryChange>(&duck, &bq, &filter, &days, &label).await;
        }
    }
    let changes =
        analytics::run::<CategoryChange, _>(&bq, &AnalyticsFilter::default(), &PeriodDays(1))
            .await
            .expect("bq");
    assert!(
        changes.iter().any(|c| c.revenue_change.is_some()),
        "{changes:?}"
    );
    // The unfiltered results are not trivially empty.
    assert!(!bq
        .analytics::<SalesByHour>(&AnalyticsFilter::default(), &())
        .await
        .expect("bq")
        .is_empty());
    assert!(!bq
        .analytics::<BasketStatsQuery>(&AnalyticsFilter::default(), &())
        .await
        .expect("bq")
        .is_empty());
}
