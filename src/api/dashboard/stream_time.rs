//! The time axes of the Stream section: every 10-second bucket or minute of the window,
//! so an empty one draws as zero instead of being skipped.

use chrono::DateTime;

/// `HH:MM:SS` of a `YYYY-MM-DDTHH:MM:SSZ` time (the text itself when it is not one).
pub fn short_time(t: &str) -> String {
    t.get(11..19).unwrap_or(t).to_string()
}

fn millis(t: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// The labels of every `step_ms` slot from `minutes` before `now_ms` to `now_ms`, and of
/// any of `times` outside that span (a late event's minute), in time order.
pub fn slots<'a>(
    times: impl Iterator<Item = &'a str>,
    now_ms: i64,
    minutes: u32,
    step_ms: i64,
) -> Vec<String> {
    let last = now_ms.div_euclid(step_ms);
    let first = (now_ms - i64::from(minutes) * 60_000).div_euclid(step_ms) + 1;
    let mut all: Vec<i64> = (first..=last).collect();
    all.extend(times.filter_map(millis).map(|t| t.div_euclid(step_ms)));
    all.sort_unstable();
    all.dedup();
    all.into_iter()
        .filter_map(|slot| DateTime::from_timestamp_millis(slot * step_ms))
        .map(|d| d.format("%H:%M:%S").to_string())
        .collect()
}

/// A 10-second bucket, the rate chart's slot.
pub const BUCKET_MS: i64 = 10_000;
/// A minute, the orders chart's slot.
pub const MINUTE_MS: i64 = 60_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_of_the_window_is_labelled_and_late_minutes_join_it() {
        // 2026-12-05T10:00:05Z.
        let now = 1_796_464_805_000;
        let buckets = slots(std::iter::empty(), now, 1, BUCKET_MS);
        assert_eq!(buckets.len(), 6);
        assert_eq!(buckets.first().map(String::as_str), Some("09:59:10"));
        assert_eq!(buckets.last().map(String::as_str), Some("10:00:00"));
        let minutes = slots(
            ["2026-12-05T09:50:00Z", "bad"].into_iter(),
            now,
            2,
            MINUTE_MS,
        );
        assert_eq!(minutes, ["09:50:00", "09:59:00", "10:00:00"]);
        assert_eq!(short_time("2026-12-05T09:50:10Z"), "09:50:10");
    }
}
