//! The batch side's panels of seeds 001 and 002 (`store_hour_kpis`, `sales_heatmap`,
//! `category_change`) against an independent recomputation from the lake's CSV files, compared
//! exactly (the averages divide the same integer totals).
#![cfg(feature = "duckdb")]

mod common;
mod warehouse_fixture;

use chrono::Datelike;
use retail_pipeline::model::Table;
use retail_pipeline::warehouse::analytics::{
    CategoryChange, CategoryPeriods, HeatmapCell, PeriodDays, SalesHeatmap, StoreHourKpi,
    StoreHourKpis,
};
use retail_pipeline::warehouse::{AnalyticsFilter, DateFilter};
use std::collections::{BTreeMap, BTreeSet};
use warehouse_fixture::{cents, hours, read_table, CsvRows, Fixture};

/// One sales line: (date, hour, transaction, store, customer, category, quantity, cents).
type Line = (
    chrono::NaiveDate,
    u8,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

async fn loaded() -> (
    Fixture,
    retail_pipeline::warehouse::duckdb::DuckDbWarehouse,
    Vec<Line>,
) {
    let fixture = Fixture::new();
    // Two whole days and the first hours of a third.
    let hours = hours("2026-11-20T00", 52);
    let (warehouse, _) = fixture.loaded_warehouse(&hours).await;
    let last = *hours.last().expect("hours");
    let catalog = CsvRows::read(&fixture.file(Table::ProductCatalog, last));
    let (pid, cat) = (catalog.col("product_id"), catalog.col("category"));
    let category: BTreeMap<String, String> = catalog
        .rows
        .iter()
        .map(|r| (r[pid].to_string(), r[cat].to_string()))
        .collect();
    let mut lines = Vec::new();
    for (hour, t) in read_table(&fixture, Table::SalesData, &hours) {
        let [tx, store, product, customer, qty, total] = [
            "transaction_id",
            "store_id",
            "product_id",
            "customer_id",
            "quantity",
            "total_amount",
        ]
        .map(|c| t.col(c));
        for r in &t.rows {
            lines.push((
                hour.date(),
                hour.hour(),
                r[tx].to_string(),
                r[store].to_string(),
                r[customer].to_string(),
                category[&r[product]].clone(),
                r[qty].parse::<i64>().expect("quantity"),
                cents(&r[total]),
            ));
        }
    }
    (fixture, warehouse, lines)
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d != 0).then(|| n as f64 / d as f64)
}

fn expected_kpis(lines: &[Line]) -> Vec<StoreHourKpi> {
    #[derive(Default)]
    struct Sums {
        tx: BTreeSet<String>,
        customers: BTreeSet<String>,
        units: i64,
        cents: i64,
        customer_cents: i64,
    }
    let mut per: BTreeMap<(String, u8), Sums> = BTreeMap::new();
    for (_, hour, tx, store, customer, _, qty, cents) in lines {
        let s = per.entry((store.clone(), *hour)).or_default();
        s.tx.insert(tx.clone());
        s.units += qty;
        s.cents += cents;
        if !customer.is_empty() {
            s.customers.insert(customer.clone());
            s.customer_cents += cents;
        }
    }
    per.into_iter()
        .map(|((store_id, hour), s)| StoreHourKpi {
            store_id,
            hour,
            transactions: s.tx.len() as i64,
            customers: s.customers.len() as i64,
            units: s.units,
            revenue_cents: s.cents,
            customer_revenue_cents: s.customer_cents,
            spend_per_customer_cents: ratio(s.customer_cents, s.customers.len() as i64),
            items_per_transaction: ratio(s.units, s.tx.len() as i64),
        })
        .collect()
}

