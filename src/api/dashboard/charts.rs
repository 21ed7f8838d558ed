//! Everything the page draws from the warehouse: the totals, then a grid of chart cards
//! (sales in `sales_charts.rs`, rankings in `bar_charts.rs`, stock here). Served alone as
//! `/dashboard/charts`, which the page's script swaps in when the warehouse watermark moves.

use super::bar_charts::{product_chart, state_chart, store_chart};
use super::components::{figure, table, tile};
use super::data::Charts;
use super::format::{dollars, thousands, Unit};
use super::sales_charts::{daily_chart, hourly_chart};
use super::seed_charts::{category_change, state_map, store_hour_kpis, weekday_heatmap};
use super::svg::{self, Chart, Series};
use crate::generate::reference::CATEGORIES;
use maud::{html, Markup};
use std::collections::BTreeMap;

/// Colour-blind-safe palette; a category keeps its colour on every chart.
const PALETTE: [&str; 13] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a5195", "#8c6d31",
    "#2f4b7c", "#a05195", "#3d9970", "#b07aa1", "#5f6b7a",
];
const UNKNOWN: &str = "#9aa3ad";
pub const ACCENT: &str = "#0072b2";
const ALERT: &str = "#d55e00";

pub fn category_color(name: &str) -> &'static str {
    CATEGORIES
        .iter()
        .position(|c| c.name == name)
        .map_or(UNKNOWN, |i| PALETTE[i % PALETTE.len()])
}

/// Everything drawn from the warehouse; or, before anything is loaded, what to do.
pub fn charts_fragment(c: &Charts) -> Markup {
    if !c.warehouse_loaded {
        return empty_warehouse();
    }
    let t = c.totals();
    let avg = if t.baskets > 0 {
        dollars((t.revenue_cents as f64 / t.baskets as f64).round() as i64)
    } else {
        "—".into()
    };
    html! {
        div class="tiles kpis" aria-label="Totals" {
            (tile("Revenue", &dollars(t.revenue_cents), ""))
            (tile("Units sold", &thousands(t.units), ""))
            (tile("Baskets", &thousands(t.baskets), ""))
            (tile("Average basket", &avg, ""))
            (tile("Negative-stock alerts", &thousands(t.alerts), ""))
        }
        @if c.hourly.is_empty() && c.stock.is_empty() {
            p class="notice" role="status" {
                "No sales or stock match these filters. Widen the dates or pick another category, state or store."
            }
        }
        div class="grid" {
            (daily_chart(c, "daily-revenue", "Revenue by category per day", Unit::Cents))
            (daily_chart(c, "daily-units", "Units sold by category per day", Unit::Count))
            (hourly_chart(c, "hourly-revenue", "Revenue by category per hour", Unit::Cents))
            (hourly_chart(c, "hourly-units", "Units sold by category per hour", Unit::Count))
            (state_chart(c))
            (store_chart(c))
            (product_chart(c))
            (stock_chart(c))
            (state_map(c))
            (weekday_heatmap(c))
            (store_hour_kpis(c))
            (category_change(c))
        }
    }
}

fn empty_warehouse() -> Markup {
    html! {
        div class="empty-state" role="status" {
            h2 { "The warehouse is empty" }
            p {
                "Nothing has been loaded yet, so there is nothing to chart. Generate some hours "
                "into the lake, then merge them into the warehouse:"
            }
            pre {
                code {
                    r#"curl -XPOST localhost:8080/generate -H 'content-type: application/json' -d '{"date":"2026-11-20"}'"#
                    "\ncurl -XPOST 'localhost:8080/bq/refresh?wait=true'"
                }
            }
            p { "Or, with the service stopped, from the command line:" }
            pre { code { "retail-pipeline generate --date 2026-11-20\nretail-pipeline refresh" } }
            p { "This page updates itself once the warehouse has data." }
        }
    }
}

fn stock_chart(c: &Charts) -> Markup {
    let labels: Vec<String> = c
        .stock
        .iter()
        .map(|s| format!("{} {:02}h", s.date, s.hour))
        .collect();
    let series = vec![
        Series {
            name: "Stock-outs (closing stock ≤ 0)".into(),
            color: ACCENT,
            values: c.stock.iter().map(|s| s.stockouts as f64).collect(),
        },
        Series {
            name: "Negative-stock alerts".into(),
            color: ALERT,
            values: c.stock.iter().map(|s| s.alerts as f64).collect(),
        },
    ];
    let total_alerts: i64 = c.stock.iter().map(|s| s.alerts).sum();
    let max_out = c.stock.iter().map(|s| s.stockouts).max().unwrap_or(0);
    let desc = format!(
        "Two lines over {} loaded hours: (store, product) pairs out of stock at the close (at most {}), and negative-stock alerts raised ({} in all).",
        labels.len(),
        thousands(max_out),
        thousands(total_alerts)
    );
    let chart = Chart::new(
        "stock",
        "Stock-outs and negative-stock alerts per hour",
        &desc,
        Unit::Count,
    );
    // Per day in the table: an hourly table of a long range is too long to read.
    let mut per_day: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for s in &c.stock {
        let e = per_day.entry(&s.date).or_default();
        e.0 = e.0.max(s.stockouts);
        e.1 = e.1.max(s.negative_stock);
        e.2 += s.alerts;
    }
    let tbl = table(
        "Stock per day",
        &[
            "Date",
            "Most stock-outs in an hour",
            "Most pairs below zero in an hour",
            "Alerts",
        ],
        per_day
            .into_iter()
            .map(|(d, (o, n, a))| vec![d.to_string(), thousands(o), thousands(n), thousands(a)]),
    );
    figure(
        chart.title,
        svg::lines(&chart, &labels, &series),
        &series,
        tbl,
    )
}
