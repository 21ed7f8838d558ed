//! Walker's alias method: O(1) draws from a fixed discrete distribution.

use super::rng::Rng;

/// A table built once from weights; each draw costs one random word.
#[derive(Debug, Clone)]
pub struct AliasTable {
    /// Acceptance threshold of each slot, scaled to 2^32.
    threshold: Vec<u64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Builds the table (Vose's method). Weights must be finite and non-negative with a
    /// positive sum; an empty or all-zero list gives a table that always draws 0.
    pub fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return Self {
                threshold: vec![1 << 32],
                alias: vec![0],
            };
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut small: Vec<usize> = Vec::new();
        let mut large: Vec<usize> = Vec::new();
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 {
                small.push(i);
            } else {
                large.push(i);
            }
        }
        let mut threshold = vec![1u64 << 32; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            threshold[s] = (scaled[s] * (1u64 << 32) as f64) as u64;
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        Self { threshold, alias }
    }

    pub fn len(&self) -> usize {
        self.alias.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alias.is_empty()
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let slot = (((r >> 32) * self.alias.len() as u64) >> 32) as usize;
        if (r & 0xffff_ffff) < self.threshold[slot] {
            slot
        } else {
            self.alias[slot] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::Key;

    #[test]
    fn frequencies_follow_weights() {
        let weights = [1.0, 0.0, 3.0, 6.0];
        let table = AliasTable::new(&weights);
        let mut rng = Key::root(1).rng();
        let mut counts = [0u32; 4];
        let n = 100_000;
        for _ in 0..n {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0, "a zero weight is never drawn");
        for (i, w) in weights.iter().enumerate() {
            let expected = w / 10.0;
            let got = f64::from(counts[i]) / f64::from(n);
            assert!(
                (got - expected).abs() < 0.01,
                "slot {i}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn degenerate_weights_draw_zero() {
        let mut rng = Key::root(1).rng();
        assert_eq!(AliasTable::new(&[]).sample(&mut rng), 0);
        assert_eq!(AliasTable::new(&[0.0, 0.0]).sample(&mut rng), 0);
    }
}
