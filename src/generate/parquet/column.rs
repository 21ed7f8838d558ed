//! One column chunk: its values dictionary-encoded when that pays (or plain), split into data
//! pages, each page zstd-compressed when the table is, with the chunk's statistics for the
//! footer. Spec: parquet-format's `README.md` (pages, column chunks) and `Encodings.md`.

use super::rle;
use super::thrift::Writer;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

/// Most rows in one data page: pages stay a few hundred KB at most, as readers expect.
const PAGE_ROWS: usize = 20_000;

/// Above this many plain-encoded bytes a dictionary is not written (values go plain).
const MAX_DICTIONARY_BYTES: usize = 1024 * 1024;

/// Statistics longer than this are left out (readers use them to skip row groups; a long
/// text's bounds help nobody).
const MAX_STAT_BYTES: usize = 64;

/// Parquet's physical types (`Type` in parquet.thrift).
pub const INT32: i32 = 1;
pub const INT64: i32 = 2;
pub const BYTE_ARRAY: i32 = 6;

/// Encodings (`Encoding`): a version 1 file names dictionary pages and the data pages that
/// index into them PLAIN_DICTIONARY, as parquet-mr and arrow-rs write them.
const PLAIN: i32 = 0;
const PLAIN_DICTIONARY: i32 = 2;
const RLE: i32 = 3;

/// Page types (`PageType`).
const DATA_PAGE: i32 = 0;
const DICTIONARY_PAGE: i32 = 2;

/// A value of a column, as Parquet stores it.
pub trait Value: Copy + Eq + Hash + Ord {
    /// Appends the PLAIN encoding.
    fn plain(self, out: &mut Vec<u8>);
    /// The value as statistics carry it: PLAIN, without a byte array's length.
    fn stat_bytes(self) -> Vec<u8> {
        let mut out = Vec::new();
        self.plain(&mut out);
        out
    }
}

impl Value for i32 {
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Value for i64 {
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Value for &[u8] {
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        out.extend_from_slice(self);
    }
    fn stat_bytes(self) -> Vec<u8> {
        self.to_vec()
    }
}

/// What the footer says of a written column chunk.
pub struct ChunkMeta {
    pub physical: i32,
    pub dictionary: bool,
    pub compressed: bool,
    /// Rows, nulls included.
    pub num_values: i64,
    /// Page headers included, as the footer counts them.
    pub uncompressed_size: i64,
    pub compressed_size: i64,
    pub dictionary_page_offset: Option<i64>,
    pub data_page_offset: i64,
    pub null_count: i64,
    /// Smallest and largest value (absent when every value is null or a bound is too long).
    pub bounds: Option<(Vec<u8>, Vec<u8>)>,
}

impl ChunkMeta {
    /// Where the chunk starts in the file.
    pub fn start(&self) -> i64 {
        self.dictionary_page_offset.unwrap_or(self.data_page_offset)
    }

    /// `ColumnMetaData` (field 3 of `ColumnChunk`), fields in id order.
    pub fn write(&self, w: &mut Writer<'_>, path: &str) {
        let value_encoding = if self.dictionary {
            PLAIN_DICTIONARY
        } else {
            PLAIN
        };
        w.i32(1, self.physical)
            .i32_list(2, &[value_encoding, RLE])
            .string_list(3, &[path])
            .i32(4, if self.compressed { ZSTD } else { UNCOMPRESSED })
            .i64(5, self.num_values)
            .i64(6, self.uncompressed_size)
            .i64(7, self.compressed_size)
            .i64(9, self.data_page_offset);
        if let Some(offset) = self.dictionary_page_offset {
            w.i64(11, offset);
        }
        w.begin(12).i64(3, self.null_count);
        if let Some((min, max)) = &self.bounds {
            w.binary(5, max).binary(6, min);
        }
        w.end();
    }
}

/// Compression codecs (`CompressionCodec`).
const UNCOMPRESSED: i32 = 0;
const ZSTD: i32 = 6;

thread_local! {
    /// One zstd context per generating thread, reused for every page: making one per column
    /// chunk was a tenth of the `parquet` crate writer's time.
    static ZSTD_CONTEXT: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
}

fn compress(body: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    ZSTD_CONTEXT.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(level)?),
        };
        compressor.set_compression_level(level)?;
        compressor.compress(body)
    })
}

/// One column's values for one row group.
pub struct Chunk<'a, V> {
    pub physical: i32,
    /// The present values, in row order.
    pub values: &'a [V],
    /// Definition levels (1 present, 0 null) of an optional column, one per row.
    pub defs: Option<&'a [i16]>,
    /// Rows in the row group.
    pub rows: usize,
    /// zstd level, or `None` for uncompressed pages.
    pub zstd: Option<i32>,
}

