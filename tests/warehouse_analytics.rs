//! Each analytics query against an independent recomputation from the lake's CSV files
//! (parsed with the `csv` crate, money as integer cents), compared exactly.
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{
    BasketStats, CategorySales, DateFilter, HourlyStock, ProductSales, StoreRevenue, Warehouse,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;
use warehouse_fixture::{cents, hours, read_table, CsvRows, Fixture};

struct Shared {
    fixture: Fixture,
    warehouse: DuckDbWarehouse,
    hours: Vec<PartitionHour>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// One lake of 36 hours (a full day and half of the next), loaded once for every test here.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        runtime().block_on(async {
            let fixture = Fixture::in_target_tmp();
            let hours = hours("2026-11-20T00", 36);
            fixture.write(&hours).await;
            let warehouse = fixture.warehouse().await;
            let report = warehouse.refresh(&fixture.lake).await.expect("refresh");
            assert!(report.failures.is_empty(), "{:?}", report.failures);
            Shared {
                fixture,
                warehouse,
                hours,
            }
        })
    })
}

fn newest(s: &Shared, table: Table) -> CsvRows {
    let last = *s.hours.last().expect("hours");
    CsvRows::read(&s.fixture.file(table, last))
}

/// Every sales line of the lake: (date, transaction_id, store, product, quantity, cents).
fn sales(s: &Shared) -> Vec<(String, String, String, String, i64, i64)> {
    let mut out = Vec::new();
    for (hour, t) in read_table(&s.fixture, Table::SalesData, &s.hours) {
        let [tx, store, product, qty, total] = [
            "transaction_id",
            "store_id",
            "product_id",
            "quantity",
            "total_amount",
        ]
        .map(|c| t.col(c));
        for r in &t.rows {
            out.push((
                hour.date_string(),
                r[tx].to_string(),
                r[store].to_string(),
                r[product].to_string(),
                r[qty].parse::<i64>().expect("quantity"),
                cents(&r[total]),
            ));
        }
    }
    out
}

