//! Charts drawn as grids of squares, server-side like `svg.rs`: the US states as a tile map
//! (one square per state in its rough place, no map data and no outside asset) and a heatmap
//! (rows x columns). A square's shade grows with its value; each has a `<title>` for the
//! pointer and data attributes for tests and scripts. Pure functions, snapshot-tested.

use super::format::full_value;
use super::svg::{d1, empty, frame, Chart};
use maud::{html, Markup};

/// Each state (and DC) at (column, row) of an 11 x 8 grid, roughly where it lies.
#[rustfmt::skip]
const US_TILES: [(&str, u8, u8); 51] = [
    ("AK", 0, 0), ("ME", 10, 0),
    ("VT", 9, 1), ("NH", 10, 1),
    ("WA", 0, 2), ("ID", 1, 2), ("MT", 2, 2), ("ND", 3, 2), ("MN", 4, 2), ("IL", 5, 2),
    ("WI", 6, 2), ("MI", 7, 2), ("NY", 8, 2), ("RI", 9, 2), ("MA", 10, 2),
    ("OR", 0, 3), ("NV", 1, 3), ("WY", 2, 3), ("SD", 3, 3), ("IA", 4, 3), ("IN", 5, 3),
    ("OH", 6, 3), ("PA", 7, 3), ("NJ", 8, 3), ("CT", 9, 3),
    ("CA", 0, 4), ("UT", 1, 4), ("CO", 2, 4), ("NE", 3, 4), ("MO", 4, 4), ("KY", 5, 4),
    ("WV", 6, 4), ("VA", 7, 4), ("MD", 8, 4), ("DE", 9, 4),
    ("AZ", 1, 5), ("NM", 2, 5), ("KS", 3, 5), ("AR", 4, 5), ("TN", 5, 5), ("NC", 6, 5),
    ("SC", 7, 5), ("DC", 8, 5),
    ("OK", 3, 6), ("LA", 4, 6), ("MS", 5, 6), ("AL", 6, 6), ("GA", 7, 6),
    ("HI", 0, 7), ("TX", 3, 7), ("FL", 8, 7),
];
const TILE: f64 = 56.0;
const GAP: f64 = 4.0;
const NO_DATA: &str = "#e3e8ee";

/// The shade for `v` of `max`: from a pale to a deep blue, `NO_DATA` for none.
pub fn shade(v: Option<f64>, max: f64) -> String {
    let Some(v) = v.filter(|v| *v > 0.0 && max > 0.0) else {
        return NO_DATA.to_string();
    };
    let t = (v / max).clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(222.0, 8.0),
        mix(235.0, 81.0),
        mix(247.0, 156.0)
    )
}

/// Text dark on pale squares, white on deep ones.
fn ink(v: Option<f64>, max: f64) -> &'static str {
    match v {
        Some(v) if max > 0.0 && v / max > 0.55 => "#fff",
        _ => "#1d2733",
    }
}

/// One square per state, shaded by its value in `values` (`(state, value)`); states without
/// a value stay grey. States not on the grid are left to the chart's data table.
pub fn us_tile_map(chart: &Chart<'_>, values: &[(String, f64)]) -> Markup {
    let height = 8.0 * (TILE + GAP) + GAP;
    if values.is_empty() {
        return empty(chart, height);
    }
    let max = values.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let left = (720.0 - 11.0 * (TILE + GAP)) / 2.0;
    let body = html! {
        g class="marks" {
            @for (state, col, row) in US_TILES {
                @let v = values.iter().find(|(s, _)| s == state).map(|(_, v)| *v);
                @let x = left + f64::from(col) * (TILE + GAP);
                @let y = GAP + f64::from(row) * (TILE + GAP);
                g data-state=(state) data-value=[v.map(|v| format!("{v:.0}"))] {
                    title {
                        (state) ": "
                        (v.map_or_else(|| "no sales".to_string(), |v| full_value(chart.unit, v)))
                    }
                    rect x=(d1(x)) y=(d1(y)) width=(d1(TILE)) height=(d1(TILE)) rx="4"
                        fill=(shade(v, max)) {}
                    text class="label" x=(d1(x + TILE / 2.0)) y=(d1(y + TILE / 2.0 + 4.0))
                        text-anchor="middle" fill=(ink(v, max)) { (state) }
                }
            }
        }
    };
    frame(chart, height, body)
}

