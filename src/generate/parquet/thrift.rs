//! The Thrift compact protocol, write side only: just what a Parquet footer and page header
//! need (structs, i32/i64, binary, bool fields, lists of structs, strings and i32s).
//! Spec: thrift's `doc/specs/thrift-compact-protocol.md`.

/// Compact protocol type ids.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const STRUCT: u8 = 12;

/// Appends `v` as a ULEB128 varint (Thrift's and Parquet's RLE headers' integer encoding).
pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes one Thrift value into `out`. Fields must be written in increasing id order inside
/// each struct (as the compact protocol's field deltas assume).
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// The last field id of each open struct, innermost last.
    last: Vec<i16>,
}

impl<'a> Writer<'a> {
    /// A writer whose first call opens the top-level struct's fields.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, last: vec![0] }
    }

    fn varint(&mut self, v: u64) {
        varint(v, self.out);
    }

    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn field(&mut self, id: i16, kind: u8) {
        let last = self.last.last_mut().expect("a struct is open");
        let delta = id - *last;
        *last = id;
        if (1..=15).contains(&delta) {
            self.out.push(((delta as u8) << 4) | kind);
        } else {
            self.out.push(kind);
            self.zigzag(i64::from(id));
        }
    }

    pub fn i32(&mut self, id: i16, v: i32) -> &mut Self {
        self.field(id, I32);
        self.zigzag(i64::from(v));
        self
    }

    pub fn i64(&mut self, id: i16, v: i64) -> &mut Self {
        self.field(id, I64);
        self.zigzag(v);
        self
    }

    pub fn i16(&mut self, id: i16, v: i16) -> &mut Self {
        self.field(id, I16);
        self.zigzag(i64::from(v));
        self
    }

    pub fn bool(&mut self, id: i16, v: bool) -> &mut Self {
        self.field(id, if v { BOOL_TRUE } else { BOOL_FALSE });
        self
    }

    pub fn binary(&mut self, id: i16, v: &[u8]) -> &mut Self {
        self.field(id, BINARY);
        self.varint(v.len() as u64);
        self.out.extend_from_slice(v);
        self
    }

    /// Opens a struct-valued field; `end` closes it.
    pub fn begin(&mut self, id: i16) -> &mut Self {
        self.field(id, STRUCT);
        self.last.push(0);
        self
    }

    /// Closes the innermost open struct (or, last of all, the top-level one).
    pub fn end(&mut self) -> &mut Self {
        self.out.push(0);
        self.last.pop();
        self
    }

    fn list_header(&mut self, id: i16, len: usize, kind: u8) {
        self.field(id, LIST);
        if len < 15 {
            self.out.push(((len as u8) << 4) | kind);
        } else {
            self.out.push(0xf0 | kind);
            self.varint(len as u64);
        }
    }

    pub fn i32_list(&mut self, id: i16, values: &[i32]) -> &mut Self {
        self.list_header(id, values.len(), I32);
        for &v in values {
            self.zigzag(i64::from(v));
        }
        self
    }

    pub fn string_list(&mut self, id: i16, values: &[&str]) -> &mut Self {
        self.list_header(id, values.len(), BINARY);
        for v in values {
            self.varint(v.len() as u64);
            self.out.extend_from_slice(v.as_bytes());
        }
        self
    }

    /// A list of `len` structs, each written by `item` between its own begin and end.
    pub fn struct_list<T>(
        &mut self,
        id: i16,
        items: &[T],
        mut item: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        self.list_header(id, items.len(), STRUCT);
        for it in items {
            self.last.push(0);
            item(self, it);
            self.end();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_lists_and_nested_structs_encode_as_the_compact_protocol() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.i32(1, -1)
            .i64(3, 300)
            .bool(4, true)
            .begin(20)
            .binary(1, b"ab")
            .end()
            .i32_list(21, &[1, 2])
            .end();
        assert_eq!(
            out,
            [
                0x15, 0x01, // field 1 i32, zigzag(-1) = 1
                0x26, 0xd8, 0x04, // field 3 (delta 2) i64, zigzag(300) = 600
                0x11, // field 4 bool true
                0x0c, 0x28, // field 20 (delta 16: long form) struct
                0x18, 0x02, b'a', b'b', 0x00, // field 1 binary "ab", stop
                0x19, 0x25, 0x02, 0x04, // field 21 list of two i32: 1, 2
                0x00, // stop
            ]
        );
    }
}