impl<V: Value> Chunk<'_, V> {
    /// Appends the chunk's pages to `file`.
    pub fn write(&self, file: &mut Vec<u8>) -> std::io::Result<ChunkMeta> {
        let dictionary = dictionary(self.values);
        let mut meta = ChunkMeta {
            physical: self.physical,
            dictionary: dictionary.is_some(),
            compressed: self.zstd.is_some(),
            num_values: self.rows as i64,
            uncompressed_size: 0,
            compressed_size: 0,
            dictionary_page_offset: None,
            data_page_offset: 0,
            null_count: (self.rows - self.values.len()) as i64,
            bounds: None,
        };
        let bound_values = dictionary
            .as_ref()
            .map_or(self.values, |d| d.distinct.as_slice());
        if let (Some(min), Some(max)) = (bound_values.iter().min(), bound_values.iter().max()) {
            let (min, max) = (min.stat_bytes(), max.stat_bytes());
            if min.len() <= MAX_STAT_BYTES && max.len() <= MAX_STAT_BYTES {
                meta.bounds = Some((min, max));
            }
        }
        if let Some(dict) = &dictionary {
            meta.dictionary_page_offset = Some(file.len() as i64);
            self.page(file, &mut meta, &dict.page, DICTIONARY_PAGE, |w| {
                w.begin(7)
                    .i32(1, dict.distinct.len() as i32)
                    .i32(2, PLAIN_DICTIONARY)
                    .bool(3, false)
                    .end();
            })?;
        }
        meta.data_page_offset = file.len() as i64;
        let value_encoding = if dictionary.is_some() {
            PLAIN_DICTIONARY
        } else {
            PLAIN
        };
        let bit_width = dictionary.as_ref().map_or(0, |d| {
            rle::bit_width(d.distinct.len().saturating_sub(1) as u32)
        });
        let mut body = Vec::new();
        let mut value_at = 0;
        let mut row = 0;
        while row < self.rows {
            let end = (row + PAGE_ROWS).min(self.rows);
            body.clear();
            let present = match self.defs {
                Some(defs) => {
                    let defs = &defs[row..end];
                    let levels: Vec<u32> = defs.iter().map(|&d| d as u32).collect();
                    let mut encoded = Vec::with_capacity(levels.len() / 8 + 8);
                    rle::encode(&levels, 1, &mut encoded);
                    body.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
                    body.extend_from_slice(&encoded);
                    levels.iter().filter(|&&l| l == 1).count()
                }
                None => end - row,
            };
            let page_values = value_at..value_at + present;
            value_at += present;
            match &dictionary {
                Some(dict) => {
                    body.push(bit_width);
                    rle::encode(&dict.indices[page_values], bit_width, &mut body);
                }
                None => {
                    for v in &self.values[page_values] {
                        v.plain(&mut body);
                    }
                }
            }
            let rows = (end - row) as i32;
            self.page(file, &mut meta, &body, DATA_PAGE, |w| {
                w.begin(5)
                    .i32(1, rows)
                    .i32(2, value_encoding)
                    .i32(3, RLE)
                    .i32(4, RLE)
                    .end();
            })?;
            row = end;
        }
        Ok(meta)
    }

    /// Appends one page: its header (the type, the sizes, then what `header` writes: the
    /// page type's own header) and its body, compressed if the chunk is.
    fn page(
        &self,
        file: &mut Vec<u8>,
        meta: &mut ChunkMeta,
        body: &[u8],
        page_type: i32,
        header: impl FnOnce(&mut Writer<'_>),
    ) -> std::io::Result<()> {
        let compressed;
        let stored: &[u8] = match self.zstd {
            Some(level) => {
                compressed = compress(body, level)?;
                &compressed
            }
            None => body,
        };
        let before = file.len();
        let mut w = Writer::new(file);
        w.i32(1, page_type)
            .i32(2, body.len() as i32)
            .i32(3, stored.len() as i32);
        header(&mut w);
        w.end();
        let header_len = (file.len() - before) as i64;
        file.extend_from_slice(stored);
        meta.uncompressed_size += header_len + body.len() as i64;
        meta.compressed_size += header_len + stored.len() as i64;
        Ok(())
    }
}

/// A column chunk's dictionary.
struct Dictionary<V> {
    /// The distinct values, in order of first appearance.
    distinct: Vec<V>,
    /// Each value's index in `distinct`.
    indices: Vec<u32>,
    /// The dictionary page's body: `distinct` PLAIN-encoded.
    page: Vec<u8>,
}

/// The dictionary of `values`, or `None` when one would not pay: more than half the values
/// distinct, or a dictionary page over `MAX_DICTIONARY_BYTES`.
fn dictionary<V: Value>(values: &[V]) -> Option<Dictionary<V>> {
    let most = (values.len() / 2).max(1);
    let mut index: HashMap<V, u32, foldhash::fast::FixedState> =
        HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0));
    let mut distinct = Vec::new();
    let mut indices = Vec::with_capacity(values.len());
    for &v in values {
        let next = distinct.len() as u32;
        let i = *index.entry(v).or_insert(next);
        if i == next {
            distinct.push(v);
            if distinct.len() > most {
                return None;
            }
        }
        indices.push(i);
    }
    let mut page = Vec::new();
    for v in &distinct {
        v.plain(&mut page);
        if page.len() > MAX_DICTIONARY_BYTES {
            return None;
        }
    }
    Some(Dictionary {
        distinct,
        indices,
        page,
    })
}