/// A heatmap: one row per `rows` label, one column per `columns` label, `values[r][c]`
/// shading each cell (none: grey). Row labels on the left, column labels below.
pub fn heatmap(
    chart: &Chart<'_>,
    rows: &[String],
    columns: &[String],
    values: &[Vec<Option<f64>>],
) -> Markup {
    const LEFT: f64 = 84.0;
    const CELL_H: f64 = 22.0;
    let cell_w = ((720.0 - LEFT - 8.0) / columns.len().max(1) as f64).min(40.0);
    let height = rows.len() as f64 * CELL_H + 28.0;
    let max = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .fold(0.0, f64::max);
    if rows.is_empty() || columns.is_empty() || max <= 0.0 {
        return empty(chart, height.max(80.0));
    }
    let body = html! {
        g class="marks" {
            @for (r, row) in rows.iter().enumerate() {
                @let y = r as f64 * CELL_H;
                text class="label" x=(d1(LEFT - 6.0)) y=(d1(y + CELL_H * 0.7)) text-anchor="end" { (row) }
                @for (c, column) in columns.iter().enumerate() {
                    @let v = values.get(r).and_then(|cells| cells.get(c)).copied().flatten();
                    rect x=(d1(LEFT + c as f64 * cell_w)) y=(d1(y + 1.0)) width=(d1(cell_w - 2.0))
                        height=(d1(CELL_H - 2.0)) fill=(shade(v, max))
                        data-row=(row) data-column=(column) data-value=[v.map(|v| format!("{v:.0}"))] {
                        title {
                            (row) " " (column) ": "
                            (v.map_or_else(|| "none".to_string(), |v| full_value(chart.unit, v)))
                        }
                    }
                }
            }
        }
        g class="axis" {
            @for (c, column) in columns.iter().enumerate() {
                @if columns.len() <= 12 || c % 3 == 0 {
                    text x=(d1(LEFT + (c as f64 + 0.5) * cell_w)) y=(d1(rows.len() as f64 * CELL_H + 16.0))
                        text-anchor="middle" { (column) }
                }
            }
        }
    };
    frame(chart, height, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dashboard::format::Unit;

    fn chart() -> Chart<'static> {
        Chart::new("g", "Revenue <by> state", "Two states & DC", Unit::Cents)
    }

    #[test]
    fn every_state_is_on_the_grid_once() {
        let mut names: Vec<&str> = US_TILES.iter().map(|t| t.0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 51);
        let mut places: Vec<(u8, u8)> = US_TILES.iter().map(|t| (t.1, t.2)).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), 51, "no two states share a square");
        assert!(US_TILES.iter().all(|t| t.1 < 11 && t.2 < 8));
    }

    #[test]
    fn shades_run_from_pale_to_deep_and_none_is_grey() {
        assert_eq!(shade(None, 10.0), NO_DATA);
        assert_eq!(shade(Some(0.0), 10.0), NO_DATA);
        assert_eq!(shade(Some(10.0), 10.0), "#08519c");
        assert_eq!(shade(Some(20.0), 10.0), "#08519c", "clamped");
    }

    #[test]
    fn us_tile_map_snapshot() {
        let values = vec![("CA".to_string(), 150_000.0), ("TX".to_string(), 50_000.0)];
        let svg = us_tile_map(&chart(), &values).into_string();
        assert_eq!(svg.matches("<rect").count(), 51);
        assert!(svg.contains(r#"data-state="CA" data-value="150000""#));
        assert!(svg.contains("Revenue &lt;by&gt; state"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn heatmap_snapshot() {
        let rows = vec!["Mon".to_string(), "Tue".to_string()];
        let columns = vec!["00".to_string(), "01".to_string(), "02".to_string()];
        let values = vec![
            vec![Some(100.0), None, Some(50.0)],
            vec![Some(25.0), Some(0.0), None],
        ];
        let svg = heatmap(&chart(), &rows, &columns, &values).into_string();
        assert_eq!(svg.matches("<rect").count(), 6);
        assert!(svg.contains(r#"data-row="Mon" data-column="00" data-value="100""#));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn no_values_say_so() {
        for svg in
            [us_tile_map(&chart(), &[]), heatmap(&chart(), &[], &[], &[])].map(Markup::into_string)
        {
            assert!(svg.contains("No data for these filters"), "{svg}");
        }
    }
}
