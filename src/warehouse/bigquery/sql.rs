//! The SQL files of `sql/bigquery/`, embedded at compile time, and how they are filled in:
//! `${project}`, `${dataset}`, `${location}` from validated names, `{{name}}` in the refresh
//! scripts from typed values formatted here. User input never goes through here: analytics
//! filters are query parameters.

use crate::model::{ColumnType, Table};
use chrono::{DateTime, NaiveDate, Utc};

/// Run in this order at every open, `SETUP_TABLES`, then the stream tables (from
/// `crate::warehouse::stream_tables`), then `SETUP_VIEWS`; each is idempotent and never drops
/// a table. `01_external_tables.sql` is not among them: no emulator supports external tables.
/// A view comes after the tables it reads: it cannot be created over a table that does not
/// exist.
pub const SETUP_TABLES: [(&str, &str); 2] = [
    (
        "00_dataset.sql",
        include_str!("../../../sql/bigquery/00_dataset.sql"),
    ),
    (
        "02_managed_tables.sql",
        include_str!("../../../sql/bigquery/02_managed_tables.sql"),
    ),
];

pub const SETUP_VIEWS: [(&str, &str); 5] = [
    (
        "04_order_events_clean.sql",
        include_str!("../../../sql/bigquery/04_order_events_clean.sql"),
    ),
    (
        "05_pubsub_raw_tables.sql",
        include_str!("../../../sql/bigquery/05_pubsub_raw_tables.sql"),
    ),
    (
        "06_pubsub_views.sql",
        include_str!("../../../sql/bigquery/06_pubsub_views.sql"),
    ),
    (
        "07_dead_letters.sql",
        include_str!("../../../sql/bigquery/07_dead_letters.sql"),
    ),
    // Its own dataset (`<dataset>_seed_compat`) and views over the tables and views above.
    (
        "08_seed_compat.sql",
        include_str!("../../../sql/bigquery/08_seed_compat.sql"),
    ),
];

pub const EXTERNAL_TABLES: &str = include_str!("../../../sql/bigquery/01_external_tables.sql");
/// The same external tables over a Parquet lake.
pub const EXTERNAL_TABLES_PARQUET: &str =
    include_str!("../../../sql/bigquery/01_external_tables_parquet.sql");
pub const LOAD_HOUR: &str = include_str!("../../../sql/bigquery/refresh/load_hour.sql");
pub const LOADED_HOURS: &str = include_str!("../../../sql/bigquery/state/loaded_hours.sql");
pub const WATERMARK: &str = include_str!("../../../sql/bigquery/state/watermark.sql");
pub const DIMENSION_SOURCES: &str =
    include_str!("../../../sql/bigquery/state/dimension_sources.sql");
pub const TABLE_ROWS: &str = include_str!("../../../sql/bigquery/state/table_rows.sql");
pub const COLUMNS: &str = include_str!("../../../sql/bigquery/state/columns.sql");
pub const STREAM_ROWS: &str = include_str!("../../../sql/bigquery/state/stream_rows.sql");

/// Merges one dimension partition from its staging table, keyed by its id. Filled with
/// `merge_dimension_vars` and the caller's values.
pub const MERGE_DIMENSION: &str = include_str!("../../../sql/bigquery/refresh/dimension.sql");

/// The table's names and column lists for `MERGE_DIMENSION`, from the data contract, so a
/// new dimension or column needs no SQL written for it. `None` for a table that is not a
/// dimension.
pub fn merge_dimension_vars(table: Table) -> Option<Vec<(&'static str, String)>> {
    let key = table.key()?;
    let columns = table.columns();
    let set: Vec<String> = columns
        .iter()
        .filter(|c| **c != key)
        .map(|c| format!("{c} = s.{c}"))
        .collect();
    let values: Vec<String> = columns.iter().map(|c| format!("s.{c}")).collect();
    Some(vec![
        ("table", table.name().to_string()),
        ("managed", table.managed().to_string()),
        ("key", key.to_string()),
        ("set", set.join(", ")),
        ("columns", columns.join(", ")),
        ("values", values.join(", ")),
    ])
}

