//! `PartitionHour`: one hour of one UTC day, the unit of generation and of the lake's partitions.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use std::fmt;
use std::str::FromStr;

/// Earliest and latest dates the generator accepts. Anything outside is almost surely a typo
/// (`2926` for `2026`), and refusing it early beats writing centuries of partitions.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant"),
};
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d,
    None => panic!("valid constant"),
};

/// What is wrong with a date, hour or range a user gave. Each message names the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid date '{0}': expected YYYY-MM-DD")]
    BadDate(String),
    #[error("invalid hour '{0}': expected a whole number from 0 to 23")]
    BadHour(String),
    #[error("invalid hour '{0}': expected YYYY-MM-DDTHH (for example 2026-11-22T05)")]
    BadPartitionHour(String),
    #[error("date {0} is outside the supported range 2000-01-01 to 2099-12-31")]
    DateOutOfRange(NaiveDate),
    #[error("range is reversed: from {from} is after to {to}")]
    Reversed {
        from: PartitionHour,
        to: PartitionHour,
    },
    #[error("range {from} to {to} spans {hours} hours; at most {max} are allowed in one run")]
    TooLong {
        from: PartitionHour,
        to: PartitionHour,
        hours: u64,
        max: u64,
    },
}

/// One hour of one UTC date. Orders chronologically; displays as `2026-11-22T05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionHour {
    date: NaiveDate,
    hour: u8,
}

impl PartitionHour {
    pub fn new(date: NaiveDate, hour: u8) -> Result<Self, InputError> {
        if hour > 23 {
            return Err(InputError::BadHour(hour.to_string()));
        }
        if !(FIRST_DATE..=LAST_DATE).contains(&date) {
            return Err(InputError::DateOutOfRange(date));
        }
        Ok(Self { date, hour })
    }

    pub fn date(self) -> NaiveDate {
        self.date
    }

    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The hour that contains `at`.
    pub fn containing(at: NaiveDateTime) -> Result<Self, InputError> {
        Self::new(at.date(), at.hour() as u8)
    }

    /// Hours since 2000-01-01T00, a dense index used for ranges and arithmetic.
    pub fn index(self) -> i64 {
        (self.date - FIRST_DATE).num_days() * 24 + i64::from(self.hour)
    }

    pub fn from_index(index: i64) -> Result<Self, InputError> {
        let date = FIRST_DATE + Duration::days(index.div_euclid(24));
        Self::new(date, index.rem_euclid(24) as u8)
    }

    /// The hour `n` hours later (or earlier for negative `n`).
    pub fn offset(self, n: i64) -> Result<Self, InputError> {
        Self::from_index(self.index() + n)
    }

    /// The date as `YYYY-MM-DD`.
    pub fn date_string(self) -> String {
        self.date.format("%Y-%m-%d").to_string()
    }

    /// Compact stamp `YYYYMMDDHH`, used inside deterministic ids.
    pub fn stamp(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}",
            self.date.year(),
            self.date.month(),
            self.date.day(),
            self.hour
        )
    }
}

impl fmt::Display for PartitionHour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{:02}", self.date.format("%Y-%m-%d"), self.hour)
    }
}

impl FromStr for PartitionHour {
    type Err = InputError;

    /// Parses `YYYY-MM-DDTHH` (a space works in place of `T`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InputError::BadPartitionHour(s.to_string());
        let (date, hour) = s.split_once(['T', ' ']).ok_or_else(bad)?;
        if hour.is_empty() || hour.len() > 2 || !hour.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let hour: u8 = hour.parse().map_err(|_| bad())?;
        if hour > 23 {
            return Err(bad());
        }
        let date = parse_date(date).map_err(|_| bad())?;
        Self::new(date, hour)
    }
}

/// Parses a strict `YYYY-MM-DD` date inside the supported range.
pub fn parse_date(s: &str) -> Result<NaiveDate, InputError> {
    let well_formed = s.len() == 10
        && s.bytes()
            .enumerate()
            .all(|(i, b)| matches!(i, 4 | 7) == (b == b'-') && (b == b'-' || b.is_ascii_digit()));
    if !well_formed {
        return Err(InputError::BadDate(s.to_string()));
    }
    let date =
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| InputError::BadDate(s.to_string()))?;
    if !(FIRST_DATE..=LAST_DATE).contains(&date) {
        return Err(InputError::DateOutOfRange(date));
    }
    Ok(date)
}

