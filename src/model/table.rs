//! The lake's tables: their directory names, the columns of their files and the columns'
//! types, from which every format (CSV, Parquet) and reader derives what it needs.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    ProductCatalog,
    Stores,
    SalesData,
    InventoryData,
    NegativeInventoryAlerts,
}

impl Table {
    /// How many tables there are: the size of every per-table array, so that a new table
    /// fails to compile where a count is kept rather than panicking on an index at run time.
    pub const COUNT: usize = 5;

    /// Every table written for each hour, in the order they are written.
    pub const ALL: [Table; Table::COUNT] = [
        Table::ProductCatalog,
        Table::Stores,
        Table::SalesData,
        Table::InventoryData,
        Table::NegativeInventoryAlerts,
    ];

    /// The dimensions: merged into the warehouse by id from the newest complete hour, not
    /// loaded hour by hour like the facts.
    pub const DIMENSIONS: [Table; 2] = [Table::ProductCatalog, Table::Stores];

    /// Whether the table is among `DIMENSIONS`.
    pub fn is_dimension(self) -> bool {
        Table::DIMENSIONS.contains(&self)
    }

    /// A dimension's id, by which the warehouse keeps its current state: the first of its
    /// columns. `None` for the facts and the alerts, which are loaded hour by hour.
    pub fn key(self) -> Option<&'static str> {
        match self.is_dimension() {
            true => self.columns().first().copied(),
            false => None,
        }
    }

    /// The directory name in the lake, and the table name in the warehouse's `_ext` views.
    pub fn name(self) -> &'static str {
        match self {
            Table::ProductCatalog => "product_catalog",
            Table::Stores => "stores",
            Table::SalesData => "sales_data",
            Table::InventoryData => "inventory_data",
            Table::NegativeInventoryAlerts => "negative_inventory_alerts",
        }
    }

    /// The warehouse's table the lake table loads into, the same name in DuckDB and BigQuery
    /// (the facts and dimensions `<name>_managed`, as seed 000 named them; the alerts keep
    /// their own name).
    pub fn managed(self) -> &'static str {
        match self {
            Table::ProductCatalog => "product_catalog_managed",
            Table::Stores => "stores_managed",
            Table::SalesData => "sales_data_managed",
            Table::InventoryData => "inventory_data_managed",
            Table::NegativeInventoryAlerts => "negative_inventory_alerts",
        }
    }

    /// The header row of the table's CSV files. Names are part of the data contract.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::ProductCatalog => &[
                "product_id",
                "name",
                "category",
                "brand",
                "unit_price",
                "list_price",
                "cost_price",
                "supplier_id",
                "supplier_name",
            ],
            Table::Stores => &[
                "store_id",
                "store_name",
                "city",
                "state",
                "format",
                "size_sqft",
                "manager",
                "opened_on",
            ],
            Table::SalesData => &[
                "transaction_id",
                "line_number",
                "sold_at",
                "store_id",
                "product_id",
                "customer_id",
                "quantity",
                "unit_price",
                "total_amount",
                "payment_method",
            ],
            Table::InventoryData => &[
                "store_id",
                "product_id",
                "opening_stock",
                "restocked",
                "returned",
                "adjusted",
                "units_sold",
                "closing_stock",
                "par_level",
            ],
            Table::NegativeInventoryAlerts => &[
                "alert_id",
                "date",
                "hour",
                "store_id",
                "product_id",
                "opening_stock",
                "restocked",
                "returned",
                "units_sold",
                "closing_stock",
                "detected_at",
            ],
        }
    }

    /// Whether the table's files carry their partition's `date` and `hour` as columns (the
    /// alerts do, by the data contract). The others take them from the partition's path.
    pub fn carries_partition(self) -> bool {
        self.columns().contains(&"date")
    }

    /// The logical type of each column of `columns()`, in the same order: a new column adds
    /// its name there and its type here (a test holds the two to the same length), and every
    /// file format derives its encoding from these.
    pub fn column_types(self) -> &'static [ColumnType] {
        use ColumnType::*;
        match self {
            Table::ProductCatalog => &[Text, Text, Text, Text, Money, Money, Money, Text, Text],
            Table::Stores => &[Text, Text, Text, Text, Text, Int64, Text, Date],
            Table::SalesData => &[
                Text,
                Int32,
                Timestamp,
                Text,
                Text,
                OptionalText,
                Int32,
                Money,
                Money,
                Text,
            ],
            Table::InventoryData => &[Text, Text, Int32, Int32, Int32, Int32, Int32, Int32, Int32],
            Table::NegativeInventoryAlerts => &[
                Text, Date, Int32, Text, Text, Int32, Int32, Int32, Int32, Int32, Timestamp,
            ],
        }
    }

    /// Position in `Table::ALL`, the order of per-table counters.
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The logical type of a lake column, as the data contract states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A string, never missing.
    Text,
    /// A string that may be missing (an empty CSV field, a Parquet null): guest sales have
    /// no customer_id.
    OptionalText,
    /// A 32-bit integer (SQL INTEGER).
    Int32,
    /// A 64-bit integer (SQL BIGINT).
    Int64,
    /// Money: DECIMAL(12,2), held as integer cents.
    Money,
    /// A calendar date (SQL DATE).
    Date,
    /// An instant in UTC, to the second (SQL TIMESTAMP, in UTC).
    Timestamp,
}

impl ColumnType {
    /// The column's type in DuckDB SQL.
    pub fn duckdb_type(self) -> &'static str {
        match self {
            ColumnType::Text | ColumnType::OptionalText => "VARCHAR",
            ColumnType::Int32 => "INTEGER",
            ColumnType::Int64 => "BIGINT",
            ColumnType::Money => "DECIMAL(12,2)",
            ColumnType::Date => "DATE",
            ColumnType::Timestamp => "TIMESTAMP",
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn index_is_the_position_in_all() {
        for (i, t) in Table::ALL.into_iter().enumerate() {
            assert_eq!(t.index(), i, "{t}");
            assert_eq!(Table::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn a_dimension_is_keyed_by_its_first_column_an_id() {
        for t in Table::ALL {
            match t.key() {
                Some(key) => {
                    assert!(t.is_dimension(), "{t}");
                    assert_eq!(Some(&key), t.columns().first(), "{t}");
                    assert!(key.ends_with("_id"), "{t}: {key}");
                }
                None => assert!(!t.is_dimension(), "{t}"),
            }
        }
    }

    #[test]
    fn every_column_has_a_type() {
        for t in Table::ALL {
            assert_eq!(t.columns().len(), t.column_types().len(), "{t}");
        }
    }
}
