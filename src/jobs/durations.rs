//! How long finished jobs took, per kind, as a Prometheus histogram; and how they ended. Kept
//! apart from the registry's job list, which forgets old jobs.

use super::{JobKind, JobState};
use std::sync::Mutex;

/// Upper bounds of the histogram buckets, in seconds: a one-hour generate takes well under a
/// second, a week's backfill tens of seconds, a scenario minutes.
pub const BUCKETS: [f64; 9] = [0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Cumulative counts per bucket of `BUCKETS` (Prometheus `le`), then `+Inf` = `count`.
    pub buckets: [u64; BUCKETS.len()],
    pub count: u64,
    pub sum: f64,
}

#[derive(Debug, Default)]
pub struct JobDurations {
    inner: Mutex<Vec<(JobKind, JobState, Histogram)>>,
}

impl JobDurations {
    pub fn record(&self, kind: JobKind, state: JobState, secs: f64) {
        let mut all = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let index = match all.iter().position(|(k, s, _)| *k == kind && *s == state) {
            Some(i) => i,
            None => {
                all.push((kind, state, Histogram::default()));
                all.len() - 1
            }
        };
        let h = &mut all[index].2;
        for (bucket, bound) in h.buckets.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Every (kind, final state) seen, with its histogram.
    pub fn snapshot(&self) -> Vec<(JobKind, JobState, Histogram)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let d = JobDurations::default();
        d.record(JobKind::Generate, JobState::Completed, 0.3);
        d.record(JobKind::Generate, JobState::Completed, 20.0);
        d.record(JobKind::Generate, JobState::Failed, 0.05);
        let snap = d.snapshot();
        let done = &snap[0].2;
        assert_eq!(done.count, 2);
        assert_eq!(done.buckets[0], 0); // le 0.1
        assert_eq!(done.buckets[1], 1); // le 0.5
        assert_eq!(done.buckets[5], 2); // le 60
        assert!((done.sum - 20.3).abs() < 1e-9);
        assert_eq!(snap[1].2.buckets[0], 1);
    }
}
