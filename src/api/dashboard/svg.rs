//! Charts rendered on the server as inline SVG: stacked columns, lines and horizontal bars.
//! No script and no outside asset: each chart is a `role="img"` SVG with a `<title>` and a
//! `<desc>` for screen readers, and a `<title>` on every mark for the pointer. Pure functions
//! of their input, so their output is snapshot-tested.

use super::format::{axis_value, escape, full_value, Unit};
use std::fmt::Write;

/// One named series of values, one per label.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub values: Vec<f64>,
}

/// What every chart has: an id unique on the page, a title, a text alternative and a unit.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// The text alternative: what the chart shows and its main figures, in words.
    pub desc: &'a str,
    pub unit: Unit,
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// Shown after the label in smaller type (a state, a category).
    pub note: String,
    pub value: f64,
    pub color: &'static str,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
/// Longest bar label drawn, in characters, so that it and its note fit left of the bar.
const MAX_LABEL: usize = 24;
/// Most x-axis labels drawn; the others are skipped evenly (every mark keeps its tooltip).
const MAX_X_LABELS: usize = 12;

/// A step of 1, 2 or 5 times a power of ten giving about four gridlines up to `max`, at least 1.
pub fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    // Values are whole cents or counts: never step by less than one.
    step.max(1.0)
}

fn open(out: &mut String, chart: &Chart<'_>, height: f64) {
    let id = escape(chart.id);
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(chart.title),
        escape(chart.desc),
    );
}

/// Horizontal gridlines and y-axis labels from 0 to the top tick; returns the top tick.
fn y_axis(out: &mut String, unit: Unit, max: f64) -> f64 {
    let step = nice_step(max);
    let ticks = (max / step).ceil().max(1.0) as usize;
    let top = step * ticks as f64;
    out.push_str(r#"<g class="axis" aria-hidden="true">"#);
    for i in 0..=ticks {
        let v = step * i as f64;
        let y = y_of(v, top);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&axis_value(unit, v)),
        );
    }
    out.push_str("</g>");
    top
}

fn y_of(v: f64, top: f64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    TOP + plot - (v / top) * plot
}

/// X-axis labels under the slots, evenly spaced: at most `MAX_X_LABELS`, and no more than
/// fit side by side at their length.
fn x_labels(out: &mut String, labels: &[String], x_at: impl Fn(usize) -> f64) {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let fit = ((WIDTH - LEFT - RIGHT) / (longest * 6.5 + 12.0))
        .floor()
        .max(1.0) as usize;
    let every = labels.len().div_ceil(MAX_X_LABELS.min(fit)).max(1);
    out.push_str(r#"<g class="axis" aria-hidden="true">"#);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x_at(i),
            HEIGHT - BOTTOM + 16.0,
            escape(label),
        );
    }
    out.push_str("</g>");
}

fn empty(out: &mut String, height: f64) {
    let _ = write!(
        out,
        r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">No data for these filters</text></svg>"#,
        WIDTH / 2.0,
        height / 2.0
    );
}

/// Columns, one per label, stacked by series (bottom first).
pub fn stacked_columns(chart: &Chart<'_>, labels: &[String], series: &[Series]) -> String {
    let mut out = String::new();
    open(&mut out, chart, HEIGHT);
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    if labels.is_empty() || max <= 0.0 {
        empty(&mut out, HEIGHT);
        return out;
    }
    let top = y_axis(&mut out, chart.unit, max);
    let slot = (WIDTH - LEFT - RIGHT) / labels.len() as f64;
    let bar = (slot * 0.8).max(0.5);
    let x_at = |i: usize| LEFT + slot * (i as f64 + 0.5);
    out.push_str(r#"<g class="marks">"#);
    for (i, label) in labels.iter().enumerate() {
        let mut base = 0.0;
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y0, y1) = (y_of(base, top), y_of(base + v, top));
            base += v;
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{y1:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{} · {}: {}</title></rect>"#,
                x_at(i) - bar / 2.0,
                (y0 - y1).max(0.1),
                s.color,
                escape(label),
                escape(&s.name),
                escape(&full_value(chart.unit, v)),
            );
        }
    }
    out.push_str("</g>");
    x_labels(&mut out, labels, x_at);
    out.push_str("</svg>");
    out
}

/// One line per series over the labels; points get a marker and tooltip when few enough.
pub fn lines(chart: &Chart<'_>, labels: &[String], series: &[Series]) -> String {
    let mut out = String::new();
    open(&mut out, chart, HEIGHT);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    if labels.is_empty() || series.iter().all(|s| s.values.is_empty()) {
        empty(&mut out, HEIGHT);
        return out;
    }
    let top = y_axis(&mut out, chart.unit, max.max(1.0));
    let span = (labels.len().max(2) - 1) as f64;
    let x_at = |i: usize| {
        if labels.len() == 1 {
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / span
        }
    };
    out.push_str(r#"<g class="marks">"#);
    for s in series {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_at(i), y_of(*v, top)))
            .collect();
        let peak = s.values.iter().copied().fold(0.0, f64::max);
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"><title>{}: peak {}</title></polyline>"#,
            points.join(" "),
            s.color,
            escape(&s.name),
            escape(&full_value(chart.unit, peak)),
        );
        if s.values.len() <= 48 {
            for (i, v) in s.values.iter().enumerate() {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{} · {}: {}</title></circle>"#,
                    x_at(i),
                    y_of(*v, top),
                    s.color,
                    escape(labels.get(i).map_or("", String::as_str)),
                    escape(&s.name),
                    escape(&full_value(chart.unit, *v)),
                );
            }
        }
    }
    out.push_str("</g>");
    x_labels(&mut out, labels, x_at);
    out.push_str("</svg>");
    out
}

