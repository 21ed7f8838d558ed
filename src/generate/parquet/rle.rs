//! Parquet's RLE / bit-packing hybrid, for dictionary indices and definition levels.
//! Spec: parquet-format's `Encodings.md`, "Run Length Encoding / Bit-Packing Hybrid".

use super::thrift::varint;

/// Most groups of 8 in one bit-packed run: parquet-mr's limit (its header is one byte),
/// which every reader accepts.
const MAX_GROUPS: usize = 63;

/// Appends `values`, each below `1 << bit_width`, to `out`: runs of 8 or more equal values
/// (starting at a multiple of 8 from the last run) as RLE runs, the rest bit-packed.
pub fn encode(values: &[u32], bit_width: u8, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < values.len() {
        let run = run_length(values, i);
        if run >= 8 {
            rle_run(values[i], run, bit_width, out);
            i += run;
            continue;
        }
        // Bit-pack whole groups of 8 until a long run starts at a group's boundary; only the
        // last group of all may be short (padded with zeros, which the value count ignores).
        let start = i;
        let mut end = i;
        loop {
            end += 8;
            if end >= values.len() || (end - start) / 8 == MAX_GROUPS {
                break;
            }
            if run_length(values, end) >= 8 {
                break;
            }
        }
        let end = end.min(values.len());
        bit_packed_run(&values[start..end], bit_width, out);
        i = end;
    }
}

/// How many values from `at` on equal `values[at]`.
fn run_length(values: &[u32], at: usize) -> usize {
    let v = values[at];
    values[at..].iter().take_while(|&&x| x == v).count()
}

fn rle_run(value: u32, count: usize, bit_width: u8, out: &mut Vec<u8>) {
    varint((count as u64) << 1, out);
    let bytes = usize::from(bit_width).div_ceil(8);
    out.extend_from_slice(&value.to_le_bytes()[..bytes]);
}

/// `values` (up to `MAX_GROUPS` groups of 8; a short last group is padded with zeros).
fn bit_packed_run(values: &[u32], bit_width: u8, out: &mut Vec<u8>) {
    let groups = values.len().div_ceil(8);
    varint(((groups as u64) << 1) | 1, out);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for k in 0..groups * 8 {
        let v = values.get(k).copied().unwrap_or(0);
        acc |= u64::from(v) << bits;
        bits += u32::from(bit_width);
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    // groups * 8 * bit_width is a whole number of bytes: nothing is left in `acc`.
}

/// Bits needed for values up to `max`, at least 1.
pub fn bit_width(max: u32) -> u8 {
    (32 - max.leading_zeros()).max(1) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_runs_are_rle_and_the_rest_bit_packed() {
        let mut values = vec![3u32; 10];
        values.extend([0, 1, 2]);
        let mut out = Vec::new();
        encode(&values, 2, &mut out);
        // RLE: 10 << 1 = 20, value 3 in one byte; then one bit-packed group of 8 (header 3)
        // holding 0, 1, 2 and five padding zeros, 2 bits each, least significant first.
        assert_eq!(out, [20, 3, 3, 0b0010_0100, 0]);
    }

    #[test]
    fn a_bit_packed_run_stops_where_a_long_run_starts() {
        let mut values: Vec<u32> = (0..8).collect();
        values.extend([5; 9]);
        let mut out = Vec::new();
        encode(&values, 3, &mut out);
        assert_eq!(out[0], 3, "one group bit-packed");
        assert_eq!(&out[4..], [18, 5], "then a run of nine fives");
    }

    #[test]
    fn widths() {
        assert_eq!(bit_width(0), 1);
        assert_eq!(bit_width(1), 1);
        assert_eq!(bit_width(2), 2);
        assert_eq!(bit_width(999), 10);
    }
}
