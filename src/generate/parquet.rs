//! Parquet encoding of one simulated hour: the table encoders fill one typed buffer per column
//! (`ParquetSink`), and `parquet`'s column writer turns each into a column chunk. The schema
//! comes from `Table::columns()` and `Table::column_types()`; nothing here names a column.
//!
//! The bytes are a pure function of the values: every writer setting that could vary with
//! the crate's defaults (created_by, page and row group sizes, statistics, encodings,
//! compression) is pinned in `properties`, so a dependency update cannot change the lake
//! without failing the snapshot of a file's checksum.

use super::day::HourView;
use super::encode::{row_estimate, write_rows, EncodeError, RowSink, TableFile};
use crate::model::{ColumnType, Table};
use bytes::Bytes;
use chrono::NaiveDate;
use parquet::basic::{
    Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType, ZstdLevel,
};
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::sync::{Arc, OnceLock};

/// Most rows in one row group. An hour at the default scale is one group per file; at the
/// large scale (a million inventory rows an hour) readers get several groups to share out.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// zstd's fastest level: level 3 made files 3% smaller, and with `compression`'s uncompressed
/// small tables level 1 took about a seventh off a 7-day Parquet backfill.
/// Part of the bytes, like every setting in `properties`: a change bumps `WRITER_REVISION`.
const ZSTD_LEVEL: i32 = 1;

/// The revision of these writer settings, named in every file's `created_by` beside the
/// generator's version: the settings change Parquet bytes only, so they are versioned apart
/// from `GENERATOR_VERSION`, which a CSV lake carries too. 2: zstd level 1, and the tables of
/// a few rows an hour stored uncompressed.
const WRITER_REVISION: u32 = 2;

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
    let bytes = sink
        .finish(table, group_rows.max(1))
        .map_err(|source| EncodeError { table, source })?;
    Ok(TableFile {
        table,
        rows,
        crc32c: crc32c::crc32c(&bytes),
        bytes,
    })
}

/// Whether a table's files are compressed. Stores and alerts are a few dozen rows an hour:
/// zstd saves nothing on pages that small, and setting up its contexts for every column cost
/// more than encoding their values.
fn compression(table: Table) -> Compression {
    match table {
        Table::Stores | Table::NegativeInventoryAlerts => Compression::UNCOMPRESSED,
        Table::ProductCatalog | Table::SalesData | Table::InventoryData => {
            // In zstd's range (1-22): the fallback is never taken.
            Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default())
        }
    }
}

/// The writer settings of a table's lake files, pinned (see the module's comment).
fn properties(table: Table) -> Arc<WriterProperties> {
    static PROPS: OnceLock<Vec<Arc<WriterProperties>>> = OnceLock::new();
    let all = PROPS.get_or_init(|| Table::ALL.into_iter().map(table_properties).collect());
    let at = Table::ALL.iter().position(|&t| t == table).unwrap_or(0);
    all[at].clone()
}

fn table_properties(table: Table) -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_created_by(format!(
                "retail-pipeline generator v{} parquet writer {WRITER_REVISION}",
                super::GENERATOR_VERSION
            ))
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(compression(table))
            .set_dictionary_enabled(true)
            .set_dictionary_page_size_limit(1024 * 1024)
            .set_data_page_size_limit(1024 * 1024)
            .set_data_page_row_count_limit(20_000)
            .set_write_batch_size(1024)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_statistics_truncate_length(Some(64))
            .set_column_index_truncate_length(Some(64))
            .set_offset_index_disabled(true)
            .set_bloom_filter_enabled(false)
            .set_key_value_metadata(None)
            .set_sorting_columns(None)
            .build(),
    )
}