/// Parses an hour of the day, 0 to 23.
pub fn parse_hour(s: &str) -> Result<u8, InputError> {
    match s.parse::<u8>() {
        Ok(h) if h <= 23 => Ok(h),
        _ => Err(InputError::BadHour(s.to_string())),
    }
}

/// An inclusive range of hours, `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRange {
    from: PartitionHour,
    to: PartitionHour,
}

impl HourRange {
    /// The most hours one run may cover: ten years. Longer is a typo, not a backfill.
    pub const MAX_HOURS: u64 = 24 * 366 * 10;

    pub fn new(from: PartitionHour, to: PartitionHour) -> Result<Self, InputError> {
        if from > to {
            return Err(InputError::Reversed { from, to });
        }
        let hours = (to.index() - from.index() + 1) as u64;
        if hours > Self::MAX_HOURS {
            return Err(InputError::TooLong {
                from,
                to,
                hours,
                max: Self::MAX_HOURS,
            });
        }
        Ok(Self { from, to })
    }

    /// The whole of one date.
    pub fn day(date: NaiveDate) -> Result<Self, InputError> {
        Self::new(PartitionHour::new(date, 0)?, PartitionHour::new(date, 23)?)
    }

    pub fn from(self) -> PartitionHour {
        self.from
    }

    pub fn to(self) -> PartitionHour {
        self.to
    }

    pub fn len(self) -> usize {
        (self.to.index() - self.from.index() + 1) as usize
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn hours(self) -> impl Iterator<Item = PartitionHour> {
        (self.from.index()..=self.to.index()).filter_map(|i| PartitionHour::from_index(i).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_round_trip() {
        let h: PartitionHour = "2026-11-22T05".parse().unwrap();
        assert_eq!(h.to_string(), "2026-11-22T05");
        assert_eq!(h.stamp(), "2026112205");
        assert_eq!("2026-11-22 5".parse::<PartitionHour>().unwrap(), h);
    }

    #[test]
    fn refuses_malformed_hours() {
        for bad in [
            "2026-11-22",
            "2026-11-22T24",
            "2026-13-01T00",
            "2026-02-30T00",
            "26-11-22T01",
            "2026-11-22T-1",
            "1999-12-31T23",
            "2026-11-22T005",
        ] {
            assert!(
                bad.parse::<PartitionHour>().is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn strict_dates() {
        assert!(parse_date("2026-1-05").is_err());
        assert!(parse_date("2026/01/05").is_err());
        assert_eq!(
            parse_date("2100-01-01"),
            Err(InputError::DateOutOfRange(
                NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()
            ))
        );
        assert_eq!(parse_hour("23"), Ok(23));
        assert!(parse_hour("24").is_err());
        assert!(parse_hour("x").is_err());
    }

    #[test]
    fn index_round_trips_across_days() {
        let h: PartitionHour = "2024-02-28T23".parse().unwrap();
        assert_eq!(h.offset(1).unwrap().to_string(), "2024-02-29T00");
        assert_eq!(h.offset(25).unwrap().to_string(), "2024-03-01T00");
        assert_eq!(PartitionHour::from_index(h.index()).unwrap(), h);
    }

    #[test]
    fn ranges_are_validated() {
        let a: PartitionHour = "2026-11-22T05".parse().unwrap();
        let b: PartitionHour = "2026-11-23T04".parse().unwrap();
        assert_eq!(HourRange::new(a, b).unwrap().len(), 24);
        assert!(matches!(
            HourRange::new(b, a),
            Err(InputError::Reversed { .. })
        ));
        let far: PartitionHour = "2099-01-01T00".parse().unwrap();
        assert!(matches!(
            HourRange::new(a, far),
            Err(InputError::TooLong { .. })
        ));
    }
}
