//! A result row as the backends hand it over, and its typed reading.

use crate::warehouse::WarehouseError;

/// One value of a result row. DuckDB gives each typed; BigQuery's JSON gives every value as a
/// string (or null), so its cells are all `Text` and are parsed when read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
}

/// The cells of one row, read by position; errors name the query.
#[derive(Debug, Clone, Copy)]
pub struct Cells<'a> {
    query: &'a str,
    cells: &'a [Cell],
}

impl<'a> Cells<'a> {
    pub fn new(query: &'a str, cells: &'a [Cell]) -> Self {
        Self { query, cells }
    }

    /// The error for column `i` not being `what`, naming the query and the value.
    pub fn invalid(&self, i: usize, what: &str) -> WarehouseError {
        WarehouseError::Query {
            query: self.query.to_string(),
            source: format!("column {i} is not {what}: {:?}", self.cells.get(i)).into(),
        }
    }

    fn cell(&self, i: usize) -> &Cell {
        self.cells.get(i).unwrap_or(&Cell::Null)
    }

    /// A string, `None` for NULL.
    pub fn opt(&self, i: usize) -> Result<Option<String>, WarehouseError> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s.clone())),
            _ => Err(self.invalid(i, "a string")),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, WarehouseError> {
        self.opt(i)?.ok_or_else(|| self.invalid(i, "a string"))
    }

    pub fn int(&self, i: usize) -> Result<i64, WarehouseError> {
        self.number(i, "an integer", |cell| match cell {
            Cell::Int(n) => Some(*n),
            _ => None,
        })
    }

    pub fn float(&self, i: usize) -> Result<f64, WarehouseError> {
        self.number(i, "a number", |cell| match cell {
            Cell::Float(f) => Some(*f),
            _ => None,
        })
    }

    /// A number typed as `typed` takes it, or as text (BigQuery's) that parses as one.
    fn number<T: std::str::FromStr>(
        &self,
        i: usize,
        what: &str,
        typed: impl Fn(&Cell) -> Option<T>,
    ) -> Result<T, WarehouseError> {
        match self.cell(i) {
            Cell::Text(s) => s.parse().ok(),
            cell => typed(cell),
        }
        .ok_or_else(|| self.invalid(i, what))
    }

    /// A number, `None` for NULL (a rate over nothing).
    pub fn opt_float(&self, i: usize) -> Result<Option<f64>, WarehouseError> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            _ => self.float(i).map(Some),
        }
    }

    /// The row's columns in order, each read as the type asked for.
    pub fn columns(&self) -> Columns<'a> {
        Columns {
            cells: *self,
            next: 0,
        }
    }

    /// An hour of the day, 0-23.
    pub fn hour(&self, i: usize) -> Result<u8, WarehouseError> {
        u8::try_from(self.int(i)?)
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| self.invalid(i, "an hour"))
    }
}

/// A row field's type read from one cell: what a query's derived reader
/// (`analytics_query!`) reads each field with, in declaration order.
pub trait FromCell: Sized {
    fn from_cell(cells: &Cells<'_>, i: usize) -> Result<Self, WarehouseError>;
}

/// `impl FromCell for $type`, reading with the `Cells` method of the same meaning.
macro_rules! from_cell {
    ($($(#[$doc:meta])* $type:ty => $method:ident;)*) => {$(
        $(#[$doc])*
        impl FromCell for $type {
            fn from_cell(cells: &Cells<'_>, i: usize) -> Result<Self, WarehouseError> {
                cells.$method(i)
            }
        }
    )*};
}

from_cell! {
    String => text;
    Option<String> => opt;
    i64 => int;
    f64 => float;
    Option<f64> => opt_float;
    /// The one small integer the derived readers meet is an hour of the day (0-23); a query
    /// with another (a weekday) reads its row itself.
    u8 => hour;
}

/// The cells of a row read one after the other, column 0 first.
pub struct Columns<'a> {
    cells: Cells<'a>,
    next: usize,
}

impl Columns<'_> {
    /// The next column, as `T`.
    pub fn read<T: FromCell>(&mut self) -> Result<T, WarehouseError> {
        let i = self.next;
        self.next += 1;
        T::from_cell(&self.cells, i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_typed_values_and_the_strings_bigquery_gives() {
        let row = [
            Cell::Text("2026-01-01".into()),
            Cell::Int(7),
            Cell::Text("7".into()),
            Cell::Float(2.5),
            Cell::Text("2.5".into()),
            Cell::Null,
            Cell::Int(24),
        ];
        let c = Cells::new("analytics/x.sql", &row);
        assert_eq!(c.text(0).expect("text"), "2026-01-01");
        assert_eq!((c.int(1).expect("int"), c.int(2).expect("int")), (7, 7));
        assert_eq!(c.hour(1).expect("hour"), 7);
        assert_eq!(
            (c.float(3).expect("float"), c.float(4).expect("float")),
            (2.5, 2.5)
        );
        assert_eq!(c.opt(5).expect("null"), None);
        assert!(c.text(5).is_err(), "NULL is no string");
        assert!(c.int(0).is_err(), "a date is no integer");
        assert!(c.text(1).is_err(), "an integer is no string");
        let err = crate::error_chain(&c.hour(6).expect_err("24 is no hour"));
        assert!(
            err.contains("analytics/x.sql") && err.contains("column 6"),
            "{err}"
        );
        assert!(c.int(9).is_err(), "a missing column");
    }
}
