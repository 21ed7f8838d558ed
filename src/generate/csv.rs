//! CSV encoding of one simulated hour, written by hand: ids and numbers dominate the rows and
//! formatting them straight into one buffer is several times faster than a generic writer.

use super::day::HourView;
use super::reference::{CATEGORIES, PAYMENT_METHODS, STORE_FORMATS};
use crate::model::Table;

/// One table's file for one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFile {
    pub table: Table,
    /// Data rows, not counting the header.
    pub rows: u64,
    pub bytes: Vec<u8>,
    /// CRC-32C of `bytes`, for the manifest: taken here, on the generating thread, while the
    /// bytes are still in its cache, rather than on an async thread before the write.
    pub crc32c: u32,
}

/// Encodes every table of the hour, in `Table::ALL` order.
pub fn encode_hour(view: &HourView<'_>) -> Vec<TableFile> {
    Table::ALL.iter().map(|&t| encode_table(view, t)).collect()
}

pub fn encode_table(view: &HourView<'_>, table: Table) -> TableFile {
    let mut w = Writer::with_header(table, estimate(view, table));
    let rows = match table {
        Table::ProductCatalog => catalog(view, &mut w),
        Table::Stores => stores(view, &mut w),
        Table::SalesData => sales(view, &mut w),
        Table::InventoryData => inventory(view, &mut w),
        Table::NegativeInventoryAlerts => alerts(view, &mut w),
    };
    TableFile {
        table,
        rows,
        crc32c: crc32c::crc32c(&w.buf),
        bytes: w.buf,
    }
}

fn estimate(view: &HourView<'_>, table: Table) -> usize {
    match table {
        Table::ProductCatalog => view.world.products.len() * 120,
        Table::Stores => view.world.stores.len() * 90,
        Table::SalesData => view.lines.len() * 112,
        Table::InventoryData => view.world.pairs * 40,
        Table::NegativeInventoryAlerts => 1024,
    }
}

fn catalog(view: &HourView<'_>, w: &mut Writer) -> u64 {
    let world = view.world;
    for (p, product) in world.products.iter().enumerate() {
        let supplier = &world.suppliers[product.supplier as usize];
        w.text(&product.id);
        w.text(&product.name);
        w.text(CATEGORIES[product.category as usize].name);
        w.text(&product.brand);
        w.money(view.prices[p]);
        w.money(product.list_price);
        w.money(product.cost_price);
        w.text(&supplier.id);
        w.last_text(&supplier.name);
    }
    world.products.len() as u64
}

fn stores(view: &HourView<'_>, w: &mut Writer) -> u64 {
    for store in &view.world.stores {
        w.text(&store.id);
        w.text(&store.name);
        w.text(store.city);
        w.text(store.state);
        w.text(STORE_FORMATS[store.format as usize].name);
        w.int(store.size_sqft);
        w.text(&store.manager);
        w.raw(&store.opened_on.format("%Y-%m-%d").to_string());
        w.end();
    }
    view.world.stores.len() as u64
}

fn sales(view: &HourView<'_>, w: &mut Writer) -> u64 {
    let world = view.world;
    let stamp = stamp(view);
    let sold_at_prefix = format!("{}T{:02}:", view.date.format("%Y-%m-%d"), view.hour);
    for l in view.lines {
        let store = &world.stores[l.store as usize];
        let product = &world.products[l.product as usize];
        let price = view.prices[l.product as usize];
        // transaction_id: T<YYYYMMDDHH>-<store>-<basket>, unique across the lake.
        w.buf.push(b'T');
        w.buf.extend_from_slice(stamp.as_bytes());
        w.buf.push(b'-');
        w.buf.extend_from_slice(store.id.as_bytes());
        w.buf.push(b'-');
        w.padded(l.basket, 5);
        w.sep();
        w.int(i64::from(l.line));
        w.buf.extend_from_slice(sold_at_prefix.as_bytes());
        w.padded(u32::from(l.second / 60), 2);
        w.buf.push(b':');
        w.padded(u32::from(l.second % 60), 2);
        w.buf.extend_from_slice(b"Z,");
        w.raw(&store.id);
        w.raw(&product.id);
        if l.customer > 0 {
            w.buf.push(b'C');
            w.padded(l.customer, 7);
        }
        w.sep();
        w.int(i64::from(l.quantity));
        w.money(price);
        w.money(price * i64::from(l.quantity));
        w.buf
            .extend_from_slice(PAYMENT_METHODS[l.payment as usize].0.as_bytes());
        w.end();
    }
    view.lines.len() as u64
}

