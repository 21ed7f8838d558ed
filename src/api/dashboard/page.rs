//! The dashboard's HTML: the whole page, and the two fragments the page's script swaps in
//! (`live` every few seconds, `charts` when the warehouse watermark moves). Every text from
//! data or from the request is escaped.

use super::data::{Charts, Live};
use super::format::{dollars, escape, full_value, thousands, Unit};
use super::svg::{self, Bar, Chart, Series};
use crate::generate::reference::CATEGORIES;
use crate::jobs::{JobState, JobView};
use std::collections::BTreeMap;
use std::fmt::Write;

const CSS: &str = include_str!("dashboard.css");
const JS: &str = include_str!("dashboard.js");

/// Colour-blind-safe palette; a category keeps its colour on every chart.
const PALETTE: [&str; 13] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a5195", "#8c6d31",
    "#2f4b7c", "#a05195", "#3d9970", "#b07aa1", "#5f6b7a",
];
const UNKNOWN: &str = "#9aa3ad";
const ACCENT: &str = "#0072b2";
const ALERT: &str = "#d55e00";
/// Hours the hourly charts show: the last week of the selection.
pub const HOURLY_WINDOW: usize = 7 * 24;

pub fn category_color(name: &str) -> &'static str {
    CATEGORIES
        .iter()
        .position(|c| c.name == name)
        .map_or(UNKNOWN, |i| PALETTE[i % PALETTE.len()])
}

/// The filter form's current values and choices.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub from: String,
    pub to: String,
    pub category: String,
    pub state: String,
    pub store_id: String,
    pub categories: Vec<String>,
    pub states: Vec<String>,
    /// `(store_id, label)`.
    pub stores: Vec<(String, String)>,
    /// The query string the fragments are fetched with (`?from=...`), already validated.
    pub query: String,
}

/// The whole page. `error` replaces the charts with the message (bad filter values).
pub fn page(title: &str, form: &Form, live: &Live, charts: Result<&Charts, &str>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><style>{CSS}</style></head><body>"#,
        escape(title)
    );
    let _ = write!(
        out,
        r#"<header><h1>{}</h1><nav aria-label="Other pages"><a href="/docs">API docs</a> <a href="/status">Status (JSON)</a> <a href="/dashboard/data{}">Dashboard data (JSON)</a></nav></header><main>"#,
        escape(title),
        escape(&form.query)
    );
    filters(&mut out, form);
    let _ = write!(
        out,
        r#"<section id="live" aria-labelledby="live-h" data-src="/dashboard/live">{}</section>"#,
        live_fragment(live)
    );
    match charts {
        Ok(c) => {
            let _ = write!(
                out,
                r#"<section id="charts" aria-label="Charts" data-src="/dashboard/charts{}">{}</section>"#,
                escape(&form.query),
                charts_fragment(c)
            );
        }
        Err(message) => {
            let _ = write!(
                out,
                r#"<section id="charts" aria-label="Charts"><div class="error" role="alert"><h2>These filters cannot be shown</h2><p>{}</p><p><a href="/dashboard">Reset the filters</a></p></div></section>"#,
                escape(message)
            );
        }
    }
    let _ = write!(
        out,
        r#"</main><footer><p id="updated" aria-live="polite">Server-rendered; refreshes itself every few seconds while jobs run.</p></footer><script>{JS}</script></body></html>"#
    );
    out
}

fn select(out: &mut String, name: &str, label: &str, current: &str, options: &[(String, String)]) {
    let _ = write!(
        out,
        r#"<label>{label}<select name="{name}"><option value="">All</option>"#
    );
    for (value, text) in options {
        let selected = if value == current { " selected" } else { "" };
        let _ = write!(
            out,
            r#"<option value="{}"{selected}>{}</option>"#,
            escape(value),
            escape(text)
        );
    }
    out.push_str("</select></label>");
}

