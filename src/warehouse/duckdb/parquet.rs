//! DuckDB's readers of a Parquet lake, derived from `Table::columns()` and
//! `Table::column_types()` rather than written out per table: a new column needs nothing here.
//! Each column is cast to the contract's type, so the rows are typed exactly as the CSV
//! readers (`02_csv_readers.sql`) type them and the merges and views cannot tell the formats
//! apart. Timestamps are stored as UTC instants (read by DuckDB as TIMESTAMPTZ); they become
//! the warehouse's UTC `TIMESTAMP` through their epoch, whatever the session's time zone.

use crate::model::{ColumnType, Table};

/// The columns of a Parquet file of `table`, as a select list over the relation `from`.
fn select_list(table: Table, from: &str) -> String {
    let columns: Vec<String> = table
        .columns()
        .iter()
        .zip(table.column_types())
        .map(|(name, kind)| match kind {
            ColumnType::Timestamp => {
                format!("make_timestamp(epoch_us({from}\"{name}\")) AS \"{name}\"")
            }
            _ => format!(
                "CAST({from}\"{name}\" AS {}) AS \"{name}\"",
                kind.duckdb_type()
            ),
        })
        .collect();
    columns.join(", ")
}

/// `CREATE MACRO <table>_parquet(files)`: the Parquet twin of `<table>_csv(files)`, which the
/// refresh calls on verified copies of single partitions.
pub fn reader_macro(table: Table) -> String {
    format!(
        "CREATE OR REPLACE MACRO {t}_parquet(files) AS TABLE\n\
         SELECT {cols}\nFROM read_parquet(files, hive_partitioning = false);\n",
        t = table.name(),
        cols = select_list(table, ""),
    )
}

/// Every table's reader macro, run at open beside `02_csv_readers.sql`.
pub fn reader_macros() -> String {
    Table::ALL.into_iter().map(reader_macro).collect()
}

/// The `<table>_ext` view over a Parquet lake's complete partitions, with `{{lake}}` for the
/// lake directory: the file's columns, then the Hive partition's date and hour (which take the
/// place of a file's own date and hour columns, equal by the data contract), as the CSV view.
pub fn ext_view(table: Table) -> String {
    let t = table.name();
    let mut select = select_list(table, "d.");
    for hive in ["date", "hour"] {
        if !table.columns().contains(&hive) {
            select += &format!(", d.\"{hive}\"");
        }
    }
    format!(
        "-- {t}_ext: the lake's {t} Parquet files over complete partitions (see ext/*.sql).\n\
         CREATE OR REPLACE VIEW {t}_ext AS\n\
         SELECT {select}\n\
         FROM read_parquet('{{{{lake}}}}/{t}/*/*/*.parquet',\n    \
             hive_partitioning = true, hive_types = {{'date': DATE, 'hour': INTEGER}}) AS d\n\
         SEMI JOIN read_json('{{{{lake}}}}/_manifests/{t}/*/*.json',\n    \
             columns = {{'date': 'DATE', 'hour': 'INTEGER'}}) AS m\n    \
             ON d.date = m.date AND d.hour = m.hour;\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_read_and_typed() {
        for table in Table::ALL {
            let sql = reader_macro(table);
            for name in table.columns() {
                assert!(sql.contains(&format!("AS \"{name}\"")), "{table}.{name}");
            }
            let view = crate::warehouse::template::render(&ext_view(table), &[("lake", "/l")]);
            assert!(view.contains("'/l/_manifests/"), "{view}");
            assert!(view.contains("{'date': DATE"), "{view}");
        }
        assert!(reader_macro(Table::SalesData).contains("make_timestamp(epoch_us(\"sold_at\"))"));
    }
}
