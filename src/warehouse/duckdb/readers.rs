//! DuckDB's readers of the lake, for both formats, derived from `Table::columns()` and
//! `Table::column_types()` rather than written out per table: a new column or table needs
//! nothing here.
//!
//! - `<table>_<format>(files)` table macros read verified copies of partitions, which the
//!   refresh stages in the lake's Hive layout (`date=.../hour=.../`). A table whose files lack
//!   `date` and `hour` takes them from the path, so one call reads a whole batch of hours; the
//!   alerts' files carry their own, which the load checks against the partition: Hive
//!   partitioning stays off for them (it would replace the file's values), and the path's
//!   date and hour come as `partition_date` and `partition_hour`.
//! - `<table>_ext` views read the lake's complete partitions in place.
//!
//! Both select the contract's columns by name, typed exactly alike in both formats, so the
//! merges and views cannot tell the formats apart (and a `key=value` directory above the lake
//! or the staging directory adds no column). CSV is read strictly: no type sniffing (a small
//! file must not change a column's type), no skipped or padded rows; an empty field is NULL
//! (guest sales have no customer_id). Parquet timestamps are UTC instants (read as
//! TIMESTAMPTZ) and become the warehouse's UTC `TIMESTAMP` through their epoch, whatever the
//! session's time zone.

use crate::model::{ColumnType, LakeFormat, Table};

const HIVE: &str = "hive_partitioning = true, hive_types = {'date': DATE, 'hour': INTEGER}";

/// The columns of a file of `table`, as a select list over the relation `from`, then the
/// partition's date and hour when the files do not carry them.
fn select_list(format: LakeFormat, table: Table, from: &str) -> String {
    let mut columns: Vec<String> = table
        .columns()
        .iter()
        .zip(table.column_types())
        .map(|(name, kind)| match (format, kind) {
            (LakeFormat::Csv, _) => format!("{from}\"{name}\""),
            (LakeFormat::Parquet, ColumnType::Timestamp) => {
                format!("make_timestamp(epoch_us({from}\"{name}\")) AS \"{name}\"")
            }
            (LakeFormat::Parquet, _) => format!(
                "CAST({from}\"{name}\" AS {}) AS \"{name}\"",
                kind.duckdb_type()
            ),
        })
        .collect();
    if !table.carries_partition() {
        columns.extend(["date", "hour"].map(|c| format!("{from}\"{c}\"")));
    }
    columns.join(", ")
}

/// The partition of a staged file's path, beside the file's own date and hour.
const PATH_PARTITION: &str = "\
    CAST(regexp_extract(filename, '/date=([0-9-]+)/hour=[0-9]+/[^/]*$', 1) AS DATE) \
    AS \"partition_date\", \
    CAST(regexp_extract(filename, '/hour=([0-9]+)/[^/]*$', 1) AS INTEGER) AS \"partition_hour\"";

/// The call reading `files` (a SQL expression) of `table` in `format`, with Hive
/// partitioning, or without it and with each row's file name.
fn read(format: LakeFormat, table: Table, files: &str, hive: bool) -> String {
    let hive = if hive {
        HIVE
    } else {
        "hive_partitioning = false, filename = true"
    };
    match format {
        LakeFormat::Csv => {
            let columns: Vec<String> = table
                .columns()
                .iter()
                .zip(table.column_types())
                .map(|(name, kind)| format!("'{name}': '{}'", kind.duckdb_type()))
                .collect();
            format!(
                "read_csv({files},\n    \
                 header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"',\n    \
                 {hive}, ignore_errors = false, null_padding = false,\n    \
                 columns = {{{}}})",
                columns.join(", ")
            )
        }
        LakeFormat::Parquet => format!("read_parquet({files}, {hive})"),
    }
}

/// The name of `table`'s reader macro for `format`: `<table>_<format>`.
pub fn reader_name(format: LakeFormat, table: Table) -> String {
    format!("{}_{}", table.name(), format.name())
}

/// `CREATE MACRO <table>_<format>(files)`, which the refresh calls on staged partitions.
pub fn reader_macro(format: LakeFormat, table: Table) -> String {
    let mut cols = select_list(format, table, "");
    if table.carries_partition() {
        cols = format!("{cols}, {PATH_PARTITION}");
    }
    format!(
        "CREATE OR REPLACE MACRO {name}(files) AS TABLE\nSELECT {cols}\nFROM {read};\n",
        name = reader_name(format, table),
        read = read(format, table, "files", !table.carries_partition()),
    )
}

/// Every table's reader macro in both formats, run at every open.
pub fn reader_macros() -> String {
    LakeFormat::ALL
        .into_iter()
        .flat_map(|format| Table::ALL.map(|table| reader_macro(format, table)))
        .collect()
}

/// The `<table>_ext` view over a lake's complete partitions, with `{{lake}}` for the lake
/// directory: a partition counts once its manifest exists (the lake writes manifests after
/// the data, so a half-written hour stays hidden). The Hive partition's date and hour take the
/// place of an alert file's own (equal by the data contract). Reads the lake at query time;
/// analytics use the managed tables instead.
pub fn ext_view(format: LakeFormat, table: Table) -> String {
    let t = table.name();
    let files = format!("'{{{{lake}}}}/{t}/*/*/*.{}'", format.extension());
    format!(
        "CREATE OR REPLACE VIEW {t}_ext AS\n\
         SELECT {select}\n\
         FROM {read} AS d\n\
         SEMI JOIN read_json('{{{{lake}}}}/_manifests/{t}/*/*.json',\n    \
             columns = {{'date': 'DATE', 'hour': 'INTEGER'}}) AS m\n    \
             ON d.date = m.date AND d.hour = m.hour;\n",
        select = select_list(format, table, "d."),
        read = read(format, table, &files, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_read_and_typed() {
        for format in LakeFormat::ALL {
            for table in Table::ALL {
                let sql = reader_macro(format, table);
                for name in table.columns() {
                    assert!(sql.contains(&format!("\"{name}\"")), "{table}.{name}");
                }
                assert!(sql.contains("\"date\""), "{sql}");
                let own = table.carries_partition();
                assert_eq!(sql.contains("AS \"partition_date\""), own, "{sql}");
                let hive = sql.contains("hive_partitioning = true");
                assert_eq!(hive, table != Table::NegativeInventoryAlerts, "{sql}");
                let view =
                    crate::warehouse::template::render(&ext_view(format, table), &[("lake", "/l")]);
                assert!(view.contains("'/l/_manifests/"), "{view}");
                assert!(view.contains("{'date': DATE"), "{view}");
            }
        }
        let parquet = reader_macro(LakeFormat::Parquet, Table::SalesData);
        assert!(parquet.contains("make_timestamp(epoch_us(\"sold_at\"))"));
        let csv = reader_macro(LakeFormat::Csv, Table::SalesData);
        assert!(csv.contains("'sold_at': 'TIMESTAMP'"), "{csv}");
    }
}
