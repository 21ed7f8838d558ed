//! A whole Parquet file: "PAR1", the row groups' column chunks, the footer (`FileMetaData`,
//! Thrift compact), its length and "PAR1". Spec: parquet-format's `README.md` and
//! `parquet.thrift`; the field ids below are that file's.

use super::column::{Chunk, ChunkMeta, BYTE_ARRAY, INT32, INT64};
use super::thrift::Writer;
use super::{ColumnBuf, Values};
use crate::model::{ColumnType, Table};

const MAGIC: &[u8; 4] = b"PAR1";

/// `ConvertedType`, written beside the logical type for readers that predate it.
const UTF8: i32 = 0;
const DECIMAL: i32 = 5;
const DATE: i32 = 6;
const TIMESTAMP_MICROS: i32 = 10;

/// Money: DECIMAL(12, 2) stored as an INT64 of cents.
const MONEY_PRECISION: i32 = 12;
const MONEY_SCALE: i32 = 2;

/// How a table's file is written.
pub struct FileSettings {
    pub created_by: String,
    pub zstd: Option<i32>,
    pub group_rows: usize,
}

/// Writes `columns` (one per `table.columns()`, `rows` rows each) as one file.
pub fn write(
    table: Table,
    columns: &[ColumnBuf],
    rows: usize,
    settings: &FileSettings,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(MAGIC);
    let mut groups: Vec<(usize, Vec<ChunkMeta>)> = Vec::new();
    let mut first_value = vec![0usize; columns.len()];
    // An hour without rows (no alerts) is a file with the schema and no row group.
    let mut start = 0;
    while start < rows {
        let end = (start + settings.group_rows).min(rows);
        let mut chunks = Vec::with_capacity(columns.len());
        for (col, from) in columns.iter().zip(&mut first_value) {
            let defs = col.defs.as_deref().map(|d| &d[start..end]);
            let count = defs.map_or(end - start, |d| d.iter().filter(|&&l| l == 1).count());
            let values = *from..*from + count;
            *from += count;
            chunks.push(write_chunk(
                &mut out,
                col,
                values,
                defs,
                end - start,
                settings,
            )?);
        }
        groups.push((end - start, chunks));
        start = end;
    }
    let footer_start = out.len();
    footer(&mut out, table, rows, &groups, &settings.created_by);
    let footer_len = (out.len() - footer_start) as u32;
    out.extend_from_slice(&footer_len.to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
}

fn write_chunk(
    out: &mut Vec<u8>,
    col: &ColumnBuf,
    values: std::ops::Range<usize>,
    defs: Option<&[i16]>,
    rows: usize,
    settings: &FileSettings,
) -> std::io::Result<ChunkMeta> {
    match &col.values {
        Values::Bytes { data, ends } => {
            let texts: Vec<&[u8]> = values
                .map(|k| {
                    let from = if k == 0 { 0 } else { ends[k - 1] };
                    &data[from..ends[k]]
                })
                .collect();
            chunk(BYTE_ARRAY, &texts, defs, rows, settings).write(out)
        }
        Values::I32(v) => chunk(INT32, &v[values], defs, rows, settings).write(out),
        Values::I64(v) => chunk(INT64, &v[values], defs, rows, settings).write(out),
    }
}

fn chunk<'a, V>(
    physical: i32,
    values: &'a [V],
    defs: Option<&'a [i16]>,
    rows: usize,
    settings: &FileSettings,
) -> Chunk<'a, V> {
    Chunk {
        physical,
        values,
        defs,
        rows,
        zstd: settings.zstd,
    }
}

fn footer(
    out: &mut Vec<u8>,
    table: Table,
    rows: usize,
    groups: &[(usize, Vec<ChunkMeta>)],
    created_by: &str,
) {
    let names = table.columns();
    let kinds = table.column_types();
    let mut w = Writer::new(out);
    w.i32(1, 1);
    // The schema, flattened: the root, then one element per column.
    let elements: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..names.len()).map(Some))
        .collect();
    w.struct_list(2, &elements, |w, element| match element {
        None => {
            w.binary(4, b"schema").i32(5, names.len() as i32);
        }
        Some(c) => schema_element(w, names[*c], kinds[*c]),
    });
    w.i64(3, rows as i64);
    let mut ordinal = 0i16;
    w.struct_list(4, groups, |w, (group_rows, chunks)| {
        let columns: Vec<(&ChunkMeta, &str)> = chunks.iter().zip(names.iter().copied()).collect();
        w.struct_list(1, &columns, |w, (chunk, name)| {
            w.i64(2, chunk.start()).begin(3);
            chunk.write(w, name);
            w.end();
        });
        w.i64(2, chunks.iter().map(|c| c.uncompressed_size).sum())
            .i64(3, *group_rows as i64);
        if let Some(first) = chunks.first() {
            w.i64(5, first.start());
        }
        w.i64(6, chunks.iter().map(|c| c.compressed_size).sum())
            .i16(7, ordinal);
        ordinal += 1;
    });
    w.binary(6, created_by.as_bytes());
    // Every column's statistics follow its type's order (min_value/max_value are valid).
    w.struct_list(7, names, |w, _| {
        w.begin(1).end();
    });
    w.end();
}

/// One column's `SchemaElement`: type, repetition, name, converted and logical types.
fn schema_element(w: &mut Writer<'_>, name: &str, kind: ColumnType) {
    let physical = match kind {
        ColumnType::Text | ColumnType::OptionalText => BYTE_ARRAY,
        ColumnType::Int32 | ColumnType::Date => INT32,
        ColumnType::Int64 | ColumnType::Money | ColumnType::Timestamp => INT64,
    };
    let optional = kind == ColumnType::OptionalText;
    w.i32(1, physical)
        .i32(3, i32::from(optional))
        .binary(4, name.as_bytes());
    match kind {
        ColumnType::Text | ColumnType::OptionalText => {
            w.i32(6, UTF8).begin(10).begin(1).end().end();
        }
        ColumnType::Int32 | ColumnType::Int64 => {}
        ColumnType::Money => {
            w.i32(6, DECIMAL)
                .i32(7, MONEY_SCALE)
                .i32(8, MONEY_PRECISION)
                .begin(10)
                .begin(5)
                .i32(1, MONEY_SCALE)
                .i32(2, MONEY_PRECISION)
                .end()
                .end();
        }
        ColumnType::Date => {
            w.i32(6, DATE).begin(10).begin(6).end().end();
        }
        ColumnType::Timestamp => {
            w.i32(6, TIMESTAMP_MICROS)
                .begin(10)
                .begin(8)
                .bool(1, true)
                .begin(2)
                .begin(2)
                .end()
                .end()
                .end()
                .end();
        }
    }
}