fn expected_heatmap(lines: &[Line]) -> Vec<HeatmapCell> {
    let mut per: BTreeMap<(u8, u8), (BTreeSet<String>, i64, i64)> = BTreeMap::new();
    for (date, hour, tx, _, _, _, qty, cents) in lines {
        let weekday = date.weekday().number_from_monday() as u8;
        let e = per.entry((weekday, *hour)).or_default();
        e.0.insert(tx.clone());
        e.1 += qty;
        e.2 += cents;
    }
    per.into_iter()
        .map(
            |((weekday, hour), (tx, units, revenue_cents))| HeatmapCell {
                weekday,
                hour,
                transactions: tx.len() as i64,
                units,
                revenue_cents,
            },
        )
        .collect()
}

fn expected_change(lines: &[Line], end: chrono::NaiveDate, days: i64) -> Vec<CategoryPeriods> {
    let mut per: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for (date, _, _, _, _, category, qty, cents) in lines {
        let age = (end - *date).num_days();
        if !(0..2 * days).contains(&age) {
            continue;
        }
        let e = per.entry(category.clone()).or_default();
        if age < days {
            e[0] += cents;
            e[2] += qty;
        } else {
            e[1] += cents;
            e[3] += qty;
        }
    }
    let mut rows: Vec<CategoryPeriods> = per
        .into_iter()
        .map(
            |(category, [cur, prev, cur_units, prev_units])| CategoryPeriods {
                category,
                period_end: end.to_string(),
                current_revenue_cents: cur,
                previous_revenue_cents: prev,
                current_units: cur_units,
                previous_units: prev_units,
                revenue_change: ratio(cur - prev, prev),
            },
        )
        .collect();
    rows.sort_by(|a, b| {
        b.current_revenue_cents
            .cmp(&a.current_revenue_cents)
            .then(a.category.cmp(&b.category))
    });
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_panels_equal_a_recomputation_from_the_lake() {
    let (_fixture, w, lines) = loaded().await;
    let all = AnalyticsFilter::default();
    let kpis = common::ask::<StoreHourKpis, _>(&w, &all, &()).await;
    assert_eq!(kpis, expected_kpis(&lines));
    assert!(kpis
        .iter()
        .any(|k| k.customers > 0 && k.customers < k.transactions));
    let heat = common::ask::<SalesHeatmap, _>(&w, &all, &()).await;
    assert_eq!(heat, expected_heatmap(&lines));
    // 2026-11-20 is a Friday, so Friday, Saturday and Sunday have cells.
    let days: BTreeSet<u8> = heat.iter().map(|c| c.weekday).collect();
    assert_eq!(days, BTreeSet::from([5, 6, 7]));

    // The newest date (a partial day) against the one before; then two whole days.
    let newest = lines.iter().map(|l| l.0).max().expect("lines");
    let change = common::ask::<CategoryChange, _>(&w, &all, &PeriodDays(1)).await;
    assert_eq!(change, expected_change(&lines, newest, 1));
    assert!(change
        .iter()
        .all(|c| c.previous_revenue_cents > 0 && c.revenue_change.is_some()));
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let to_day = AnalyticsFilter::from(DateFilter {
        from: None,
        to: Some(day),
    });
    let change = common::ask::<CategoryChange, _>(&w, &to_day, &PeriodDays(1)).await;
    assert_eq!(change, expected_change(&lines, day, 1));
    // A week ending on the newest date holds every line; the week before none.
    let week = common::ask::<CategoryChange, _>(&w, &all, &PeriodDays(7)).await;
    assert_eq!(week, expected_change(&lines, newest, 7));
    assert!(week
        .iter()
        .all(|c| c.previous_revenue_cents == 0 && c.revenue_change.is_none()));

    // A store narrows the KPIs to its rows.
    let store = kpis[0].store_id.clone();
    let one = AnalyticsFilter {
        store_id: Some(store.clone()),
        ..AnalyticsFilter::default()
    };
    let mine: Vec<Line> = lines.iter().filter(|l| l.3 == store).cloned().collect();
    let got = common::ask::<StoreHourKpis, _>(&w, &one, &()).await;
    assert_eq!(got, expected_kpis(&mine));
}