/// Where the warehouse lives; each part checked to be a plain BigQuery name, so it can stand
/// in the SQL text as it is.
#[derive(Debug, Clone)]
pub struct Names {
    pub project: String,
    pub dataset: String,
    pub location: String,
}

/// A name that BigQuery would refuse, or that could not stand in SQL text as it is.
#[derive(Debug, thiserror::Error)]
#[error("invalid BigQuery {what} '{value}' ({allowed})")]
pub struct InvalidName {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

impl Names {
    pub fn new(project: String, dataset: String, location: String) -> Result<Self, InvalidName> {
        let check = |what, value: &str, extra: &[char], max: usize, allowed| {
            let ok = !value.is_empty()
                && value.len() <= max
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c));
            match ok {
                true => Ok(()),
                false => Err(InvalidName {
                    what,
                    value: value.to_string(),
                    allowed,
                }),
            }
        };
        let project_chars = "letters, digits, '_', '-', ':', '.'";
        check("project id", &project, &['-', ':', '.'], 128, project_chars)?;
        check("dataset name", &dataset, &[], 1024, "letters, digits, '_'")?;
        check(
            "location",
            &location,
            &['-'],
            64,
            "letters, digits, '_', '-'",
        )?;
        Ok(Self {
            project,
            dataset,
            location,
        })
    }

    /// The file with `${project}`, `${dataset}` and `${location}` filled in, and its
    /// whole-line comments left out (the emulator would take an `@name` in a comment for a
    /// parameter).
    pub fn fill(&self, template: &str) -> String {
        let lines: Vec<&str> = template
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect();
        lines
            .join("\n")
            .replace("${project}", &self.project)
            .replace("${dataset}", &self.dataset)
            .replace("${location}", &self.location)
    }
}

pub use crate::warehouse::template::render;

/// A GoogleSQL string literal; backslashes and quotes escaped.
pub fn string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub fn date(d: NaiveDate) -> String {
    format!("DATE '{}'", d.format("%Y-%m-%d"))
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    format!("TIMESTAMP '{}+00'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
}

/// A lake column's type in BigQuery.
pub fn column_type(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Money => "NUMERIC",
        ColumnType::Int32 | ColumnType::Int64 => "INT64",
        ColumnType::Timestamp => "TIMESTAMP",
        ColumnType::Date => "DATE",
        ColumnType::Text | ColumnType::OptionalText => "STRING",
    }
}

