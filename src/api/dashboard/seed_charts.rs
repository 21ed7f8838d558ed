//! The batch side as seeds 001 and 002 showed it: revenue by state on a US tile map, sales by
//! weekday and hour, seed 001's Looker KPIs per store and hour (spend per customer, items per
//! transaction), and the last 7 days against the 7 before per category.

use super::components::{figure, state_table, table};
use super::data::Charts;
use super::format::{dollars, thousands, Unit};
use super::grid_svg::{heatmap, us_tile_map};
use super::svg::Chart;
use maud::{html, Markup};
use std::collections::BTreeMap;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Stores drawn in the KPI heatmap, by revenue (the table lists them all).
const KPI_STORES: usize = 12;

fn hours() -> Vec<String> {
    (0..24).map(|h| format!("{h:02}")).collect()
}

pub fn state_map(c: &Charts) -> Markup {
    let states = c.states();
    let values: Vec<(String, f64)> = states.iter().map(|(s, r)| (s.clone(), *r as f64)).collect();
    let desc = format!(
        "A map of the US as one square per state, shaded by revenue, {} states with sales.",
        states.len()
    );
    let chart = Chart::new("state-map", "Revenue by state (map)", &desc, Unit::Cents);
    figure(
        chart.title,
        us_tile_map(&chart, &values),
        &[],
        state_table(&states),
    )
}

pub fn weekday_heatmap(c: &Charts) -> Markup {
    let rows: Vec<String> = WEEKDAYS.iter().map(|d| d.to_string()).collect();
    let mut values = vec![vec![None; 24]; 7];
    for cell in &c.heatmap {
        values[usize::from(cell.weekday - 1)][usize::from(cell.hour)] =
            Some(cell.revenue_cents as f64);
    }
    let title = "Revenue by weekday and hour";
    let chart = Chart::new(
        "sales-heatmap",
        title,
        "A heatmap: one row per weekday, one column per hour of day, shaded by revenue.",
        Unit::Cents,
    );
    let tbl = table(
        title,
        &["Weekday", "Hour", "Baskets", "Units", "Revenue"],
        c.heatmap.iter().map(|h| {
            vec![
                WEEKDAYS[usize::from(h.weekday - 1)].to_string(),
                format!("{:02}", h.hour),
                thousands(h.transactions),
                thousands(h.units),
                dollars(h.revenue_cents),
            ]
        }),
    );
    figure(title, heatmap(&chart, &rows, &hours(), &values), &[], tbl)
}

pub fn store_hour_kpis(c: &Charts) -> Markup {
    // Per store over every hour: transactions fall in one hour each, so they sum exactly.
    let mut per_store: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for k in &c.store_hours {
        let e = per_store.entry(&k.store_id).or_default();
        e.0 += k.revenue_cents;
        e.1 += k.units;
        e.2 += k.transactions;
    }
    let mut top: Vec<(&str, i64)> = per_store.iter().map(|(s, v)| (*s, v.0)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(KPI_STORES);
    let rows: Vec<String> = top.iter().map(|(s, _)| s.to_string()).collect();
    let mut values = vec![vec![None; 24]; rows.len()];
    for k in &c.store_hours {
        if let Some(r) = rows.iter().position(|s| *s == k.store_id) {
            values[r][usize::from(k.hour)] = k.spend_per_customer_cents;
        }
    }
    let title = "Spend per customer by store and hour";
    let chart = Chart::new("store-hour-spend", title, "A heatmap: the stores with the most revenue by hour of day, shaded by the spend per identified customer.", Unit::Cents);
    let body = html! {
        table id="store-kpis" {
            caption { "Items per transaction per store" }
            thead { tr { th scope="col" { "Store" } th scope="col" { "Transactions" } th scope="col" { "Items per transaction" } } }
            tbody {
                @for (store, (_, units, tx)) in &per_store {
                    @let items = if *tx > 0 { *units as f64 / *tx as f64 } else { 0.0 };
                    tr data-store-id=(store) data-items-per-basket=(format!("{items:.3}")) {
                        td { (store) } td { (thousands(*tx)) } td { (format!("{items:.2}")) }
                    }
                }
            }
        }
    };
    figure(title, heatmap(&chart, &rows, &hours(), &values), &[], body)
}

pub fn category_change(c: &Charts) -> Markup {
    let end = c
        .category_change
        .first()
        .map_or(String::new(), |r| r.period_end.clone());
    html! {
        figure class="card" {
            figcaption { "Last 7 days against the 7 before, by category" @if !end.is_empty() { " (to " (end) ")" } }
            @if c.category_change.is_empty() {
                p class="muted" { "No sales in these periods." }
            } @else {
                table id="category-change" {
                    caption { "Revenue per category, period over period" }
                    thead { tr { @for h in ["Category", "Last 7 days", "7 days before", "Change"] { th scope="col" { (h) } } } }
                    tbody {
                        @for r in &c.category_change {
                            tr data-category=(r.category) data-current-cents=(r.current_revenue_cents)
                                data-previous-cents=(r.previous_revenue_cents)
                                data-change=(r.revenue_change.map_or(String::new(), |x| format!("{x:.4}"))) {
                                td { (r.category) }
                                td { (dollars(r.current_revenue_cents)) }
                                td { (dollars(r.previous_revenue_cents)) }
                                td {
                                    @match r.revenue_change {
                                        Some(x) if x >= 0.0 => { "▲ " (format!("{:.1}%", x * 100.0)) }
                                        Some(x) => { "▼ " (format!("{:.1}%", -x * 100.0)) }
                                        None => { "new" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