fn filters(out: &mut String, form: &Form) {
    let _ = write!(
        out,
        r#"<form class="filters" method="get" action="/dashboard" aria-label="Filters"><label>From<input type="date" name="from" value="{}"></label><label>To<input type="date" name="to" value="{}"></label>"#,
        escape(&form.from),
        escape(&form.to)
    );
    let pairs = |v: &[String]| -> Vec<(String, String)> {
        v.iter().map(|s| (s.clone(), s.clone())).collect()
    };
    select(
        out,
        "category",
        "Category",
        &form.category,
        &pairs(&form.categories),
    );
    select(out, "state", "State", &form.state, &pairs(&form.states));
    select(out, "store_id", "Store", &form.store_id, &form.stores);
    out.push_str(r#"<button type="submit">Apply</button><a class="reset" href="/dashboard">Reset</a></form>"#);
}

/// Freshness and jobs. The wrapper's data attributes tell the script what changed.
pub fn live_fragment(live: &Live) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<div class="live" data-watermark="{}" data-running="{}"><h2 id="live-h">Pipeline</h2><div class="tiles">"#,
        escape(live.warehouse_watermark.as_deref().unwrap_or("")),
        live.running()
    );
    let lag = match (live.lag_hours, &live.warehouse_watermark) {
        (Some(0), _) => ("ok", "up to date".to_string()),
        (Some(1), _) => ("ok", "1 hour behind".to_string()),
        (Some(h), _) => ("warn", format!("{h} hours behind")),
        (None, None) if live.last_generated_hour.is_some() => {
            ("warn", "nothing loaded yet".to_string())
        }
        (None, _) => ("", "unknown".to_string()),
    };
    tile(
        &mut out,
        "Last generated hour",
        live.last_generated_hour.as_deref().unwrap_or("none yet"),
        "",
    );
    tile(
        &mut out,
        "Warehouse watermark",
        live.warehouse_watermark.as_deref().unwrap_or("none yet"),
        "",
    );
    tile(&mut out, "Warehouse lag", &lag.1, lag.0);
    let streamed: u64 = live.stream_rows.values().sum();
    tile(&mut out, "Events landed", &thousands(streamed as i64), "");
    out.push_str("</div>");
    if live.jobs.is_empty() {
        out.push_str(r#"<p class="muted">No jobs yet. Start one with <code>POST /generate</code>, <code>POST /bq/refresh</code> or <code>POST /scenarios/{name}/start</code>.</p>"#);
    } else {
        out.push_str(r#"<table class="jobs"><caption>Jobs (running first)</caption><thead><tr><th scope="col">Job</th><th scope="col">What</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Rate</th><th scope="col">ETA</th></tr></thead><tbody>"#);
        for job in &live.jobs {
            job_row(&mut out, job);
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</div>");
    out
}

fn tile(out: &mut String, label: &str, value: &str, class: &str) {
    let _ = write!(
        out,
        r#"<div class="tile {class}"><span class="k">{}</span><span class="v">{}</span></div>"#,
        escape(label),
        escape(value)
    );
}

fn job_row(out: &mut String, job: &JobView) {
    let state = match job.state {
        JobState::Running => "running",
        JobState::Completed => "completed",
        JobState::Failed => "failed",
        JobState::Cancelled => "cancelled",
    };
    let percent = job.percent.unwrap_or(0.0);
    // A scenario measures its own rate over its scheduled events; prefer that.
    let per_sec = job
        .detail
        .as_ref()
        .and_then(|d| d.get("measured_per_minute"))
        .and_then(serde_json::Value::as_f64)
        .map_or(job.rate_per_sec, |m| m / 60.0);
    let eta = job
        .eta_secs
        .map_or_else(|| "—".to_string(), |s| format!("{s:.0} s"));
    let error = job
        .error
        .as_deref()
        .map(|e| format!(r#"<div class="err">{}</div>"#, escape(e)))
        .unwrap_or_default();
    let _ = write!(
        out,
        r#"<tr><td><code>{}</code></td><td>{} {}{error}</td><td><span class="state {state}">{state}</span></td><td><progress max="100" value="{percent:.1}" aria-label="{} progress">{percent:.0}%</progress> {} / {} {}</td><td>{per_sec:.1} {}/s</td><td>{eta}</td></tr>"#,
        escape(&job.id),
        escape(
            &serde_json::to_value(job.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        escape(&job.name),
        escape(&job.id),
        thousands(job.done as i64),
        thousands(job.target as i64),
        escape(&job.unit),
        escape(&job.unit),
    );
}

/// Everything drawn from the warehouse; or, before anything is loaded, what to do.
pub fn charts_fragment(c: &Charts) -> String {
    let mut out = String::new();
    if !c.warehouse_loaded {
        out.push_str(r#"<div class="empty-state" role="status"><h2>The warehouse is empty</h2><p>Nothing has been loaded yet, so there is nothing to chart. Generate some hours into the lake, then merge them into the warehouse:</p><pre><code>curl -XPOST localhost:8080/generate -H 'content-type: application/json' -d '{"date":"2026-11-20"}'
curl -XPOST 'localhost:8080/bq/refresh?wait=true'</code></pre><p>Or, with the service stopped, from the command line:</p><pre><code>retail-pipeline generate --date 2026-11-20
retail-pipeline refresh</code></pre><p>This page updates itself once the warehouse has data.</p></div>"#);
        return out;
    }
    let t = c.totals();
    out.push_str(r#"<div class="tiles kpis" aria-label="Totals">"#);
    tile(&mut out, "Revenue", &dollars(t.revenue_cents), "");
    tile(&mut out, "Units sold", &thousands(t.units), "");
    tile(&mut out, "Baskets", &thousands(t.baskets), "");
    let avg = if t.baskets > 0 {
        dollars((t.revenue_cents as f64 / t.baskets as f64).round() as i64)
    } else {
        "—".into()
    };
    tile(&mut out, "Average basket", &avg, "");
    tile(&mut out, "Negative-stock alerts", &thousands(t.alerts), "");
    out.push_str("</div>");
    if c.hourly.is_empty() && c.stock.is_empty() {
        out.push_str(r#"<p class="notice" role="status">No sales or stock match these filters. Widen the dates or pick another category, state or store.</p>"#);
    }
    out.push_str(r#"<div class="grid">"#);
    daily_charts(&mut out, c);
    hourly_charts(&mut out, c);
    store_charts(&mut out, c);
    product_chart(&mut out, c);
    stock_chart(&mut out, c);
    out.push_str("</div>");
    out
}

fn figure(out: &mut String, title: &str, svg: &str, legend: &[Series], table: &str) {
    let _ = write!(
        out,
        r#"<figure class="card"><figcaption>{}</figcaption>{svg}"#,
        escape(title)
    );
    if legend.len() > 1 {
        out.push_str(r#"<ul class="legend" aria-hidden="true">"#);
        for s in legend {
            let _ = write!(
                out,
                r#"<li><span class="sw" style="background:{}"></span>{}</li>"#,
                s.color,
                escape(&s.name)
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        r#"<details><summary>Data table</summary>{table}</details></figure>"#
    );
}

fn table(caption: &str, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = format!("<table><caption>{}</caption><thead><tr>", escape(caption));
    for h in head {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// One series per category (largest first) over `labels`, from `(label, category, value)`.
fn by_category<'a>(
    categories: &[String],
    labels: &[String],
    points: impl Iterator<Item = (String, &'a str, i64)>,
) -> Vec<Series> {
    let index: BTreeMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut series: Vec<Series> = categories
        .iter()
        .map(|c| Series {
            name: c.clone(),
            color: category_color(c),
            values: vec![0.0; labels.len()],
        })
        .collect();
    for (label, category, value) in points {
        if let (Some(&i), Some(s)) = (
            index.get(label.as_str()),
            series.iter_mut().find(|s| s.name == category),
        ) {
            s.values[i] += value as f64;
        }
    }
    series
}

fn peak(labels: &[String], series: &[Series], unit: Unit) -> String {
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| series.iter().map(|s| s.values[i]).sum())
        .collect();
    let best = totals
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)));
    match best {
        Some((i, v)) if *v > 0.0 => {
            format!("Highest: {} with {}.", labels[i], full_value(unit, *v))
        }
        _ => "No sales.".into(),
    }
}

fn daily_charts(out: &mut String, c: &Charts) {
    let mut dates: Vec<String> = c.daily.iter().map(|r| r.date.clone()).collect();
    dates.dedup();
    let cats = c.categories();
    for (id, title, unit) in [
        ("daily-revenue", "Revenue by category per day", Unit::Cents),
        ("daily-units", "Units sold by category per day", Unit::Count),
    ] {
        let series = by_category(
            &cats,
            &dates,
            c.daily.iter().map(|r| {
                let v = if unit == Unit::Cents {
                    r.revenue_cents
                } else {
                    r.units
                };
                (r.date.clone(), r.category.as_str(), v)
            }),
        );
        let desc = format!(
            "Stacked columns, one per day over {} days, split by {} categories. {}",
            dates.len(),
            cats.len(),
            peak(&dates, &series, unit)
        );
        let chart = Chart {
            id,
            title,
            desc: &desc,
            unit,
        };
        let svg = svg::stacked_columns(&chart, &dates, &series);
        let rows = series
            .iter()
            .map(|s| vec![s.name.clone(), full_value(unit, s.values.iter().sum())]);
        let tbl = table(
            &format!("{title}: totals per category"),
            &["Category", "Total"],
            rows,
        );
        figure(out, title, &svg, &series, &tbl);
    }
}

fn hourly_charts(out: &mut String, c: &Charts) {
    let mut hours: Vec<(String, u8)> = c.hourly.iter().map(|r| (r.date.clone(), r.hour)).collect();
    hours.dedup();
    let shown = &hours[hours.len().saturating_sub(HOURLY_WINDOW)..];
    let labels: Vec<String> = shown.iter().map(|(d, h)| format!("{d} {h:02}h")).collect();
    let cats = c.categories();
    let first = shown.first().cloned().unwrap_or_default();
    for (id, title, unit) in [
        (
            "hourly-revenue",
            "Revenue by category per hour",
            Unit::Cents,
        ),
        (
            "hourly-units",
            "Units sold by category per hour",
            Unit::Count,
        ),
    ] {
        let series = by_category(
            &cats,
            &labels,
            c.hourly
                .iter()
                .filter(|r| (r.date.as_str(), r.hour) >= (first.0.as_str(), first.1))
                .map(|r| {
                    let v = if unit == Unit::Cents {
                        r.revenue_cents
                    } else {
                        r.units
                    };
                    (format!("{} {:02}h", r.date, r.hour), r.category.as_str(), v)
                }),
        );
        let window = if hours.len() > shown.len() {
            format!("the last {} loaded hours of the selection", shown.len())
        } else {
            format!("{} loaded hours", shown.len())
        };
        let desc = format!(
            "Stacked columns, one per hour over {window}, split by category. {}",
            peak(&labels, &series, unit)
        );
        let full_title = format!("{title} ({window})");
        let chart = Chart {
            id,
            title: &full_title,
            desc: &desc,
            unit,
        };
        let svg = svg::stacked_columns(&chart, &labels, &series);
        let rows = labels.iter().enumerate().map(|(i, l)| {
            vec![
                l.clone(),
                full_value(unit, series.iter().map(|s| s.values[i]).sum()),
            ]
        });
        let tbl = table(&full_title, &["Hour", "Total"], rows);
        figure(out, &full_title, &svg, &series, &tbl);
    }
}

fn store_charts(out: &mut String, c: &Charts) {
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
    let chart = Chart {
        id: "state-revenue",
        title: "Revenue by state",
        desc: &desc,
        unit: Unit::Cents,
    };
    let tbl = table(
        "Revenue by state",
        &["State", "Revenue"],
        states.iter().map(|(s, r)| vec![s.clone(), dollars(*r)]),
    );
    figure(out, chart.title, &svg::bars(&chart, &bars), &[], &tbl);

    let mut stores: Vec<_> = c.stores.iter().collect();
    stores.sort_by(|a, b| {
        b.revenue_cents
            .cmp(&a.revenue_cents)
            .then(a.store_id.cmp(&b.store_id))
    });
    let bars: Vec<Bar> = stores
        .iter()
        .take(15)
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
    let chart = Chart {
        id: "store-revenue",
        title: "Top stores by revenue",
        desc: &desc,
        unit: Unit::Cents,
    };
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
    figure(out, chart.title, &svg::bars(&chart, &bars), &[], &tbl);
}

fn product_chart(out: &mut String, c: &Charts) {
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
    let chart = Chart {
        id: "top-products",
        title: "Top products by revenue",
        desc: &desc,
        unit: Unit::Cents,
    };
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
    figure(out, chart.title, &svg::bars(&chart, &bars), &[], &tbl);
}

fn stock_chart(out: &mut String, c: &Charts) {
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
    let chart = Chart {
        id: "stock",
        title: "Stock-outs and negative-stock alerts per hour",
        desc: &desc,
        unit: Unit::Count,
    };
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
        out,
        chart.title,
        &svg::lines(&chart, &labels, &series),
        &series,
        &tbl,
    );
}
