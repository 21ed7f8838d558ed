//! The stream tables (`order_events`, `inventory_events`, `user_activity_events`,
//! `dead_letter_events`), declared once. Their columns are the BigQuery schema files of
//! `sql/bigquery/schemas/`, which Terraform gives the tables it creates for the Pub/Sub
//! BigQuery subscriptions (`deploy/bigquery.tf`), which the BigQuery warehouse creates from
//! here when they are missing (an emulator, a dataset without Terraform), which the DuckDB
//! tables match (`sql/duckdb/03_event_tables.sql`, checked by a test), and against which every
//! message the service publishes is checked (`tests/subscription_conformance.rs`).
//!
//! A row is a message's JSON fields plus the four metadata columns a subscription with
//! `write_metadata` adds (`subscription_name`, `message_id`, `publish_time`, `attributes`).
//! Delivery is at least once, so a table may hold an event twice; readers take one row per id
//! (the `*_clean` and `dead_letters` views).

use serde::Deserialize;

/// One stream table.
#[derive(Debug, Clone, Copy)]
pub struct StreamTable {
    pub name: &'static str,
    /// The BigQuery schema, as JSON (`[{"name","type","mode"}...]`).
    pub schema_json: &'static str,
    /// The TIMESTAMP column whose day partitions the table. A column the message carries:
    /// a subscription cannot compute one.
    pub partition_by: &'static str,
    pub cluster_by: &'static [&'static str],
    /// The column that names a row once (`event_id`), or `message_id` for dead letters.
    pub key: &'static str,
    /// The event type whose messages fill it (by their `event_type` attribute), if any.
    pub event_type: Option<&'static str>,
}

/// A stream table, its schema embedded from `sql/bigquery/schemas/<name>.json`.
macro_rules! stream_table {
    (
        $name:literal, by $partition:literal, cluster [$($c:literal),*],
        key $key:literal, $event_type:expr
    ) => {
        StreamTable {
            name: $name,
            schema_json: include_str!(concat!("../../sql/bigquery/schemas/", $name, ".json")),
            partition_by: $partition,
            cluster_by: &[$($c),*],
            key: $key,
            event_type: $event_type,
        }
    };
}

pub const ORDER_EVENTS: StreamTable = stream_table!(
    "order_events", by "event_time", cluster ["status", "customer_id"],
    key "event_id", Some("order")
);

pub const INVENTORY_EVENTS: StreamTable = stream_table!(
    "inventory_events", by "event_time", cluster ["product_id", "store_id"],
    key "event_id", Some("inventory")
);

pub const USER_ACTIVITY_EVENTS: StreamTable = stream_table!(
    "user_activity_events", by "event_time", cluster ["customer_id", "activity_type"],
    key "event_id", Some("user_activity")
);

pub const DEAD_LETTER_EVENTS: StreamTable = stream_table!(
    "dead_letter_events", by "publish_time", cluster ["subscription_name", "reason"],
    key "message_id", None
);

/// In the order `/status` lists them.
pub const STREAM_TABLES: [StreamTable; 4] = [
    ORDER_EVENTS,
    INVENTORY_EVENTS,
    USER_ACTIVITY_EVENTS,
    DEAD_LETTER_EVENTS,
];

/// The four columns a subscription's `write_metadata` adds, in every stream table.
pub const METADATA_COLUMNS: [&str; 4] = [
    "subscription_name",
    "message_id",
    "publish_time",
    "attributes",
];

/// One column of a BigQuery schema file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Column {
    pub name: String,
    /// `STRING`, `INTEGER`, `NUMERIC`, `TIMESTAMP`, `JSON`, ... as BigQuery's schema spells it.
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default = "nullable")]
    pub mode: String,
    #[serde(default)]
    pub precision: Option<String>,
    #[serde(default)]
    pub scale: Option<String>,
    /// Of a RECORD.
    #[serde(default)]
    pub fields: Vec<Column>,
}

fn nullable() -> String {
    "NULLABLE".into()
}

impl Column {
    pub fn required(&self) -> bool {
        self.mode == "REQUIRED"
    }

    pub fn repeated(&self) -> bool {
        self.mode == "REPEATED"
    }

    /// The GoogleSQL type of a DDL column (`NUMERIC(12, 2)`, `INT64`, `STRING`, ...).
    pub fn sql_type(&self) -> String {
        let base = match self.ty.as_str() {
            "INTEGER" => "INT64",
            "FLOAT" => "FLOAT64",
            "BOOLEAN" => "BOOL",
            other => other,
        };
        match (&self.precision, &self.scale) {
            (Some(p), Some(s)) => format!("{base}({p}, {s})"),
            (Some(p), None) => format!("{base}({p})"),
            _ => base.to_string(),
        }
    }
}

impl StreamTable {
    /// The columns, in order. The schema files are part of the build and checked by tests,
    /// so one that does not parse is a programming error.
    pub fn columns(&self) -> Vec<Column> {
        serde_json::from_str(self.schema_json)
            .unwrap_or_else(|e| panic!("sql/bigquery/schemas/{}.json: {e}", self.name))
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns().into_iter().map(|c| c.name).collect()
    }

    /// `CREATE TABLE IF NOT EXISTS` in GoogleSQL, partitioned and clustered as Terraform
    /// declares it.
    pub fn bigquery_ddl(&self, project: &str, dataset: &str) -> String {
        let columns = self
            .columns()
            .iter()
            .map(|c| {
                let not_null = if c.required() { " NOT NULL" } else { "" };
                format!("    {} {}{not_null}", c.name, c.sql_type())
            })
            .collect::<Vec<_>>()
            .join(",\n");
        format!(
            "CREATE TABLE IF NOT EXISTS `{project}.{dataset}.{}` (\n{columns}\n)\n\
             PARTITION BY DATE({})\nCLUSTER BY {};",
            self.name,
            self.partition_by,
            self.cluster_by.join(", ")
        )
    }

    pub fn by_name(name: &str) -> Option<StreamTable> {
        STREAM_TABLES.into_iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_parses_and_ends_with_the_metadata_columns() {
        for table in STREAM_TABLES {
            let names = table.column_names();
            assert!(names.len() > METADATA_COLUMNS.len(), "{}", table.name);
            assert_eq!(
                names[names.len() - METADATA_COLUMNS.len()..],
                METADATA_COLUMNS,
                "{}",
                table.name
            );
            for c in table.columns() {
                assert!(
                    !(METADATA_COLUMNS.contains(&c.name.as_str()) && c.required()),
                    "{}.{}: a metadata column must be nullable",
                    table.name,
                    c.name
                );
            }
            assert!(names.iter().any(|n| n == table.partition_by));
            assert!(names.iter().any(|n| n == table.key));
            for c in table.cluster_by {
                assert!(names.iter().any(|n| n == c), "{}.{c}", table.name);
            }
        }
    }

    #[test]
    fn the_ddl_keeps_modes_types_and_partitioning() {
        let ddl = ORDER_EVENTS.bigquery_ddl("p", "d");
        assert!(ddl.starts_with("CREATE TABLE IF NOT EXISTS `p.d.order_events` ("));
        assert!(ddl.contains("    event_id STRING NOT NULL,\n"));
        assert!(ddl.contains("    total_amount NUMERIC NOT NULL,\n"));
        assert!(ddl.contains("    schema_version INT64 NOT NULL,\n"));
        assert!(ddl.contains("    attributes JSON\n)"));
        assert!(ddl.ends_with("PARTITION BY DATE(event_time)\nCLUSTER BY status, customer_id;"));
    }
}
