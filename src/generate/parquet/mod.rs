//! Parquet encoding of one simulated hour: the table encoders fill one typed buffer per column
//! (`ParquetSink`), and `file` writes them as a Parquet file: our own encoder (`column`,
//! `rle`, `thrift`), as the CSV one is ours, because the `parquet` crate's column writer spent
//! most of a Parquet backfill on per-value `Bytes`, per-chunk zstd contexts and generic
//! interning (benches/PERFORMANCE.md). The schema comes from `Table::columns()` and
//! `Table::column_types()`; nothing here names a column. The `parquet` crate stays as the
//! reader that checks these files (the lake's footer check, the tests).
//!
//! The bytes are a pure function of the values: nothing here depends on a dependency's
//! defaults, and `WRITER_REVISION` names any change of them in every file's `created_by`.

mod column;
mod file;
mod rle;
mod thrift;

use super::day::HourView;
use super::encode::{row_estimate, write_rows, EncodeError, RowSink, TableFile};
use crate::model::{ColumnType, Table};
use chrono::NaiveDate;

/// Most rows in one row group. An hour at the default scale is one group per file; at the
/// large scale (a million inventory rows an hour) readers get several groups to share out.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// zstd's fastest level: level 3 made files 3% smaller for twice the compression time.
/// Part of the bytes: a change bumps `WRITER_REVISION`.
const ZSTD_LEVEL: i32 = 1;

/// The revision of the Parquet writer, named in every file's `created_by` beside the
/// generator's version: it changes Parquet bytes only, so it is versioned apart from
/// `GENERATOR_VERSION`, which a CSV lake carries too. 2: zstd level 1, and the tables of a
/// few rows an hour stored uncompressed. 3: our own encoder (dictionaries only where they
/// pay, one zstd context per thread).
const WRITER_REVISION: u32 = 3;

/// Encodes one table of the hour as a Parquet file.
pub fn encode_table(view: &HourView<'_>, table: Table) -> Result<TableFile, EncodeError> {
    encode_in_groups(view, table, ROW_GROUP_ROWS)
}

/// `encode_table` with at most `group_rows` rows per row group.
fn encode_in_groups(
    view: &HourView<'_>,
    table: Table,
    group_rows: usize,
) -> Result<TableFile, EncodeError> {
    let mut sink = ParquetSink::new(view, table);
    let rows = write_rows(view, table, &mut sink);
    let settings = file::FileSettings {
        created_by: format!(
            "retail-pipeline generator v{} parquet writer {WRITER_REVISION}",
            super::GENERATOR_VERSION
        ),
        zstd: zstd_level(table),
        group_rows: group_rows.max(1),
    };
    let bytes = file::write(table, &sink.columns, rows as usize, &settings)
        .map_err(|source| EncodeError { table, source })?;
    Ok(TableFile {
        table,
        rows,
        crc32c: crc32c::crc32c(&bytes),
        bytes,
    })
}

/// Whether a table's files are compressed. Stores and alerts are a few dozen rows an hour:
/// zstd saves nothing on pages that small.
fn zstd_level(table: Table) -> Option<i32> {
    match table {
        Table::Stores | Table::NegativeInventoryAlerts => None,
        Table::ProductCatalog | Table::SalesData | Table::InventoryData => Some(ZSTD_LEVEL),
    }
}

/// One column's values as the writer takes them.
enum Values {
    /// Text: the values' bytes end to end, and where each ends.
    Bytes {
        data: Vec<u8>,
        ends: Vec<usize>,
    },
    I32(Vec<i32>),
    I64(Vec<i64>),
}

struct ColumnBuf {
    values: Values,
    /// Definition levels of an optional column (1 present, 0 null); `None` when required.
    defs: Option<Vec<i16>>,
}

/// Collects a table's rows column by column.
struct ParquetSink {
    columns: Vec<ColumnBuf>,
    /// The column the next value belongs to.
    at: usize,
    /// Microseconds since the epoch at the start of the hour.
    hour_start_micros: i64,
}

impl ParquetSink {
    fn new(view: &HourView<'_>, table: Table) -> Self {
        let rows = row_estimate(view, table);
        let columns = table
            .column_types()
            .iter()
            .map(|kind| {
                let values = match kind {
                    ColumnType::Text | ColumnType::OptionalText => Values::Bytes {
                        data: Vec::with_capacity(rows * 12),
                        ends: Vec::with_capacity(rows),
                    },
                    ColumnType::Int32 | ColumnType::Date => Values::I32(Vec::with_capacity(rows)),
                    ColumnType::Int64 | ColumnType::Money | ColumnType::Timestamp => {
                        Values::I64(Vec::with_capacity(rows))
                    }
                };
                let defs = (*kind == ColumnType::OptionalText).then(|| Vec::with_capacity(rows));
                ColumnBuf { values, defs }
            })
            .collect();
        let hour_start = view
            .date
            .and_hms_opt(u32::from(view.hour), 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_micros());
        Self {
            columns,
            at: 0,
            hour_start_micros: hour_start,
        }
    }