fn inventory(view: &HourView<'_>, w: &mut Writer) -> u64 {
    let world = view.world;
    for (s, a) in world.assortments.iter().enumerate() {
        let store_id = world.stores[s].id.as_bytes();
        for (j, &p) in a.products.iter().enumerate() {
            let i = a.first_pair + j;
            w.buf.extend_from_slice(store_id);
            w.sep();
            w.raw(&world.products[p as usize].id);
            w.int(i64::from(view.opening[i]));
            w.int(i64::from(view.restocked[i]));
            w.int(i64::from(view.returned[i]));
            w.int(i64::from(view.adjusted[i]));
            w.int(i64::from(view.sold[i]));
            w.int(i64::from(view.closing[i]));
            w.int_last(i64::from(a.par[j]));
        }
    }
    world.pairs as u64
}

fn alerts(view: &HourView<'_>, w: &mut Writer) -> u64 {
    let alerts = view.negative_stock_alerts();
    for a in &alerts {
        w.raw(&a.alert_id);
        w.raw(&a.date);
        w.int(i64::from(a.hour));
        w.raw(&a.store_id);
        w.raw(&a.product_id);
        w.int(i64::from(a.opening_stock));
        w.int(i64::from(a.restocked));
        w.int(i64::from(a.returned));
        w.int(i64::from(a.units_sold));
        w.int(i64::from(a.closing_stock));
        w.buf.extend_from_slice(a.detected_at.as_bytes());
        w.end();
    }
    alerts.len() as u64
}

/// The deterministic id of a negative-stock alert: one per (date, hour, store, product), the
/// same in the lake, on the bus and in the warehouse, so consumers can drop duplicates.
pub fn alert_id(stamp: &str, store_id: &str, product_id: &str) -> String {
    format!("NEG-{stamp}-{store_id}-{product_id}")
}

fn stamp(view: &HourView<'_>) -> String {
    view.date.format("%Y%m%d").to_string() + &format!("{:02}", view.hour)
}

/// A byte buffer with CSV helpers. Each field helper writes the value and a comma; `end`
/// replaces the last comma with a newline.
struct Writer {
    buf: Vec<u8>,
    num: itoa::Buffer,
}

impl Writer {
    fn with_header(table: Table, capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity + 256);
        buf.extend_from_slice(table.columns().join(",").as_bytes());
        buf.push(b'\n');
        Self {
            buf,
            num: itoa::Buffer::new(),
        }
    }

    #[inline]
    fn sep(&mut self) {
        self.buf.push(b',');
    }

    #[inline]
    fn end(&mut self) {
        if let Some(last) = self.buf.last_mut() {
            if *last == b',' {
                *last = b'\n';
                return;
            }
        }
        self.buf.push(b'\n');
    }

    /// A value known to need no quoting (ids, dates), then a comma.
    #[inline]
    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b',');
    }

    /// Free text, quoted when it holds a comma, quote or line break, then a comma.
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

    fn last_text(&mut self, s: &str) {
        self.text(s);
        self.end();
    }

    #[inline]
    fn int(&mut self, v: i64) {
        self.buf.extend_from_slice(self.num.format(v).as_bytes());
        self.buf.push(b',');
    }

    #[inline]
    fn int_last(&mut self, v: i64) {
        self.buf.extend_from_slice(self.num.format(v).as_bytes());
        self.buf.push(b'\n');
    }

    /// Zero-padded to `width` digits.
    #[inline]
    fn padded(&mut self, v: u32, width: usize) {
        let digits = self.num.format(v);
        for _ in digits.len()..width {
            self.buf.push(b'0');
        }
        self.buf.extend_from_slice(digits.as_bytes());
    }

    /// Cents as a decimal with two places: 1299 -> 12.99.
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
}
