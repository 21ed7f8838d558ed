//! Pieces the page and its fragments share: a figure tile, a chart's card with its legend
//! and data table, and error messages.

use super::format::dollars;
use super::svg::{self, Bar, Chart, Series};
use maud::{html, Markup, Render};

/// A labelled figure; `class` adds a state (`ok`, `warn`) or is empty.
pub fn tile(label: &str, value: &str, class: &str) -> Markup {
    html! {
        div class={ "tile " (class) } {
            span class="k" { (label) }
            span class="v" { (value) }
        }
    }
}

/// A chart's card: its caption, the SVG, a legend when there is more than one series, and
/// its data table folded away.
pub fn figure(title: &str, svg: Markup, legend: &[Series], table: Markup) -> Markup {
    html! {
        figure class="card" {
            figcaption { (title) }
            (svg)
            @if legend.len() > 1 {
                ul class="legend" aria-hidden="true" {
                    @for s in legend {
                        li { span class="sw" style={ "background:" (s.color) } {} (s.name) }
                    }
                }
            }
            details { summary { "Data table" } (table) }
        }
    }
}

/// A card of horizontal bars with its data table folded away.
pub fn bars_card(chart: &Chart, bars: &[Bar], table: Markup) -> Markup {
    figure(chart.title, svg::bars(chart, bars), &[], table)
}

/// A card whose table stays open under the chart (the Stream section's figures to read).
pub fn open_card(title: &str, svg: Markup, table: Markup) -> Markup {
    html! {
        figure class="card" {
            figcaption { (title) }
            (svg)
            (table)
        }
    }
}

/// Revenue per state, as the bars and the map both list it.
pub fn state_table(states: &[(String, i64)]) -> Markup {
    table(
        "Revenue by state",
        &["State", "Revenue"],
        states.iter().map(|(s, r)| vec![s.clone(), dollars(*r)]),
    )
}

pub fn table(caption: &str, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr { @for h in head { th scope="col" { (h) } } } }
            tbody {
                @for row in rows {
                    tr { @for cell in row { td { (cell) } } }
                }
            }
        }
    }
}

/// An error message, escaped by maud, with its apostrophes sent as `&#39;` as the page always
/// has: messages quote the offending value ('x'), and clients match the quoted value.
pub struct Message<'a>(pub &'a str);

impl Render for Message<'_> {
    fn render_to(&self, out: &mut String) {
        let mut parts = self.0.split('\'');
        if let Some(first) = parts.next() {
            first.render_to(out);
        }
        for part in parts {
            out.push_str("&#39;");
            part.render_to(out);
        }
    }
}

/// The alert that replaces the charts when the filters are invalid (`/dashboard/charts`).
pub fn error_alert(message: &str) -> Markup {
    html! { div class="error" role="alert" { p { (Message(message)) } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_escaped_with_their_quotes() {
        assert_eq!(
            error_alert(r#"unknown category '<b>"x" & co'"#).into_string(),
            r#"<div class="error" role="alert"><p>unknown category &#39;&lt;b&gt;&quot;x&quot; &amp; co&#39;</p></div>"#
        );
    }

    #[test]
    fn a_figure_has_a_legend_only_for_several_series() {
        let series = |name: &str| Series {
            name: name.into(),
            color: "#000",
            values: vec![],
        };
        let tbl = table("T", &["A"], [vec!["<1>".to_string()]]);
        let one = figure("F", html! {}, &[series("a")], tbl.clone()).into_string();
        assert!(!one.contains("legend"));
        assert!(one.contains("<td>&lt;1&gt;</td>"));
        let two = figure("F", html! {}, &[series("a"), series("b & c")], tbl).into_string();
        assert!(two.contains(r#"<span class="sw" style="background:#000"></span>b &amp; c</li>"#));
    }
}