/// The Parquet schema of a table, from its declared columns.
pub fn schema(table: Table) -> Result<Type, ParquetError> {
    let mut fields = Vec::with_capacity(table.columns().len());
    for (name, kind) in table.columns().iter().zip(table.column_types()) {
        let (physical, logical) = match kind {
            ColumnType::Text | ColumnType::OptionalText => {
                (PhysicalType::BYTE_ARRAY, Some(LogicalType::String))
            }
            ColumnType::Int32 => (PhysicalType::INT32, None),
            ColumnType::Int64 => (PhysicalType::INT64, None),
            ColumnType::Money => (
                PhysicalType::INT64,
                Some(LogicalType::Decimal {
                    scale: 2,
                    precision: 12,
                }),
            ),
            ColumnType::Date => (PhysicalType::INT32, Some(LogicalType::Date)),
            ColumnType::Timestamp => (
                PhysicalType::INT64,
                Some(LogicalType::Timestamp {
                    is_adjusted_to_u_t_c: true,
                    unit: TimeUnit::MICROS,
                }),
            ),
        };
        let repetition = if *kind == ColumnType::OptionalText {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        let mut field = Type::primitive_type_builder(name, physical)
            .with_repetition(repetition)
            .with_logical_type(logical);
        if *kind == ColumnType::Money {
            field = field.with_precision(12).with_scale(2);
        }
        fields.push(Arc::new(field.build()?));
    }
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
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

    /// Writes the columns as one file, `group_rows` rows per row group at most.
    fn finish(self, table: Table, group_rows: usize) -> Result<Vec<u8>, ParquetError> {
        let rows = match (&self.columns[0].values, &self.columns[0].defs) {
            (_, Some(defs)) => defs.len(),
            (Values::Bytes { ends, .. }, None) => ends.len(),
            (Values::I32(v), None) => v.len(),
            (Values::I64(v), None) => v.len(),
        };
        let columns: Vec<Column> = self.columns.into_iter().map(Column::from).collect();
        let mut writer =
            SerializedFileWriter::new(Vec::new(), Arc::new(schema(table)?), properties(table))?;
        let mut first_value = vec![0usize; columns.len()];
        // An hour without rows (no alerts) is a file with the schema and no row group.
        let mut start = 0;
        while start < rows {
            let end = (start + group_rows).min(rows);
            let mut group = writer.next_row_group()?;
            let mut i = 0;
            while let Some(mut chunk) = group.next_column()? {
                let col = &columns[i];
                let defs = col.defs.as_deref().map(|d| &d[start..end]);
                let count = defs.map_or(end - start, |d| d.iter().filter(|&&l| l == 1).count());
                let from = first_value[i];
                first_value[i] += count;
                write_chunk(&mut chunk, col, from..from + count, defs)?;
                chunk.close()?;
                i += 1;
            }
            group.close()?;
            start = end;
        }
        writer.into_inner()
    }
}

/// A column ready to write: text as `ByteArray`s sharing one buffer.
struct Column {
    values: ColumnValues,
    defs: Option<Vec<i16>>,
}

enum ColumnValues {
    Bytes(Vec<ByteArray>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl From<ColumnBuf> for Column {
    fn from(col: ColumnBuf) -> Self {
        let values = match col.values {
            Values::Bytes { data, ends } => {
                let data = Bytes::from(data);
                let mut from = 0;
                let values = ends
                    .into_iter()
                    .map(|end| {
                        let value = ByteArray::from(data.slice(from..end));
                        from = end;
                        value
                    })
                    .collect();
                ColumnValues::Bytes(values)
            }
            Values::I32(v) => ColumnValues::I32(v),
            Values::I64(v) => ColumnValues::I64(v),
        };
        Column {
            values,
            defs: col.defs,
        }
    }
}

fn write_chunk(
    chunk: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    col: &Column,
    values: std::ops::Range<usize>,
    defs: Option<&[i16]>,
) -> Result<(), ParquetError> {
    use parquet::data_type::{ByteArrayType, Int32Type, Int64Type};
    match &col.values {
        ColumnValues::Bytes(v) => {
            chunk
                .typed::<ByteArrayType>()
                .write_batch(&v[values], defs, None)?;
        }
        ColumnValues::I32(v) => {
            chunk
                .typed::<Int32Type>()
                .write_batch(&v[values], defs, None)?;
        }
        ColumnValues::I64(v) => {
            chunk
                .typed::<Int64Type>()
                .write_batch(&v[values], defs, None)?;
        }
    }
    Ok(())
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
        let reader = SerializedFileReader::new(Bytes::from(bytes)).expect("footer");
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