fn by_id(t: &CsvRows, id: &str, fields: &[&str]) -> HashMap<String, Vec<String>> {
    let id = t.col(id);
    let cols: Vec<usize> = fields.iter().map(|f| t.col(f)).collect();
    t.rows
        .iter()
        .map(|r| {
            (
                r[id].to_string(),
                cols.iter().map(|&c| r[c].to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn sales_by_category_matches_the_lake() {
    let s = shared();
    let catalog = by_id(
        &newest(s, Table::ProductCatalog),
        "product_id",
        &["category"],
    );
    let mut sums: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (date, _, _, product, qty, cents) in sales(s) {
        let category = catalog[&product][0].clone();
        let e = sums.entry((date, category)).or_default();
        e.0 += qty;
        e.1 += cents;
    }
    let mut want: Vec<CategorySales> = sums
        .into_iter()
        .map(|((date, category), (units, revenue_cents))| CategorySales {
            date,
            category,
            units,
            revenue_cents,
        })
        .collect();
    want.sort_by(|a, b| {
        (&a.date, -a.revenue_cents, &a.category).cmp(&(&b.date, -b.revenue_cents, &b.category))
    });
    let rt = runtime();
    let got = rt
        .block_on(s.warehouse.sales_by_category(DateFilter::all()))
        .expect("query");
    assert_eq!(got, want);

    // A date filter keeps exactly that date's rows.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let got = rt
        .block_on(s.warehouse.sales_by_category(DateFilter::day(day)))
        .expect("query");
    let want: Vec<_> = want
        .into_iter()
        .filter(|r| r.date == "2026-11-21")
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn revenue_by_store_matches_the_lake() {
    let s = shared();
    let stores = by_id(
        &newest(s, Table::Stores),
        "store_id",
        &["state", "store_name", "city"],
    );
    let mut sums: BTreeMap<String, (BTreeSet<String>, i64, i64)> = BTreeMap::new();
    for (_, tx, store, _, qty, cents) in sales(s) {
        let e = sums.entry(store).or_default();
        e.0.insert(tx);
        e.1 += qty;
        e.2 += cents;
    }
    let mut want: Vec<StoreRevenue> = sums
        .into_iter()
        .map(|(store_id, (baskets, units, revenue_cents))| {
            let info = &stores[&store_id];
            StoreRevenue {
                state: info[0].clone(),
                store_name: Some(info[1].clone()),
                city: Some(info[2].clone()),
                store_id,
                baskets: baskets.len() as i64,
                units,
                revenue_cents,
            }
        })
        .collect();
    want.sort_by(|a, b| {
        (&a.state, -a.revenue_cents, &a.store_id).cmp(&(&b.state, -b.revenue_cents, &b.store_id))
    });
    let got = runtime()
        .block_on(s.warehouse.revenue_by_store(DateFilter::all()))
        .expect("query");
    assert_eq!(got.len(), warehouse_fixture::scale().stores as usize);
    assert_eq!(got, want);
}

#[test]
fn top_products_match_the_lake() {
    let s = shared();
    let catalog = by_id(
        &newest(s, Table::ProductCatalog),
        "product_id",
        &["name", "category"],
    );
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, _, _, product, qty, cents) in sales(s) {
        let e = sums.entry(product).or_default();
        e.0 += qty;
        e.1 += cents;
    }
    let mut want: Vec<ProductSales> = sums
        .into_iter()
        .map(|(product_id, (units, revenue_cents))| ProductSales {
            name: Some(catalog[&product_id][0].clone()),
            category: catalog[&product_id][1].clone(),
            product_id,
            units,
            revenue_cents,
        })
        .collect();
    want.sort_by(|a, b| (-a.revenue_cents, &a.product_id).cmp(&(-b.revenue_cents, &b.product_id)));
    want.truncate(10);
    let got = runtime()
        .block_on(s.warehouse.top_products(DateFilter::all(), 10))
        .expect("query");
    assert_eq!(got, want);
}

#[test]
fn stock_by_hour_matches_the_lake() {
    let s = shared();
    let alerts = read_table(&s.fixture, Table::NegativeInventoryAlerts, &s.hours);
    let want: Vec<HourlyStock> = read_table(&s.fixture, Table::InventoryData, &s.hours)
        .into_iter()
        .zip(alerts)
        .map(|((hour, inv), (_, alerts))| {
            let closing = inv.col("closing_stock");
            let closing = || {
                inv.rows
                    .iter()
                    .map(|r| r[closing].parse::<i64>().expect("int"))
            };
            HourlyStock {
                date: hour.date_string(),
                hour: hour.hour(),
                stockouts: closing().filter(|&c| c <= 0).count() as i64,
                negative_stock: closing().filter(|&c| c < 0).count() as i64,
                alerts: alerts.rows.len() as i64,
            }
        })
        .collect();
    assert!(want.iter().any(|h| h.alerts > 0), "some hours have alerts");
    let got = runtime()
        .block_on(s.warehouse.stock_by_hour(DateFilter::all()))
        .expect("query");
    assert_eq!(got, want);
    // The data contract: one alert per pair below zero.
    assert!(got.iter().all(|h| h.alerts == h.negative_stock));
}

#[test]
fn basket_stats_match_the_lake() {
    let s = shared();
    let mut days: BTreeMap<String, (BTreeSet<String>, i64, i64, i64)> = BTreeMap::new();
    for (date, tx, _, _, qty, cents) in sales(s) {
        let e = days.entry(date).or_default();
        e.0.insert(tx);
        e.1 += 1;
        e.2 += qty;
        e.3 += cents;
    }
    let want: Vec<BasketStats> = days
        .into_iter()
        .map(|(date, (baskets, lines, units, revenue_cents))| {
            let baskets = baskets.len() as i64;
            BasketStats {
                date,
                baskets,
                lines,
                units,
                revenue_cents,
                avg_basket_cents: revenue_cents as f64 / baskets as f64,
                avg_units: units as f64 / baskets as f64,
            }
        })
        .collect();
    let got = runtime()
        .block_on(s.warehouse.basket_stats(DateFilter::all()))
        .expect("query");
    assert_eq!(got, want);
    assert!(
        got.iter().all(|d| d.lines > d.baskets),
        "baskets have several lines"
    );
}

#[test]
fn analytics_serialize_for_the_api() {
    let s = shared();
    let rows = runtime()
        .block_on(s.warehouse.top_products(DateFilter::all(), 1))
        .expect("query");
    let json = serde_json::to_value(&rows).expect("json");
    let row = &json[0];
    for key in ["product_id", "name", "category", "units", "revenue_cents"] {
        assert!(row.get(key).is_some(), "{key} in {row}");
    }
    assert!(row["revenue_cents"].is_i64());
}
