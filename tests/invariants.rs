//! Property tests of the data contract over random seeds, dates, hours and scales: the sums
//! reconcile, stock carries over, alerts appear exactly where stock is negative, every id is
//! real, and generation is a pure function of its inputs.

mod common;

use common::{cents, file, int, rows};
use proptest::prelude::*;
use retail_pipeline::generate::{
    encode_hour, encode_hour_as, generate_hour, generate_hour_as, DaySim, TableFile, World,
};
use retail_pipeline::model::{LakeFormat, PartitionHour, Scale, ScaleName, Table, FIRST_DATE};
use std::collections::{HashMap, HashSet};

fn scale_strategy() -> impl Strategy<Value = Scale> {
    (1u32..160, 1u32..7, 0.0f64..=1.0).prop_map(|(products, stores, oversell_rate)| Scale {
        products,
        stores,
        oversell_rate,
        ..Scale::preset(ScaleName::Small)
    })
}

fn hour_strategy() -> impl Strategy<Value = PartitionHour> {
    (0i64..36_524 * 24).prop_map(|i| PartitionHour::from_index(i).expect("in range"))
}

fn format_strategy() -> impl Strategy<Value = LakeFormat> {
    prop::sample::select(LakeFormat::ALL.to_vec())
}

type Pair = (String, String);

/// Checks one hour on its own and returns its closing stock per (store, product).
fn check_hour(files: &[TableFile], hour: PartitionHour) -> HashMap<Pair, i64> {
    let catalog = rows(file(files, Table::ProductCatalog));
    let prices: HashMap<String, i64> = catalog
        .iter()
        .map(|r| (r["product_id"].clone(), cents(&r["unit_price"])))
        .collect();
    assert_eq!(prices.len(), catalog.len(), "product ids are unique");
    for r in &catalog {
        assert!(
            cents(&r["unit_price"]) <= cents(&r["list_price"]),
            "a promotion never raises a price"
        );
        assert!(
            cents(&r["cost_price"]) < cents(&r["list_price"]),
            "products sell above cost"
        );
    }
    let stores: HashSet<String> = rows(file(files, Table::Stores))
        .into_iter()
        .map(|r| r["store_id"].clone())
        .collect();

    let sold_at_prefix = format!("{}T{:02}:", hour.date_string(), hour.hour());
    let mut sold: HashMap<Pair, i64> = HashMap::new();
    let mut lines = HashSet::new();
    for r in rows(file(files, Table::SalesData)) {
        let (store, product) = (r["store_id"].clone(), r["product_id"].clone());
        assert!(stores.contains(&store), "sale in a real store");
        let price = prices.get(&product).expect("sale of a real product");
        assert_eq!(
            cents(&r["unit_price"]),
            *price,
            "sales use the catalog price of the hour"
        );
        let qty = int(&r, "quantity");
        assert!(qty > 0, "quantities are positive");
        assert_eq!(
            cents(&r["total_amount"]),
            qty * price,
            "total = quantity x price"
        );
        assert!(r["sold_at"].starts_with(&sold_at_prefix) && r["sold_at"].ends_with('Z'));
        assert!(r["transaction_id"].starts_with(&format!("T{}-{store}-", hour.stamp())));
        assert!(
            lines.insert((r["transaction_id"].clone(), r["line_number"].clone())),
            "line keys are unique"
        );
        *sold.entry((store, product)).or_default() += qty;
    }

    let mut closing = HashMap::new();
    let mut negative = HashMap::new();
    for r in rows(file(files, Table::InventoryData)) {
        let pair = (r["store_id"].clone(), r["product_id"].clone());
        assert!(
            stores.contains(&pair.0) && prices.contains_key(&pair.1),
            "inventory of real ids"
        );
        let [open, restocked, returned, units, close] = [
            "opening_stock",
            "restocked",
            "returned",
            "units_sold",
            "closing_stock",
        ]
        .map(|c| int(&r, c));
        assert!(restocked >= 0 && returned >= 0 && units >= 0);
        assert_eq!(
            close,
            open + restocked + returned - units,
            "closing = opening + restocked + returned - sold for {pair:?}"
        );
        assert_eq!(
            units,
            sold.remove(&pair).unwrap_or(0),
            "units_sold = sum of the hour's sales for {pair:?}"
        );
        if close < 0 {
            negative.insert(pair.clone(), r.clone());
        }
        assert!(
            closing.insert(pair, close).is_none(),
            "one inventory row per pair"
        );
    }
    assert!(sold.is_empty(), "every sale is of a stocked pair: {sold:?}");

    let alerts = rows(file(files, Table::NegativeInventoryAlerts));
    assert_eq!(
        alerts.len(),
        negative.len(),
        "one alert per negative pair, none otherwise"
    );
    for a in alerts {
        let pair = (a["store_id"].clone(), a["product_id"].clone());
        let inv = negative.get(&pair).expect("alert for a negative pair");
        assert_eq!(
            a["alert_id"],
            format!("NEG-{}-{}-{}", hour.stamp(), pair.0, pair.1)
        );
        assert_eq!(a["date"], hour.date_string());
        assert_eq!(int(&a, "hour"), i64::from(hour.hour()));
        for c in [
            "opening_stock",
            "restocked",
            "returned",
            "units_sold",
            "closing_stock",
        ] {
            assert_eq!(a[c], inv[c], "alert {c} matches the inventory row");
        }
    }
    closing
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_hour_reconciles_and_carries_over(seed in any::<u64>(), scale in scale_strategy(), hour in hour_strategy(), format in format_strategy()) {
        let world = World::new(seed, &scale);
        let mut sim = DaySim::new(&world, hour.date());
        let files = encode_hour_as(&sim.advance_to(hour.hour()), format).expect("encode");
        let closing = check_hour(&files, hour);
        if hour.hour() < 23 {
            let next = hour.offset(1).expect("next hour");
            let next_files = encode_hour_as(&sim.advance_to(next.hour()), format).expect("encode");
            check_hour(&next_files, next);
            for r in rows(file(&next_files, Table::InventoryData)) {
                let pair = (r["store_id"].clone(), r["product_id"].clone());
                prop_assert_eq!(int(&r, "opening_stock"), closing[&pair], "opening of h+1 = closing of h");
            }
        }
    }

    #[test]
    fn generation_is_a_pure_function(seed in any::<u64>(), scale in scale_strategy(), hour in hour_strategy()) {
        // A fresh world and a direct call give the same bytes as a day replayed hour by hour.
        let direct = generate_hour(&World::new(seed, &scale), hour);
        let world = World::new(seed, &scale);
        let mut sim = DaySim::new(&world, hour.date());
        for h in 0..hour.hour() {
            sim.advance_to(h);
        }
        let replayed = encode_hour(&sim.advance_to(hour.hour()));
        prop_assert_eq!(direct, replayed);
    }

    #[test]
    fn parquet_generation_is_a_pure_function(seed in any::<u64>(), scale in scale_strategy(), hour in hour_strategy()) {
        let direct = generate_hour_as(&World::new(seed, &scale), hour, LakeFormat::Parquet).expect("encode");
        let world = World::new(seed, &scale);
        let mut sim = DaySim::new(&world, hour.date());
        for h in 0..hour.hour() {
            sim.advance_to(h);
        }
        let replayed = encode_hour_as(&sim.advance_to(hour.hour()), LakeFormat::Parquet).expect("encode");
        prop_assert_eq!(direct, replayed);
    }

    #[test]
    fn parquet_holds_the_csv_values(seed in any::<u64>(), scale in scale_strategy(), hour in hour_strategy()) {
        // The same rows, column for column, read back by the parquet crate's own reader.
        let world = World::new(seed, &scale);
        let csv = generate_hour(&world, hour);
        let parquet = generate_hour_as(&world, hour, LakeFormat::Parquet).expect("encode");
        for (c, p) in csv.iter().zip(&parquet) {
            prop_assert_eq!(c.table, p.table);
            prop_assert_eq!(c.rows, p.rows);
            prop_assert!(p.bytes.starts_with(b"PAR1"), "{} is parquet", p.table);
            prop_assert_eq!(rows(c), rows(p), "{}", c.table);
        }
    }
}