    #[inline]
    fn column(&mut self) -> &mut ColumnBuf {
        let at = self.at;
        self.at += 1;
        &mut self.columns[at]
    }

    #[inline]
    fn present(col: &mut ColumnBuf) {
        if let Some(defs) = &mut col.defs {
            defs.push(1);
        }
    }

    #[inline]
    fn bytes(&mut self, s: &[u8]) {
        let col = self.column();
        Self::present(col);
        if let Values::Bytes { data, ends } = &mut col.values {
            data.extend_from_slice(s);
            ends.push(data.len());
        }
    }

    /// The bytes of the text value being built (`begin_text` .. `end_text`).
    #[inline]
    fn building(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.columns[self.at].values {
            Values::Bytes { data, .. } => Some(data),
            _ => None,
        }
    }

    #[inline]
    fn number(&mut self, v: i64) {
        let col = self.column();
        Self::present(col);
        match &mut col.values {
            Values::I32(values) => values.push(v as i32),
            Values::I64(values) => values.push(v),
            Values::Bytes { .. } => {}
        }
    }
}

impl RowSink for ParquetSink {
    #[inline]
    fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    #[inline]
    fn raw(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    #[inline]
    fn begin_text(&mut self) {}

    #[inline]
    fn push(&mut self, piece: &[u8]) {
        if let Some(data) = self.building() {
            data.extend_from_slice(piece);
        }
    }

    #[inline]
    fn push_padded(&mut self, v: u32, width: usize) {
        let mut num = itoa::Buffer::new();
        let digits = num.format(v);
        if let Some(data) = self.building() {
            for _ in digits.len()..width {
                data.push(b'0');
            }
            data.extend_from_slice(digits.as_bytes());
        }
    }

    #[inline]
    fn end_text(&mut self) {
        self.bytes(b"");
    }

    #[inline]
    fn null(&mut self) {
        let col = self.column();
        if let Some(defs) = &mut col.defs {
            defs.push(0);
        }
    }

    #[inline]
    fn int(&mut self, v: i64) {
        self.number(v);
    }

    #[inline]
    fn money(&mut self, cents: i64) {
        self.number(cents);
    }

    /// Days since 1970-01-01.
    #[inline]
    fn date(&mut self, d: NaiveDate) {
        let epoch = chrono::DateTime::UNIX_EPOCH.date_naive();
        let days = d.signed_duration_since(epoch).num_days();
        self.number(days);
    }

    #[inline]
    fn time_in_hour(&mut self, second: u16) {
        self.number(self.hour_start_micros + i64::from(second) * 1_000_000);
    }

    #[inline]
    fn end_row(&mut self) {
        self.at = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{ShopSim, World};
    use crate::model::{Scale, ScaleName};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn read(bytes: Vec<u8>) -> (usize, Vec<String>) {
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("footer");
        let groups = reader.metadata().num_row_groups();
        let rows = reader
            .get_row_iter(None)
            .expect("rows")
            .map(|r| r.expect("row").to_string())
            .collect();
        (groups, rows)
    }

    #[test]
    fn rows_split_into_row_groups_read_back_unchanged() {
        // A small hour split 100 rows a group, as the large scale's inventory is split at
        // ROW_GROUP_ROWS: the optional customer_id column's nulls and values must stay with
        // their rows across groups.
        let world = World::new(7, &Scale::preset(ScaleName::Small));
        let hour: crate::model::PartitionHour = "2026-11-20T18".parse().expect("hour");
        let mut sim = ShopSim::new(&world, hour.date());
        let view = sim.advance_to(hour);
        for table in Table::ALL {
            let whole = encode_table(&view, table).expect("encode");
            let split = encode_in_groups(&view, table, 100).expect("encode");
            let (whole_groups, whole_rows) = read(whole.bytes);
            let (split_groups, split_rows) = read(split.bytes);
            assert_eq!(whole_groups, usize::from(whole.rows > 0), "{table}");
            assert_eq!(split_groups, (split.rows as usize).div_ceil(100), "{table}");
            assert_eq!(split_rows.len() as u64, split.rows, "{table}");
            assert_eq!(split_rows, whole_rows, "{table}");
        }
    }
}
