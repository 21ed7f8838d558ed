//! Each analytics query against an independent recomputation from the lake's CSV files
//! (parsed with the `csv` crate, money as integer cents), compared exactly.
#![cfg(feature = "duckdb")]

mod warehouse_fixture;

use retail_pipeline::model::{PartitionHour, Table};
use retail_pipeline::warehouse::analytics::{
    BasketStatsQuery, RevenueByStore, RowLimit, RunAnalytics, SalesByCategory, SalesByHour,
    StockByHour, TopProducts,
};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{
    AnalyticsFilter, BasketStats, CategorySales, DateFilter, HourlySales, HourlyStock,
    ProductSales, StoreRevenue,
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
            let (warehouse, _) = fixture.loaded_warehouse(&hours).await;
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
        .block_on(
            s.warehouse
                .analytics::<SalesByCategory>(&DateFilter::all().into(), &()),
        )
        .expect("query");
    assert_eq!(got, want);

    // A date filter keeps exactly that date's rows.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let got = rt
        .block_on(
            s.warehouse
                .analytics::<SalesByCategory>(&DateFilter::day(day).into(), &()),
        )
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
        .block_on(
            s.warehouse
                .analytics::<RevenueByStore>(&DateFilter::all().into(), &()),
        )
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
        .block_on(
            s.warehouse
                .analytics::<TopProducts>(&DateFilter::all().into(), &RowLimit(10)),
        )
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
        .block_on(
            s.warehouse
                .analytics::<StockByHour>(&DateFilter::all().into(), &()),
        )
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
        .block_on(
            s.warehouse
                .analytics::<BasketStatsQuery>(&DateFilter::all().into(), &()),
        )
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
        .block_on(
            s.warehouse
                .analytics::<TopProducts>(&DateFilter::all().into(), &RowLimit(1)),
        )
        .expect("query");
    let json = serde_json::to_value(&rows).expect("json");
    let row = &json[0];
    for key in ["product_id", "name", "category", "units", "revenue_cents"] {
        assert!(row.get(key).is_some(), "{key} in {row}");
    }
    assert!(row["revenue_cents"].is_i64());
}

#[test]
fn sales_by_hour_matches_the_lake_and_sums_to_the_daily_figures() {
    let s = shared();
    let catalog = by_id(
        &newest(s, Table::ProductCatalog),
        "product_id",
        &["category"],
    );
    let mut sums: BTreeMap<(String, u8, String), (i64, i64)> = BTreeMap::new();
    for (hour, t) in read_table(&s.fixture, Table::SalesData, &s.hours) {
        let [product, qty, total] = ["product_id", "quantity", "total_amount"].map(|c| t.col(c));
        for r in &t.rows {
            let category = catalog[&r[product]][0].clone();
            let e = sums
                .entry((hour.date_string(), hour.hour(), category))
                .or_default();
            e.0 += r[qty].parse::<i64>().expect("quantity");
            e.1 += cents(&r[total]);
        }
    }
    let mut want: Vec<HourlySales> = sums
        .into_iter()
        .map(
            |((date, hour, category), (units, revenue_cents))| HourlySales {
                date,
                hour,
                category,
                units,
                revenue_cents,
            },
        )
        .collect();
    want.sort_by(|a, b| {
        (&a.date, a.hour, -a.revenue_cents, &a.category).cmp(&(
            &b.date,
            b.hour,
            -b.revenue_cents,
            &b.category,
        ))
    });
    let rt = runtime();
    let got = rt
        .block_on(
            s.warehouse
                .analytics::<SalesByHour>(&AnalyticsFilter::default(), &()),
        )
        .expect("query");
    assert_eq!(got, want);
    let hours: BTreeSet<(String, u8)> = got.iter().map(|r| (r.date.clone(), r.hour)).collect();
    assert_eq!(hours.len(), s.hours.len(), "every loaded hour has sales");

    let daily = rt
        .block_on(
            s.warehouse
                .analytics::<SalesByCategory>(&AnalyticsFilter::default(), &()),
        )
        .expect("query");
    let mut summed: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in &got {
        let e = summed
            .entry((r.date.clone(), r.category.clone()))
            .or_default();
        e.0 += r.units;
        e.1 += r.revenue_cents;
    }
    let daily: BTreeMap<(String, String), (i64, i64)> = daily
        .into_iter()
        .map(|r| ((r.date, r.category), (r.units, r.revenue_cents)))
        .collect();
    assert_eq!(summed, daily);
}