/// The schema of a lake table's staging table: its columns, in order, typed from
/// `Table::column_types()`.
pub fn staging_schema(table: Table) -> Vec<(&'static str, &'static str)> {
    table
        .columns()
        .iter()
        .zip(table.column_types())
        .map(|(c, kind)| (*c, column_type(*kind)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console's CSV external tables (`01_external_tables.sql`, which no emulator can
    /// run) list each lake table's columns with the types its load jobs use; the alerts'
    /// table reads its files as they are (no Hive partition columns beside their own).
    #[test]
    fn the_console_external_tables_have_each_lake_tables_columns() {
        for table in Table::ALL {
            let head = format!("`${{project}}.${{dataset}}.{}_ext` (", table.name());
            let at = EXTERNAL_TABLES
                .find(&head)
                .expect("an external table per lake table");
            let rest = &EXTERNAL_TABLES[at + head.len()..];
            let listed: Vec<String> = rest[..rest.find(')').expect("a column list")]
                .split(',')
                .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            let want: Vec<String> = staging_schema(table)
                .iter()
                .map(|(name, ty)| format!("{name} {ty}"))
                .collect();
            assert_eq!(listed, want, "{}", table.name());
            let as_they_are =
                !rest[..rest.find(';').expect("one statement")].contains("WITH PARTITION COLUMNS");
            assert_eq!(as_they_are, table.carries_partition(), "{}", table.name());
            // The Parquet twin lists no columns (the files carry them), but every table.
            let uris = format!("uris = ['gs://${{bucket}}/{}/*']", table.name());
            for ddl in [EXTERNAL_TABLES, EXTERNAL_TABLES_PARQUET] {
                assert!(ddl.contains(&head.replace(" (", "")), "{}", table.name());
                assert!(ddl.contains(&uris), "{}: {uris}", table.name());
            }
        }
    }

    /// `table_rows` reads one count per `Table::managed`; a table missing from the file would
    /// fail every status call at run time.
    #[test]
    fn table_rows_counts_every_managed_table() {
        for table in crate::model::Table::ALL {
            let name = table.managed();
            assert!(TABLE_ROWS.contains(&format!("'{name}'")), "{name}");
            assert!(TABLE_ROWS.contains(&format!(".{name}`")), "{name}");
        }
    }

    #[test]
    fn every_template_renders_with_its_callers_placeholders() {
        let names = Names::new("p".into(), "d".into(), "US".into()).expect("names");
        let mut vars: Vec<(&str, String)> =
            ["date", "hour", "ingested_at", "stage", "rows", "crc32c"]
                .into_iter()
                .map(|k| (k, "x".to_string()))
                .collect();
        for prefix in ["sales", "inventory", "alerts"] {
            for suffix in ["stage", "rows", "crc32c"] {
                let key: &'static str = Box::leak(format!("{prefix}_{suffix}").into_boxed_str());
                vars.push((key, "x".into()));
            }
        }
        render(&names.fill(LOAD_HOUR), &vars);
        // MERGE_DIMENSION: rendered with the same placeholders by the snapshot test below.
        for (_, text) in SETUP_TABLES.iter().chain(&SETUP_VIEWS) {
            assert!(!names.fill(text).contains("${"));
        }
    }

    /// The dimension merges as BigQuery runs them, filled from the data contract: a
    /// reviewed snapshot, so a change of a dimension's columns shows in the SQL it merges by.
    #[test]
    fn dimension_merges_are_derived_from_the_columns() {
        let names = Names::new("p".into(), "d".into(), "US".into()).expect("names");
        for table in Table::DIMENSIONS {
            let mut vars: Vec<(&str, String)> = [
                ("date", "DATE '2026-11-20'"),
                ("hour", "5"),
                ("ingested_at", "TIMESTAMP '2026-11-20 05:00:00'"),
                ("stage", "_staging_x"),
                ("rows", "3"),
                ("crc32c", "'AAAAAA=='"),
            ]
            .map(|(k, v)| (k, v.to_string()))
            .into();
            vars.extend(merge_dimension_vars(table).expect("a dimension"));
            let sql = render(&names.fill(MERGE_DIMENSION), &vars);
            let body: String = sql
                .lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            insta::assert_snapshot!(table.name(), body);
        }
        assert!(merge_dimension_vars(Table::SalesData).is_none());
    }

    #[test]
    fn names_are_checked_and_literals_escaped() {
        assert!(Names::new("my-proj".into(), "retail_ds".into(), "EU".into()).is_ok());
        let refused = |p: &str, d: &str, l: &str| {
            let e = Names::new(p.into(), d.into(), l.into()).expect_err("refused");
            (e.what, e.value)
        };
        assert_eq!(
            refused("p", "d`; DROP", "US"),
            ("dataset name", "d`; DROP".into())
        );
        assert_eq!(refused("p q", "d", "US"), ("project id", "p q".into()));
        assert_eq!(refused("p", "d", "U S"), ("location", "U S".into()));
        assert_eq!(string("it's \\"), "'it\\'s \\\\'");
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        assert_eq!(date(d), "DATE '2026-11-20'");
    }

    #[test]
    fn staging_schemas_cover_the_contract() {
        let sales = staging_schema(Table::SalesData);
        assert_eq!(sales.len(), Table::SalesData.columns().len());
        assert!(sales.contains(&("total_amount", "NUMERIC")));
        assert!(sales.contains(&("sold_at", "TIMESTAMP")));
    }
}
