//! Sales by category over time: stacked columns per day and per hour, one colour per category.

use super::charts::category_color;
use super::components::{figure, table};
use super::data::Charts;
use super::format::{full_value, Unit};
use super::svg::{self, Chart, Series};
use maud::Markup;
use std::collections::BTreeMap;

/// Hours the hourly charts show: the last week of the selection.
pub const HOURLY_WINDOW: usize = 7 * 24;

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

/// Revenue (`Unit::Cents`) or units (`Unit::Count`) by category, one column per day.
pub fn daily_chart(c: &Charts, id: &str, title: &str, unit: Unit) -> Markup {
    let mut dates: Vec<String> = c.daily.iter().map(|r| r.date.clone()).collect();
    dates.dedup();
    let cats = c.categories();
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
    let chart = Chart::new(id, title, &desc, unit);
    let svg = svg::stacked_columns(&chart, &dates, &series);
    let rows = series
        .iter()
        .map(|s| vec![s.name.clone(), full_value(unit, s.values.iter().sum())]);
    let tbl = table(
        &format!("{title}: totals per category"),
        &["Category", "Total"],
        rows,
    );
    figure(title, svg, &series, tbl)
}

/// Revenue or units by category, one column per hour over the last `HOURLY_WINDOW` hours.
pub fn hourly_chart(c: &Charts, id: &str, title: &str, unit: Unit) -> Markup {
    let mut hours: Vec<(String, u8)> = c.hourly.iter().map(|r| (r.date.clone(), r.hour)).collect();
    hours.dedup();
    let shown = &hours[hours.len().saturating_sub(HOURLY_WINDOW)..];
    let labels: Vec<String> = shown.iter().map(|(d, h)| format!("{d} {h:02}h")).collect();
    let cats = c.categories();
    let first = shown.first().cloned().unwrap_or_default();
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
    let chart = Chart::new(id, &full_title, &desc, unit);
    let svg = svg::stacked_columns(&chart, &labels, &series);
    let rows = labels.iter().enumerate().map(|(i, l)| {
        vec![
            l.clone(),
            full_value(unit, series.iter().map(|s| s.values[i]).sum()),
        ]
    });
    let tbl = table(&full_title, &["Hour", "Total"], rows);
    figure(&full_title, svg, &series, tbl)
}
