//! Charts rendered on the server as inline SVG: stacked columns, lines and horizontal bars.
//! No script and no outside asset: each chart is a `role="img"` SVG with a `<title>` and a
//! `<desc>` for screen readers, and a `<title>` on every mark for the pointer. Pure functions
//! of their input, so their output is snapshot-tested. Written with maud, which escapes every
//! value; shapes get an explicit end tag (`<rect ...></rect>`) since maud writes no `/>`,
//! and an unclosed `<rect>` would swallow what follows it inside inline SVG.

use super::format::{axis_value, full_value, Unit};
use maud::{html, Markup};

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

impl<'a> Chart<'a> {
    pub fn new(id: &'a str, title: &'a str, desc: &'a str, unit: Unit) -> Self {
        Self {
            id,
            title,
            desc,
            unit,
        }
    }
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

/// A number with one decimal, as every coordinate is written.
pub(super) fn d1(v: f64) -> String {
    format!("{v:.1}")
}

/// The `<svg>` element around `body`, with the chart's title and text alternative.
pub(super) fn frame(chart: &Chart<'_>, height: f64, body: Markup) -> Markup {
    let id = chart.id;
    html! {
        svg class="chart" id=(id) viewBox={ "0 0 " (WIDTH) " " (height) } role="img"
            aria-labelledby={ (id) "-title " (id) "-desc" } xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-title" } { (chart.title) }
            desc id={ (id) "-desc" } { (chart.desc) }
            (body)
        }
    }
}

/// Horizontal gridlines and y-axis labels from 0 to the top tick; returns them and the top tick.
fn y_axis(unit: Unit, max: f64) -> (Markup, f64) {
    let step = nice_step(max);
    let ticks = (max / step).ceil().max(1.0) as usize;
    let top = step * ticks as f64;
    let axis = html! {
        g class="axis" aria-hidden="true" {
            @for i in 0..=ticks {
                @let v = step * i as f64;
                @let y = y_of(v, top);
                line x1=(LEFT) x2=(d1(WIDTH - RIGHT)) y1=(d1(y)) y2=(d1(y)) {}
                text x=(d1(LEFT - 6.0)) y=(d1(y + 4.0)) text-anchor="end" { (axis_value(unit, v)) }
            }
        }
    };
    (axis, top)
}

fn y_of(v: f64, top: f64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    TOP + plot - (v / top) * plot
}

/// X-axis labels under the slots, evenly spaced: at most `MAX_X_LABELS`, and no more than
/// fit side by side at their length.
fn x_labels(labels: &[String], x_at: impl Fn(usize) -> f64) -> Markup {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let fit = ((WIDTH - LEFT - RIGHT) / (longest * 6.5 + 12.0))
        .floor()
        .max(1.0) as usize;
    let every = labels.len().div_ceil(MAX_X_LABELS.min(fit)).max(1);
    html! {
        g class="axis" aria-hidden="true" {
            @for (i, label) in labels.iter().enumerate().step_by(every) {
                text x=(d1(x_at(i))) y=(d1(HEIGHT - BOTTOM + 16.0)) text-anchor="middle" { (label) }
            }
        }
    }
}

pub(super) fn empty(chart: &Chart<'_>, height: f64) -> Markup {
    let body = html! {
        text class="empty" x=(d1(WIDTH / 2.0)) y=(d1(height / 2.0)) text-anchor="middle" {
            "No data for these filters"
        }
    };
    frame(chart, height, body)
}