/// Horizontal bars, largest first as given, each labelled with its name and value.
pub fn bars(chart: &Chart<'_>, items: &[Bar]) -> String {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 300.0;
    const VALUE: f64 = 96.0;
    let height = (items.len().max(3) as f64) * ROW + 8.0;
    let mut out = String::new();
    open(&mut out, chart, height);
    let max = items.iter().map(|b| b.value).fold(0.0, f64::max);
    if items.is_empty() || max <= 0.0 {
        empty(&mut out, height);
        return out;
    }
    let room = WIDTH - LABEL - VALUE;
    out.push_str(r#"<g class="marks">"#);
    for (i, b) in items.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let w = (b.value.max(0.0) / max * room).max(1.0);
        let value = full_value(chart.unit, b.value);
        // Long names are cut (the tooltip and the data table keep them whole).
        let label: String = if b.label.chars().count() > MAX_LABEL {
            b.label.chars().take(MAX_LABEL - 1).chain(['…']).collect()
        } else {
            b.label.clone()
        };
        let _ = write!(
            out,
            r#"<g><title>{}{}: {}</title><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}<tspan class="note"> {}</tspan></text><rect x="{LABEL}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"/><text class="value" x="{:.1}" y="{:.1}">{}</text></g>"#,
            escape(&b.label),
            if b.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&b.note))
            },
            escape(&value),
            LABEL - 8.0,
            y + ROW * 0.65,
            escape(&label),
            escape(&b.note),
            y + 3.0,
            ROW - 6.0,
            b.color,
            LABEL + w + 6.0,
            y + ROW * 0.65,
            escape(&value),
        );
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(unit: Unit) -> Chart<'static> {
        Chart {
            id: "t",
            title: "Revenue <per> day",
            desc: "Two days & two categories",
            unit,
        }
    }

    fn two_series() -> Vec<Series> {
        vec![
            Series {
                name: "Grocery".into(),
                color: "#1f77b4",
                values: vec![12_345.0, 20_000.0],
            },
            Series {
                name: "Toys & Games".into(),
                color: "#ff7f0e",
                values: vec![5_000.0, 0.0],
            },
        ]
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(100.0), 50.0);
        assert_eq!(nice_step(25_345.0), 10_000.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(2.0), 1.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn stacked_columns_snapshot() {
        let labels = vec!["2026-01-01".to_string(), "2026-01-02".to_string()];
        let svg = stacked_columns(&chart(Unit::Cents), &labels, &two_series());
        // Three marks: the zero value draws nothing. Text is escaped.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("Revenue &lt;per&gt; day"));
        assert!(svg.contains("Toys &amp; Games"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn lines_snapshot() {
        let labels = vec!["00".to_string(), "01".to_string()];
        let svg = lines(&chart(Unit::Count), &labels, &two_series());
        assert_eq!(svg.matches("<polyline").count(), 2);
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn bars_snapshot() {
        let items = vec![
            Bar {
                label: "Store 1".into(),
                note: "CA".into(),
                value: 150_000.0,
                color: "#1f77b4",
            },
            Bar {
                label: "Store 2".into(),
                note: "TX".into(),
                value: 50_000.0,
                color: "#1f77b4",
            },
        ];
        let svg = bars(&chart(Unit::Cents), &items);
        assert!(svg.contains("$1,500.00") && svg.contains("$500.00"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn no_data_says_so_instead_of_drawing_an_empty_frame() {
        for svg in [
            stacked_columns(&chart(Unit::Cents), &[], &[]),
            lines(&chart(Unit::Count), &[], &[]),
            bars(&chart(Unit::Cents), &[]),
        ] {
            assert!(svg.contains("No data for these filters"), "{svg}");
            assert!(svg.ends_with("</svg>"));
            assert!(!svg.contains("<rect") && !svg.contains("<polyline"));
        }
    }

    #[test]
    fn many_labels_are_thinned_but_every_mark_stays() {
        let labels: Vec<String> = (0..168).map(|h| format!("h{h}")).collect();
        let s = Series {
            name: "Grocery".into(),
            color: "#000",
            values: vec![1.0; 168],
        };
        let svg = stacked_columns(&chart(Unit::Count), &labels, &[s]);
        assert_eq!(svg.matches("<rect").count(), 168);
        let drawn = labels
            .iter()
            .filter(|l| svg.contains(&format!(">{l}</text>")))
            .count();
        assert!((2..=MAX_X_LABELS).contains(&drawn), "{drawn} labels");
    }
}
