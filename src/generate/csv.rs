//! CSV encoding of one simulated hour, written by hand: ids and numbers dominate the rows and
//! formatting them straight into one buffer is several times faster than a generic writer.

use super::day::HourView;
use super::encode::{row_estimate, write_rows, RowSink, TableFile};
use crate::model::Table;
use chrono::NaiveDate;

pub use super::encode::alert_id;

/// Encodes every table of the hour as CSV, in `Table::ALL` order.
pub fn encode_hour(view: &HourView<'_>) -> Vec<TableFile> {
    Table::ALL.iter().map(|&t| encode_table(view, t)).collect()
}

pub fn encode_table(view: &HourView<'_>, table: Table) -> TableFile {
    let mut w = CsvSink::new(view, table);
    let rows = write_rows(view, table, &mut w);
    TableFile {
        table,
        rows,
        crc32c: crc32c::crc32c(&w.buf),
        bytes: w.buf,
    }
}

/// Bytes per row, about, to size the buffer once.
fn row_bytes(table: Table) -> usize {
    match table {
        Table::ProductCatalog => 120,
        Table::Stores => 90,
        Table::SalesData => 112,
        Table::InventoryData => 40,
        Table::NegativeInventoryAlerts => 64,
    }
}

/// A byte buffer with CSV helpers. Each value is written with a comma after it; `end_row`
/// replaces the last comma with a newline.
struct CsvSink {
    buf: Vec<u8>,
    num: itoa::Buffer,
    /// `YYYY-MM-DDTHH:` of the hour, the head of every timestamp in it.
    hour_prefix: String,
}

impl CsvSink {
    fn new(view: &HourView<'_>, table: Table) -> Self {
        let capacity = row_estimate(view, table) * row_bytes(table);
        let mut buf = Vec::with_capacity(capacity + 256);
        buf.extend_from_slice(table.columns().join(",").as_bytes());
        buf.push(b'\n');
        Self {
            buf,
            num: itoa::Buffer::new(),
            hour_prefix: format!("{}T{:02}:", view.date.format("%Y-%m-%d"), view.hour),
        }
    }

    #[inline]
    fn padded(&mut self, v: u32, width: usize) {
        let digits = self.num.format(v);
        for _ in digits.len()..width {
            self.buf.push(b'0');
        }
        self.buf.extend_from_slice(digits.as_bytes());
    }
}

impl RowSink for CsvSink {
    /// Quoted when it holds a comma, quote or line break.
    fn text(&mut self, s: &str) {
        if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            self.buf.push(b'"');
            for b in s.bytes() {
                if b == b'"' {
                    self.buf.push(b'"');
                }
                self.buf.push(b);
            }
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(s.as_bytes());
        }
        self.buf.push(b',');
    }

    #[inline]
    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b',');
    }

    #[inline]
    fn begin_text(&mut self) {}

    #[inline]
    fn push(&mut self, piece: &[u8]) {
        self.buf.extend_from_slice(piece);
    }

    #[inline]
    fn push_padded(&mut self, v: u32, width: usize) {
        self.padded(v, width);
    }

    #[inline]
    fn end_text(&mut self) {
        self.buf.push(b',');
    }

    /// An empty field.
    #[inline]
    fn null(&mut self) {
        self.buf.push(b',');
    }

    #[inline]
    fn int(&mut self, v: i64) {
        self.buf.extend_from_slice(self.num.format(v).as_bytes());
        self.buf.push(b',');
    }

    /// A decimal with two places: 1299 -> 12.99.
    #[inline]
    fn money(&mut self, cents: i64) {
        if cents < 0 {
            self.buf.push(b'-');
        }
        let cents = cents.unsigned_abs();
        self.buf
            .extend_from_slice(self.num.format(cents / 100).as_bytes());
        self.buf.push(b'.');
        let frac = (cents % 100) as u8;
        self.buf.push(b'0' + frac / 10);
        self.buf.push(b'0' + frac % 10);
        self.buf.push(b',');
    }

    /// `YYYY-MM-DD`.
    fn date(&mut self, d: NaiveDate) {
        use std::io::Write;
        let _ = write!(self.buf, "{}", d.format("%Y-%m-%d"));
        self.buf.push(b',');
    }

    /// RFC 3339 in UTC to the second: `2026-11-20T05:07:09Z`.
    #[inline]
    fn time_in_hour(&mut self, second: u16) {
        self.buf.extend_from_slice(self.hour_prefix.as_bytes());
        self.padded(u32::from(second / 60), 2);
        self.buf.push(b':');
        self.padded(u32::from(second % 60), 2);
        self.buf.extend_from_slice(b"Z,");
    }

    #[inline]
    fn end_row(&mut self) {
        match self.buf.last_mut() {
            Some(last) if *last == b',' => *last = b'\n',
            _ => self.buf.push(b'\n'),
        }
    }
}
