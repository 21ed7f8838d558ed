//! The Stream section: what landed in the last minutes, per type, per minute, through the
//! funnel, as dead letters, with its latency, per store. Part of the page and served alone
//! as `/dashboard/stream`, which the page's script swaps in with the pipeline panel. Every
//! figure a test or a person may want to read carries it in a data attribute
//! (`data-event-type`, `data-per-second`, `data-step`, `data-reason`, `data-store-id`, ...).

use super::charts::ACCENT;
use super::components::{figure, open_card, table};
use super::format::{dollars, thousands, Unit};
use super::stream_data::{StreamPanels, STREAM_TYPES};
use super::stream_time::{short_time, slots, BUCKET_MS, MINUTE_MS};
use super::svg::{self, Bar, Chart, Series};
use maud::{html, Markup};
use std::collections::BTreeMap;

const TYPE_COLORS: [&str; 4] = ["#0072b2", "#e69f00", "#009e73", "#d55e00"];
const DARK: &str = "#b00020";

fn type_color(t: &str) -> &'static str {
    STREAM_TYPES
        .iter()
        .position(|s| *s == t)
        .map_or("#9aa3ad", |i| TYPE_COLORS[i])
}

/// The section's inside. `now_ms` places the window's buckets (empty ones draw as zero).
pub fn stream_fragment(p: &StreamPanels, now_ms: i64) -> Markup {
    html! {
        div class="stream" data-minutes=(p.minutes) {
            h2 id="stream-h" { "Stream · last " (p.minutes) " minutes, all stores" }
            @if !p.warehouse {
                p class="muted" { "This build has no warehouse, so nothing streamed is stored." }
            } @else if p.is_quiet() {
                p class="muted" role="status" {
                    "Nothing streamed in the last " (p.minutes) " minutes. Start a scenario with "
                    code { "POST /scenarios/{name}/start" } " (" code { "light_demo" } ", "
                    code { "burst_test" } ", ...) and its events show here within seconds."
                }
            } @else {
                (rate_tiles(p))
                div class="grid" {
                    (rates_chart(p, now_ms))
                    (orders_chart(p, now_ms, "stream-orders", "Orders per minute", Unit::Count))
                    (orders_chart(p, now_ms, "stream-revenue", "Order revenue per minute", Unit::Cents))
                    (funnel(p))
                    (dead_letters(p))
                    (latency(p))
                    (stores(p))
                }
            }
        }
    }
}

/// The current rate of each type (its last minute), and its count over the window.
fn rate_tiles(p: &StreamPanels) -> Markup {
    let last = p.last_minute_events();
    let window = p.window_events();
    html! {
        div class="tiles" id="stream-rate-values" aria-label="Events per second, last minute" {
            @for t in STREAM_TYPES {
                @let n = last[t];
                @let per_second = format!("{:.2}", n as f64 / 60.0);
                div class="tile" data-event-type=(t) data-per-second=(per_second)
                    data-events-last-minute=(n) data-events-window=(window[t]) {
                    span class="k" { (t) " events/s (last minute)" }
                    span class="v" { (per_second) }
                }
            }
        }
    }
}

