//! The rows of one simulated hour, table by table, written once for every file format: each
//! table's encoder hands its values, in `Table::columns()` order, to a `RowSink`, which is the
//! format (CSV text, Parquet columns). A new column is one more value here and one more
//! name and type in `model::Table`; no format needs to know about it.

use super::day::HourView;
use super::reference::{CATEGORIES, PAYMENT_METHODS, STORE_FORMATS};
use crate::model::{LakeFormat, Table};
use chrono::NaiveDate;

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

/// Where a table encoder writes its values. Every row gives each column exactly one value, in
/// `Table::columns()` order, then `end_row`. Calls are monomorphised: no dynamic dispatch on
/// the generator's hot path.
pub trait RowSink {
    /// Free text, which may hold any character.
    fn text(&mut self, s: &str);
    /// Text known to hold no comma, quote or line break (ids, codes).
    fn raw(&mut self, s: &str);
    /// A text value built from pieces: `begin_text`, `push`/`push_padded`, `end_text`.
    fn begin_text(&mut self);
    fn push(&mut self, piece: &[u8]);
    /// `v` zero-padded to `width` digits, inside a text value.
    fn push_padded(&mut self, v: u32, width: usize);
    fn end_text(&mut self);
    /// No value, in an `OptionalText` column.
    fn null(&mut self);
    fn int(&mut self, v: i64);
    /// Cents, in a `Money` column.
    fn money(&mut self, cents: i64);
    fn date(&mut self, d: NaiveDate);
    /// The instant `second` seconds into the hour being encoded, in a `Timestamp` column.
    fn time_in_hour(&mut self, second: u16);
    fn end_row(&mut self);
}

/// Encodes every table of the hour as `format`, in `Table::ALL` order.
pub fn encode_hour_as(
    view: &HourView<'_>,
    format: LakeFormat,
) -> Result<Vec<TableFile>, EncodeError> {
    Table::ALL
        .iter()
        .map(|&t| encode_table_as(view, t, format))
        .collect()
}

/// Encodes one table of the hour as `format`.
pub fn encode_table_as(
    view: &HourView<'_>,
    table: Table,
    format: LakeFormat,
) -> Result<TableFile, EncodeError> {
    match format {
        LakeFormat::Csv => Ok(super::csv::encode_table(view, table)),
        LakeFormat::Parquet => super::parquet::encode_table(view, table),
    }
}

/// A Parquet file could not be assembled: zstd refused to compress a page (it only fails
/// when it cannot allocate), never a matter of input.
#[derive(Debug, thiserror::Error)]
#[error("encoding {table} as parquet: {source}")]
pub struct EncodeError {
    pub table: Table,
    #[source]
    pub source: std::io::Error,
}

/// Writes `table`'s rows of the hour to `sink`; returns the number of rows.
pub fn write_rows<S: RowSink>(view: &HourView<'_>, table: Table, sink: &mut S) -> u64 {
    match table {
        Table::ProductCatalog => catalog(view, sink),
        Table::Stores => stores(view, sink),
        Table::SalesData => sales(view, sink),
        Table::InventoryData => inventory(view, sink),
        Table::NegativeInventoryAlerts => alerts(view, sink),
    }
}

/// About how many rows `table` has this hour, to size buffers.
pub fn row_estimate(view: &HourView<'_>, table: Table) -> usize {
    match table {
        Table::ProductCatalog => view.world.products.len(),
        Table::Stores => view.world.stores.len(),
        Table::SalesData => view.lines.len(),
        Table::InventoryData => view.world.pairs,
        Table::NegativeInventoryAlerts => 16,
    }
}

fn catalog<S: RowSink>(view: &HourView<'_>, w: &mut S) -> u64 {
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
        w.text(&supplier.name);
        w.end_row();
    }
    world.products.len() as u64
}

fn stores<S: RowSink>(view: &HourView<'_>, w: &mut S) -> u64 {
    for store in &view.world.stores {
        w.text(&store.id);
        w.text(&store.name);
        w.text(store.city);
        w.text(store.state);
        w.text(STORE_FORMATS[store.format as usize].name);
        w.int(store.size_sqft);
        w.text(&store.manager);
        w.date(store.opened_on);
        w.end_row();
    }
    view.world.stores.len() as u64
}

fn sales<S: RowSink>(view: &HourView<'_>, w: &mut S) -> u64 {
    let world = view.world;
    let stamp = stamp(view);
    for l in view.lines {
        let store = &world.stores[l.store as usize];
        let product = &world.products[l.product as usize];
        let price = view.prices[l.product as usize];
        // transaction_id: T<YYYYMMDDHH>-<store>-<basket>, unique across the lake.
        w.begin_text();
        w.push(b"T");
        w.push(stamp.as_bytes());
        w.push(b"-");
        w.push(store.id.as_bytes());
        w.push(b"-");
        w.push_padded(l.basket, 5);
        w.end_text();
        w.int(i64::from(l.line));
        w.time_in_hour(l.second);
        w.raw(&store.id);
        w.raw(&product.id);
        if l.customer > 0 {
            w.begin_text();
            w.push(b"C");
            w.push_padded(l.customer, 7);
            w.end_text();
        } else {
            w.null();
        }
        w.int(i64::from(l.quantity));
        w.money(price);
        w.money(price * i64::from(l.quantity));
        w.raw(PAYMENT_METHODS[l.payment as usize].0);
        w.end_row();
    }
    view.lines.len() as u64
}

fn inventory<S: RowSink>(view: &HourView<'_>, w: &mut S) -> u64 {
    let world = view.world;
    for (s, a) in world.assortments.iter().enumerate() {
        let store_id = &world.stores[s].id;
        for (j, &p) in a.products.iter().enumerate() {
            let i = a.first_pair + j;
            w.raw(store_id);
            w.raw(&world.products[p as usize].id);
            w.int(i64::from(view.opening[i]));
            w.int(i64::from(view.restocked[i]));
            w.int(i64::from(view.returned[i]));
            w.int(i64::from(view.adjusted[i]));
            w.int(i64::from(view.sold[i]));
            w.int(i64::from(view.closing[i]));
            w.int(i64::from(a.par[j]));
            w.end_row();
        }
    }
    world.pairs as u64
}

/// Written from the same `NegativeStockAlert`s the bus publishes; their `date` and
/// `detected_at` (the last second of the hour) are the hour's own, written typed here.
fn alerts<S: RowSink>(view: &HourView<'_>, w: &mut S) -> u64 {
    let alerts = view.negative_stock_alerts();
    for a in &alerts {
        w.raw(&a.alert_id);
        w.date(view.date);
        w.int(i64::from(a.hour));
        w.raw(&a.store_id);
        w.raw(&a.product_id);
        w.int(i64::from(a.opening_stock));
        w.int(i64::from(a.restocked));
        w.int(i64::from(a.returned));
        w.int(i64::from(a.units_sold));
        w.int(i64::from(a.closing_stock));
        w.time_in_hour(3599);
        w.end_row();
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
