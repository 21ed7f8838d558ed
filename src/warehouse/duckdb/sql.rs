//! The SQL files of `sql/duckdb/`, embedded at compile time, and the few literals the
//! templates take. Templates use `{{name}}` placeholders (DuckDB's own `{...}` struct
//! literals stay untouched); every value substituted is formatted here from a typed value,
//! so no user text reaches the SQL unescaped.

use crate::model::Table;
use chrono::{DateTime, NaiveDate, Utc};
use std::path::Path;

/// Run in this order at every open; each is idempotent and never drops a table.
pub const SETUP: [(&str, &str); 4] = [
    (
        "01_schema.sql",
        include_str!("../../../sql/duckdb/01_schema.sql"),
    ),
    (
        "02_csv_readers.sql",
        include_str!("../../../sql/duckdb/02_csv_readers.sql"),
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

/// The file of `table` among `sql/duckdb/<dir>/<table><suffix>.sql`, embedded.
macro_rules! per_table {
    ($table:expr, $dir:literal, $suffix:literal) => {
        match $table {
            Table::ProductCatalog => per_table!(@file $dir, "product_catalog", $suffix),
            Table::Stores => per_table!(@file $dir, "stores", $suffix),
            Table::SalesData => per_table!(@file $dir, "sales_data", $suffix),
            Table::InventoryData => per_table!(@file $dir, "inventory_data", $suffix),
            Table::NegativeInventoryAlerts => {
                per_table!(@file $dir, "negative_inventory_alerts", $suffix)
            }
        }
    };
    (@file $dir:literal, $name:literal, $suffix:literal) => {
        include_str!(concat!("../../../sql/duckdb/", $dir, "/", $name, $suffix, ".sql"))
    };
}

/// `<table>_ext` view over the lake; `{{lake}}` is the lake directory.
pub fn ext_view(table: Table) -> &'static str {
    per_table!(table, "ext", "_ext")
}

/// The stand-in for an `_ext` view while its lake table has no files.
pub const EXT_EMPTY: &str = include_str!("../../../sql/duckdb/ext/empty.sql");

/// Loads one partition of `table` into its managed table.
pub fn merge(table: Table) -> &'static str {
    per_table!(table, "merge", "")
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
            ("rows", "1"),
            ("crc32c", "'00000000'"),
        ];
        for table in Table::ALL {
            render(merge(table), &partition);
            render(ext_view(table), &[("lake", "/tmp/lake")]);
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
    }
}