#[test]
fn no_oversell_means_no_negative_stock() {
    let scale = Scale {
        oversell_rate: 0.0,
        ..Scale::preset(ScaleName::Small)
    };
    let world = World::new(7, &scale);
    let date = FIRST_DATE + chrono::Duration::days(9_000);
    let mut sim = DaySim::new(&world, date);
    for h in 0..24 {
        let view = sim.advance_to(h);
        assert!(
            view.closing.iter().all(|&c| c >= 0),
            "hour {h}: stock below zero without oversell"
        );
    }
}

#[test]
fn the_oversell_rate_tunes_the_number_of_alerts() {
    let alerts = |rate: f64| -> usize {
        let scale = Scale {
            oversell_rate: rate,
            ..Scale::preset(ScaleName::Small)
        };
        let world = World::new(42, &scale);
        let start: PartitionHour = "2026-11-16T00".parse().expect("hour");
        (0..72)
            .map(|i| {
                let files = generate_hour(&world, start.offset(i).expect("hour"));
                file(&files, Table::NegativeInventoryAlerts).rows as usize
            })
            .sum()
    };
    let (none, low, high) = (alerts(0.0), alerts(0.02), alerts(0.2));
    assert_eq!(none, 0);
    assert!(
        0 < low && low < high,
        "alerts grow with the rate: {low} then {high}"
    );
}

#[test]
fn the_default_scale_has_a_handful_of_alerts_an_hour() {
    let world = World::new(42, &Scale::preset(ScaleName::Default));
    let start: PartitionHour = "2026-11-16T00".parse().expect("hour");
    let mut sim = None;
    let mut total = 0;
    let hours = 48;
    for i in 0..hours {
        let hour = start.offset(i).expect("hour");
        if hour.hour() == 0 {
            sim = Some(DaySim::new(&world, hour.date()));
        }
        let Some(s) = sim.as_mut() else {
            unreachable!("starts at hour 0")
        };
        total += s
            .advance_to(hour.hour())
            .closing
            .iter()
            .filter(|&&c| c < 0)
            .count();
    }
    let per_hour = total as f64 / hours as f64;
    assert!(
        (1.0..=12.0).contains(&per_hour),
        "{per_hour} alerts an hour at the default scale"
    );
}