fn rates_chart(p: &StreamPanels, now_ms: i64) -> Markup {
    let starts = p.rates.iter().map(|r| r.bucket_start.as_str());
    let labels = slots(starts, now_ms, p.minutes, BUCKET_MS);
    let series: Vec<Series> = STREAM_TYPES
        .iter()
        .map(|t| {
            let mut values = vec![0.0; labels.len()];
            for r in p.rates.iter().filter(|r| r.event_type == *t) {
                if let Some(i) = labels
                    .iter()
                    .position(|l| *l == short_time(&r.bucket_start))
                {
                    values[i] = r.events as f64;
                }
            }
            Series {
                name: t.to_string(),
                color: type_color(t),
                values,
            }
        })
        .collect();
    let window = p.window_events();
    let desc = format!(
        "Lines, events landed per 10 seconds by type over {} minutes: {}.",
        p.minutes,
        STREAM_TYPES
            .iter()
            .map(|t| format!("{t} {}", thousands(window[t])))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let title = "Events landed per 10 s, by type";
    let chart = Chart::new("stream-rates", title, &desc, Unit::Count);
    let tbl = table(
        title,
        &["Type", "Events in the window"],
        STREAM_TYPES
            .iter()
            .map(|t| vec![t.to_string(), thousands(window[t])]),
    );
    figure(title, svg::lines(&chart, &labels, &series), &series, tbl)
}

fn orders_chart(p: &StreamPanels, now_ms: i64, id: &str, title: &str, unit: Unit) -> Markup {
    let minutes = p.orders.iter().map(|o| o.minute.as_str());
    let labels = slots(minutes, now_ms, p.minutes, MINUTE_MS);
    let by_minute: BTreeMap<String, (i64, i64)> = p
        .orders
        .iter()
        .map(|o| (short_time(&o.minute), (o.orders, o.revenue_cents)))
        .collect();
    let pick = |(orders, cents): (i64, i64)| if unit == Unit::Cents { cents } else { orders };
    let values: Vec<f64> = labels
        .iter()
        .map(|l| by_minute.get(l).copied().map_or(0.0, |v| pick(v) as f64))
        .collect();
    let total: i64 = p
        .orders
        .iter()
        .map(|o| pick((o.orders, o.revenue_cents)))
        .sum();
    let shown = if unit == Unit::Cents {
        dollars(total)
    } else {
        thousands(total)
    };
    let desc = format!("Columns, one per minute of event time: {shown} in all.");
    let chart = Chart::new(id, title, &desc, unit);
    let series = vec![Series {
        name: title.to_string(),
        color: ACCENT,
        values,
    }];
    let svg = svg::stacked_columns(&chart, &labels, &series);
    let tbl = table(
        title,
        &["Minute (UTC)", "Orders", "Revenue"],
        p.orders.iter().map(|o| {
            vec![
                short_time(&o.minute),
                thousands(o.orders),
                dollars(o.revenue_cents),
            ]
        }),
    );
    html! {
        div data-total=(total) id={ (id) "-panel" } { (figure(title, svg, &series, tbl)) }
    }
}

fn funnel(p: &StreamPanels) -> Markup {
    let bars: Vec<Bar> = p
        .funnel
        .iter()
        .map(|s| Bar {
            label: s.step.replace('_', " "),
            note: s.conversion.map_or(String::new(), percent),
            value: s.events as f64,
            color: ACCENT,
        })
        .collect();
    let desc = format!(
        "Horizontal bars, events per funnel step: {}.",
        p.funnel
            .iter()
            .map(|s| format!("{} {}", s.step, s.events))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let title = "Funnel: page view to purchase";
    let chart = Chart::new("stream-funnel", title, &desc, Unit::Count);
    let tbl = html! {
        table id="stream-funnel-steps" {
            caption { "Funnel steps (conversion from the step before)" }
            thead { tr { th scope="col" { "Step" } th scope="col" { "Events" } th scope="col" { "Conversion" } } }
            tbody {
                @for s in &p.funnel {
                    tr data-step=(s.step) data-events=(s.events)
                        data-conversion=(s.conversion.map_or(String::new(), |c| format!("{c:.4}"))) {
                        td { (s.step) } td { (thousands(s.events)) }
                        td { (s.conversion.map_or("—".to_string(), percent)) }
                    }
                }
            }
        }
    };
    open_card(title, svg::bars(&chart, &bars), tbl)
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn dead_letters(p: &StreamPanels) -> Markup {
    let bars: Vec<Bar> = p
        .dead_letters
        .iter()
        .map(|d| Bar {
            label: d.reason.clone(),
            note: String::new(),
            value: d.dead_letters as f64,
            color: DARK,
        })
        .collect();
    let total: i64 = p.dead_letters.iter().map(|d| d.dead_letters).sum();
    let desc = format!("Horizontal bars, dead letters per reason: {total} in all.");
    let title = "Dead letters by reason";
    let chart = Chart::new("stream-dead-letters-chart", title, &desc, Unit::Count);
    let tbl = html! {
        table id="stream-dead-letters" data-total=(total) {
            caption { "Dead letters by reason" }
            thead { tr { th scope="col" { "Reason" } th scope="col" { "Count" } th scope="col" { "Last seen (UTC)" } } }
            tbody {
                @for d in &p.dead_letters {
                    tr data-reason=(d.reason) data-count=(d.dead_letters) {
                        td { code { (d.reason) } } td { (thousands(d.dead_letters)) } td { (d.last_seen) }
                    }
                }
                @if p.dead_letters.is_empty() { tr { td colspan="3" class="muted" { "None in the window." } } }
            }
        }
    };
    open_card(title, svg::bars(&chart, &bars), tbl)
}

fn latency(p: &StreamPanels) -> Markup {
    let mut minutes: Vec<String> = p.latency.iter().map(|l| short_time(&l.minute)).collect();
    minutes.sort();
    minutes.dedup();
    let series: Vec<Series> = STREAM_TYPES[..3]
        .iter()
        .map(|t| Series {
            name: format!("{t} p95"),
            color: type_color(t),
            values: minutes
                .iter()
                .map(|m| {
                    p.latency
                        .iter()
                        .find(|l| l.event_type == *t && short_time(&l.minute) == *m)
                        .map_or(0.0, |l| l.p95_ms as f64)
                })
                .collect(),
        })
        .collect();
    // The newest minute of each type: what the table and its data attributes show.
    let newest: Vec<_> = STREAM_TYPES[..3]
        .iter()
        .filter_map(|t| p.latency.iter().rev().find(|l| l.event_type == *t))
        .collect();
    let title = "Landing latency p95 per minute (ms)";
    let desc = format!(
        "Lines, the 95th percentile of the time from event to landing, per minute and type, over {} minutes.",
        minutes.len()
    );
    let chart = Chart::new("stream-latency-p95", title, &desc, Unit::Count);
    let tbl = html! {
        table id="stream-latency" {
            caption { "Latest minute per type (ms)" }
            thead { tr { @for h in ["Type", "Minute (UTC)", "Events", "p50", "p95", "max"] { th scope="col" { (h) } } } }
            tbody {
                @for l in &newest {
                    tr data-event-type=(l.event_type) data-minute=(l.minute) data-p50-ms=(l.p50_ms)
                        data-p95-ms=(l.p95_ms) data-max-ms=(l.max_ms) {
                        td { (l.event_type) } td { (short_time(&l.minute)) } td { (thousands(l.events)) }
                        td { (thousands(l.p50_ms)) } td { (thousands(l.p95_ms)) } td { (thousands(l.max_ms)) }
                    }
                }
            }
        }
    };
    open_card(title, svg::lines(&chart, &minutes, &series), tbl)
}

fn stores(p: &StreamPanels) -> Markup {
    let dark =
        |s: &crate::warehouse::analytics::StoreEvents| s.events == 0 && s.previous_events > 0;
    let bars: Vec<Bar> = p
        .stores
        .iter()
        .map(|s| Bar {
            label: s.store_id.clone(),
            note: if dark(s) {
                "dark".into()
            } else {
                String::new()
            },
            value: s.events as f64,
            color: ACCENT,
        })
        .collect();
    let gone: Vec<&str> = p
        .stores
        .iter()
        .filter(|s| dark(s))
        .map(|s| s.store_id.as_str())
        .collect();
    let title = format!("Events by store, last {} minutes", p.minutes);
    let desc = format!(
        "Horizontal bars, orders and inventory events per store. Stores gone dark: {}.",
        if gone.is_empty() {
            "none".to_string()
        } else {
            gone.join(", ")
        }
    );
    let chart = Chart::new("stream-stores", &title, &desc, Unit::Count);
    let tbl = html! {
        table id="stream-store-events" {
            caption { (title) " and the " (p.minutes) " before" }
            thead { tr { @for h in ["Store", "Events", "Before", "Last seen (UTC)"] { th scope="col" { (h) } } } }
            tbody {
                @for s in &p.stores {
                    tr data-store-id=(s.store_id) data-events=(s.events)
                        data-previous-events=(s.previous_events) class=[dark(s).then_some("dark")] {
                        td { (s.store_id) } td { (thousands(s.events)) }
                        td { (thousands(s.previous_events)) } td { (s.last_seen) }
                    }
                }
            }
        }
    };
    figure(&title, svg::bars(&chart, &bars), &[], tbl)
}