/// Category, state and store filters keep exactly the matching rows of every query,
/// checked against the unfiltered results and against the lake.
#[test]
fn filters_restrict_every_query_to_their_slice() {
    let s = shared();
    let rt = runtime();
    let all = AnalyticsFilter::default();
    let stores = by_id(&newest(s, Table::Stores), "store_id", &["state"]);
    let (store, state) = stores
        .iter()
        .min_by_key(|(id, _)| id.as_str())
        .map(|(id, v)| (id.clone(), v[0].clone()))
        .expect("a store");
    let by_category = |category: &str| AnalyticsFilter {
        category: Some(category.into()),
        ..AnalyticsFilter::default()
    };
    let by_state = AnalyticsFilter {
        state: Some(state.clone()),
        ..AnalyticsFilter::default()
    };
    let by_store = AnalyticsFilter {
        store_id: Some(store.clone()),
        ..AnalyticsFilter::default()
    };

    // Category: sales rows are the unfiltered rows of that category.
    let daily = rt
        .block_on(s.warehouse.analytics::<SalesByCategory>(&all, &()))
        .expect("query");
    let category = daily[0].category.clone();
    let got = rt
        .block_on(
            s.warehouse
                .analytics::<SalesByCategory>(&by_category(&category), &()),
        )
        .expect("query");
    let want: Vec<_> = daily
        .into_iter()
        .filter(|r| r.category == category)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let top = rt
        .block_on(
            s.warehouse
                .analytics::<TopProducts>(&by_category(&category), &RowLimit(1000)),
        )
        .expect("query");
    assert!(!top.is_empty() && top.iter().all(|p| p.category == category));
    let revenue: i64 = top.iter().map(|p| p.revenue_cents).sum();
    assert_eq!(revenue, want.iter().map(|r| r.revenue_cents).sum::<i64>());

    // State: the stores of that state, unchanged.
    let stores_all = rt
        .block_on(s.warehouse.analytics::<RevenueByStore>(&all, &()))
        .expect("query");
    let got = rt
        .block_on(s.warehouse.analytics::<RevenueByStore>(&by_state, &()))
        .expect("query");
    let want: Vec<_> = stores_all
        .iter()
        .filter(|r| r.state == state)
        .cloned()
        .collect();
    assert_eq!(got, want);

    // Store: baskets and stock of that store only, recomputed from the lake.
    let mut days: BTreeMap<String, (BTreeSet<String>, i64)> = BTreeMap::new();
    for (date, tx, st, _, _, cents) in sales(s) {
        if st == store {
            let e = days.entry(date).or_default();
            e.0.insert(tx);
            e.1 += cents;
        }
    }
    let got = rt
        .block_on(
            s.warehouse
                .analytics::<BasketStatsQuery>(&by_store.clone(), &()),
        )
        .expect("query");
    let got: BTreeMap<String, (i64, i64)> = got
        .into_iter()
        .map(|d| (d.date, (d.baskets, d.revenue_cents)))
        .collect();
    let want: BTreeMap<String, (i64, i64)> = days
        .into_iter()
        .map(|(d, (tx, cents))| (d, (tx.len() as i64, cents)))
        .collect();
    assert_eq!(got, want);
    let stock = rt
        .block_on(s.warehouse.analytics::<StockByHour>(&by_store, &()))
        .expect("query");
    let want: Vec<(i64, i64)> = read_table(&s.fixture, Table::InventoryData, &s.hours)
        .into_iter()
        .map(|(_, inv)| {
            let (st, closing) = (inv.col("store_id"), inv.col("closing_stock"));
            let mine = || {
                inv.rows
                    .iter()
                    .filter(|r| r[st] == store)
                    .map(|r| r[closing].parse::<i64>().expect("int"))
            };
            (
                mine().filter(|&c| c <= 0).count() as i64,
                mine().filter(|&c| c < 0).count() as i64,
            )
        })
        .collect();
    let got: Vec<(i64, i64)> = stock
        .iter()
        .map(|h| (h.stockouts, h.negative_stock))
        .collect();
    assert_eq!(got, want);
    assert!(stock.iter().all(|h| h.alerts == h.negative_stock));

    // A value no row has gives no rows, not an error.
    let none = rt
        .block_on(
            s.warehouse
                .analytics::<SalesByHour>(&by_category("No Such Category"), &()),
        )
        .expect("query");
    assert!(none.is_empty());
}
