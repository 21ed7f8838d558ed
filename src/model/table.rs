//! The lake's tables: their directory names and the columns of their CSV files.

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
    /// Every table written for each hour, in the order they are written.
    pub const ALL: [Table; 5] = [
        Table::ProductCatalog,
        Table::Stores,
        Table::SalesData,
        Table::InventoryData,
        Table::NegativeInventoryAlerts,
    ];

    /// The dimensions: merged into the warehouse by id from the newest complete hour, not
    /// loaded hour by hour like the facts.
    pub const DIMENSIONS: [Table; 2] = [Table::ProductCatalog, Table::Stores];

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

    /// Position in `Table::ALL`, the order of per-table counters.
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
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
}
