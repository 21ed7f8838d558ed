//! The SQL files of `sql/duckdb/`, embedded at compile time, and the few literals the
//! templates take. Templates use `{{name}}` placeholders (DuckDB's own `{...}` struct
//! literals stay untouched); every value substituted is formatted here from a typed value,
//! so no user text reaches the SQL unescaped.

use crate::model::{PartitionHour, Table};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::path::Path;

/// Run in this order at every open; each is idempotent and never drops a table.
/// The lake readers are not a file: `readers.rs` derives them from the table declarations.
pub const SETUP: [(&str, &str); 3] = [
    (
        "01_schema.sql",
        include_str!("../../../sql/duckdb/01_schema.sql"),
    ),
    ("03_event_tables.sql", EVENT_TABLES),
    // Views only, over the tables above; after them because a view reads the stream tables.
    (
        "04_seed_compat.sql",
        include_str!("../../../sql/duckdb/04_seed_compat.sql"),
    ),
];

/// The stream tables and their views; also run again when a file made with keyed stream
/// tables is rebuilt (`stream::drop_stream_keys`).
pub const EVENT_TABLES: &str = include_str!("../../../sql/duckdb/03_event_tables.sql");

/// The stand-in for an `_ext` view while its lake table has no files.
pub const EXT_EMPTY: &str = include_str!("../../../sql/duckdb/ext/empty.sql");

/// Loads partitions of `table` into its managed table (`{{managed}}`): a batch of fact hours,
/// or a dimension's partition. The alerts have their own, which checks each row's partition.
pub fn merge(table: Table) -> &'static str {
    match table {
        Table::NegativeInventoryAlerts => {
            include_str!("../../../sql/duckdb/merge/negative_inventory_alerts.sql")
        }
        t if t.is_dimension() => include_str!("../../../sql/duckdb/merge/dimension.sql"),
        _ => include_str!("../../../sql/duckdb/merge/fact.sql"),
    }
}

pub const RECORD_PARTITION: &str = include_str!("../../../sql/duckdb/state/record_partition.sql");
pub const ADVANCE_WATERMARK: &str = include_str!("../../../sql/duckdb/state/advance_watermark.sql");
pub const LOADED_HOURS: &str = include_str!("../../../sql/duckdb/state/loaded_hours.sql");
pub const WATERMARK: &str = include_str!("../../../sql/duckdb/state/watermark.sql");
pub const TABLE_SUMMARY: &str = include_str!("../../../sql/duckdb/state/table_summary.sql");
pub const DIMENSION_SOURCES: &str = include_str!("../../../sql/duckdb/state/dimension_sources.sql");

pub use crate::warehouse::template::render;

/// The inside of a single-quoted SQL string (quotes doubled), without the quotes.
pub fn escape(s: &str) -> String {
    s.replace('\'', "''")
}

pub fn string(s: &str) -> String {
    format!("'{}'", escape(s))
}

pub fn date(d: NaiveDate) -> String {
    format!("DATE '{}'", d.format("%Y-%m-%d"))
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
}

/// The predicate selecting the partitions of `hours` in a managed table: the dates' range
/// first (the zone maps prune on it), then each date's hours.
pub fn partitions(hours: impl IntoIterator<Item = PartitionHour>) -> String {
    let mut by_date: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for hour in hours {
        by_date
            .entry(hour.date())
            .or_default()
            .push(hour.hour().to_string());
    }
    let (Some(first), Some(last)) = (by_date.keys().next(), by_date.keys().next_back()) else {
        return "false".to_string();
    };
    let each: Vec<String> = by_date
        .iter()
        .map(|(d, hours)| format!("(date = {} AND hour IN ({}))", date(*d), hours.join(", ")))
        .collect();
    format!(
        "date BETWEEN {} AND {} AND ({})",
        date(*first),
        date(*last),
        each.join(" OR ")
    )
}

/// A list of file paths, as `read_csv` takes them.
pub fn files(paths: &[impl AsRef<Path>]) -> String {
    let items: Vec<String> = paths
        .iter()
        .map(|p| string(&p.as_ref().to_string_lossy()))
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_its_callers_placeholders() {
        let partition = [
            ("date", "DATE '2026-11-20'"),
            ("hour", "5"),
            ("files", "['x.csv']"),
            ("reader", "sales_data_csv"),
            ("ingested_at", "TIMESTAMP '2026-11-20 05:00:00'"),
            ("table", "'sales_data'"),
            ("managed", "sales_data_managed"),
            ("partitions", "date = DATE '2026-11-20' AND hour = 5"),
            (
                "loaded",
                "('sales_data', DATE '2026-11-20', 5, 1, '0', now())",
            ),
        ];
        for table in Table::ALL {
            render(merge(table), &partition);
        }
        render(RECORD_PARTITION, &partition);
        render(ADVANCE_WATERMARK, &partition);
        render(EXT_EMPTY, &[("view", "v"), ("managed", "m")]);
        render(TABLE_SUMMARY, &[("table", "t")]);
    }

    #[test]
    fn literals_escape_quotes() {
        assert_eq!(string("it's"), "'it''s'");
        assert_eq!(
            files(&["/a/b's.csv", "/c.csv"]),
            "['/a/b''s.csv', '/c.csv']"
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date");
        assert_eq!(date(d), "DATE '2026-11-20'");
        let hours = [23, 0, 1].map(|h| PartitionHour::new(d, h).expect("valid hour"));
        let next = PartitionHour::new(d.succ_opt().expect("a next day"), 0).expect("valid hour");
        assert_eq!(
            partitions(hours.into_iter().chain([next])),
            "date BETWEEN DATE '2026-11-20' AND DATE '2026-11-21' AND \
             ((date = DATE '2026-11-20' AND hour IN (23, 0, 1)) OR \
             (date = DATE '2026-11-21' AND hour IN (0)))"
        );
        assert_eq!(partitions([]), "false");
    }
}