/// Columns, one per label, stacked by series (bottom first).
pub fn stacked_columns(chart: &Chart<'_>, labels: &[String], series: &[Series]) -> Markup {
    let value = |s: &Series, i: usize| s.values.get(i).copied().unwrap_or(0.0);
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| series.iter().map(|s| value(s, i)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    if labels.is_empty() || max <= 0.0 {
        return empty(chart, HEIGHT);
    }
    let (axis, top) = y_axis(chart.unit, max);
    let slot = (WIDTH - LEFT - RIGHT) / labels.len() as f64;
    let bar = (slot * 0.8).max(0.5);
    let x_at = |i: usize| LEFT + slot * (i as f64 + 0.5);
    // Each column's segments, bottom first: (column, label, series, value, bottom y, top y).
    let segments = labels.iter().enumerate().flat_map(|(i, label)| {
        let mut base = 0.0;
        series.iter().filter_map(move |s| {
            let v = value(s, i);
            if v <= 0.0 {
                return None;
            }
            let (y0, y1) = (y_of(base, top), y_of(base + v, top));
            base += v;
            Some((i, label, s, v, y0, y1))
        })
    });
    let body = html! {
        (axis)
        g class="marks" {
            @for (i, label, s, v, y0, y1) in segments {
                rect x=(d1(x_at(i) - bar / 2.0)) y=(d1(y1)) width=(d1(bar))
                    height=(d1((y0 - y1).max(0.1))) fill=(s.color) {
                    title { (label) " · " (s.name) ": " (full_value(chart.unit, v)) }
                }
            }
        }
        (x_labels(labels, x_at))
    };
    frame(chart, HEIGHT, body)
}

/// One line per series over the labels; points get a marker and tooltip when few enough.
pub fn lines(chart: &Chart<'_>, labels: &[String], series: &[Series]) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    if labels.is_empty() || series.iter().all(|s| s.values.is_empty()) {
        return empty(chart, HEIGHT);
    }
    let (axis, top) = y_axis(chart.unit, max.max(1.0));
    let span = (labels.len().max(2) - 1) as f64;
    let x_at = |i: usize| {
        if labels.len() == 1 {
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / span
        }
    };
    let points = |s: &Series| -> String {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_at(i), y_of(*v, top)))
            .collect();
        points.join(" ")
    };
    let body = html! {
        (axis)
        g class="marks" {
            @for s in series {
                @let peak = s.values.iter().copied().fold(0.0, f64::max);
                polyline points=(points(s)) fill="none" stroke=(s.color) stroke-width="2" {
                    title { (s.name) ": peak " (full_value(chart.unit, peak)) }
                }
                @if s.values.len() <= 48 {
                    @for (i, v) in s.values.iter().enumerate() {
                        circle cx=(d1(x_at(i))) cy=(d1(y_of(*v, top))) r="3" fill=(s.color) {
                            title {
                                (labels.get(i).map_or("", String::as_str)) " · " (s.name) ": "
                                (full_value(chart.unit, *v))
                            }
                        }
                    }
                }
            }
        }
        (x_labels(labels, x_at))
    };
    frame(chart, HEIGHT, body)
}

/// Horizontal bars, largest first as given, each labelled with its name and value.
pub fn bars(chart: &Chart<'_>, items: &[Bar]) -> Markup {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 300.0;
    const VALUE: f64 = 96.0;
    let height = (items.len().max(3) as f64) * ROW + 8.0;
    let max = items.iter().map(|b| b.value).fold(0.0, f64::max);
    if items.is_empty() || max <= 0.0 {
        return empty(chart, height);
    }
    let room = WIDTH - LABEL - VALUE;
    // Long names are cut (the tooltip and the data table keep them whole).
    let cut = |label: &str| -> String {
        if label.chars().count() > MAX_LABEL {
            label.chars().take(MAX_LABEL - 1).chain(['…']).collect()
        } else {
            label.to_owned()
        }
    };
    let body = html! {
        g class="marks" {
            @for (i, b) in items.iter().enumerate() {
                @let y = 4.0 + ROW * i as f64;
                @let w = (b.value.max(0.0) / max * room).max(1.0);
                @let value = full_value(chart.unit, b.value);
                g {
                    title {
                        (b.label)
                        @if !b.note.is_empty() { " (" (b.note) ")" }
                        ": " (value)
                    }
                    text class="label" x=(d1(LABEL - 8.0)) y=(d1(y + ROW * 0.65)) text-anchor="end" {
                        (cut(&b.label)) tspan class="note" { " " (b.note) }
                    }
                    rect x=(LABEL) y=(d1(y + 3.0)) width=(d1(w)) height=(d1(ROW - 6.0)) fill=(b.color) {}
                    text class="value" x=(d1(LABEL + w + 6.0)) y=(d1(y + ROW * 0.65)) { (value) }
                }
            }
        }
    };
    frame(chart, height, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(unit: Unit) -> Chart<'static> {
        Chart::new("t", "Revenue <per> day", "Two days & two categories", unit)
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
        let svg = stacked_columns(&chart(Unit::Cents), &labels, &two_series()).into_string();
        // Three marks: the zero value draws nothing. Text is escaped.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("Revenue &lt;per&gt; day"));
        assert!(svg.contains("Toys &amp; Games"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn lines_snapshot() {
        let labels = vec!["00".to_string(), "01".to_string()];
        let svg = lines(&chart(Unit::Count), &labels, &two_series()).into_string();
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
        let svg = bars(&chart(Unit::Cents), &items).into_string();
        assert!(svg.contains("$1,500.00") && svg.contains("$500.00"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn no_data_says_so_instead_of_drawing_an_empty_frame() {
        for svg in [
            stacked_columns(&chart(Unit::Cents), &[], &[]),
            lines(&chart(Unit::Count), &[], &[]),
            bars(&chart(Unit::Cents), &[]),
        ]
        .map(Markup::into_string)
        {
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
        let svg = stacked_columns(&chart(Unit::Count), &labels, &[s]).into_string();
        assert_eq!(svg.matches("<rect").count(), 168);
        let drawn = labels
            .iter()
            .filter(|l| svg.contains(&format!(">{l}</text>")))
            .count();
        assert!((2..=MAX_X_LABELS).contains(&drawn), "{drawn} labels");
    }
}
