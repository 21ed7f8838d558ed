//! Rankings as horizontal bars: revenue by state, the top stores and the top products.

use super::charts::{category_color, ACCENT};
use super::components::{bars_card, state_table, table};
use super::data::Charts;
use super::format::{dollars, thousands, Unit};
use super::svg::{Bar, Chart};
use maud::Markup;

/// Stores drawn in the top-stores chart (the table lists them all).
const TOP_STORES: usize = 15;

pub fn state_chart(c: &Charts) -> Markup {
    let states = c.states();
    let bars: Vec<Bar> = states
        .iter()
        .map(|(s, r)| Bar {
            label: s.clone(),
            note: String::new(),
            value: *r as f64,
            color: ACCENT,
        })
        .collect();
    let desc = match states.first() {
        Some((s, r)) => format!(
            "Horizontal bars, revenue of {} states. Highest: {s} with {}.",
            states.len(),
            dollars(*r)
        ),
        None => "No sales.".into(),
    };
    let chart = Chart::new("state-revenue", "Revenue by state", &desc, Unit::Cents);
    bars_card(&chart, &bars, state_table(&states))
}

pub fn store_chart(c: &Charts) -> Markup {
    let mut stores: Vec<_> = c.stores.iter().collect();
    stores.sort_by(|a, b| {
        b.revenue_cents
            .cmp(&a.revenue_cents)
            .then(a.store_id.cmp(&b.store_id))
    });
    let bars: Vec<Bar> = stores
        .iter()
        .take(TOP_STORES)
        .map(|s| Bar {
            label: s.store_name.clone().unwrap_or_else(|| s.store_id.clone()),
            note: s.state.clone(),
            value: s.revenue_cents as f64,
            color: ACCENT,
        })
        .collect();
    let desc = format!(
        "Horizontal bars, the {} stores with the most revenue of {}.",
        bars.len(),
        stores.len()
    );
    let chart = Chart::new("store-revenue", "Top stores by revenue", &desc, Unit::Cents);
    let tbl = table(
        "Revenue by store",
        &[
            "Store", "Name", "City", "State", "Baskets", "Units", "Revenue",
        ],
        stores.iter().map(|s| {
            vec![
                s.store_id.clone(),
                s.store_name.clone().unwrap_or_default(),
                s.city.clone().unwrap_or_default(),
                s.state.clone(),
                thousands(s.baskets),
                thousands(s.units),
                dollars(s.revenue_cents),
            ]
        }),
    );
    bars_card(&chart, &bars, tbl)
}

pub fn product_chart(c: &Charts) -> Markup {
    let bars: Vec<Bar> = c
        .products
        .iter()
        .map(|p| Bar {
            label: p.name.clone().unwrap_or_else(|| p.product_id.clone()),
            note: p.category.clone(),
            value: p.revenue_cents as f64,
            color: category_color(&p.category),
        })
        .collect();
    let desc = match c.products.first() {
        Some(p) => format!(
            "Horizontal bars, the {} products with the most revenue. First: {} with {}.",
            c.products.len(),
            p.name.as_deref().unwrap_or(&p.product_id),
            dollars(p.revenue_cents)
        ),
        None => "No sales.".into(),
    };
    let chart = Chart::new(
        "top-products",
        "Top products by revenue",
        &desc,
        Unit::Cents,
    );
    let tbl = table(
        "Top products",
        &["Product", "Name", "Category", "Units", "Revenue"],
        c.products.iter().map(|p| {
            vec![
                p.product_id.clone(),
                p.name.clone().unwrap_or_default(),
                p.category.clone(),
                thousands(p.units),
                dollars(p.revenue_cents),
            ]
        }),
    );
    bars_card(&chart, &bars, tbl)
}
