//! Value types of the event contract: money in integer cents written as a decimal with two
//! places, and event times as RFC 3339 UTC with milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount of money in cents. Arithmetic stays in integers, so an order's total is exactly
/// the sum of its lines; JSON carries it as a number with two decimals (`12.90`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(pub i64);

impl Cents {
    /// Writes `12.90` for 1290 into `out`.
    pub fn write_decimal(self, out: &mut String) {
        use fmt::Write;
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let _ = write!(out, "{sign}{}.{:02}", abs / 100, abs % 100);
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(16);
        self.write_decimal(&mut s);
        f.write_str(&s)
    }
}

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw JSON number keeps the trailing zero (`12.90`) that an f64 would drop.
        let mut text = String::with_capacity(16);
        self.write_decimal(&mut text);
        let raw =
            serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CentsVisitor)
    }
}

/// The largest amount accepted on input: ten billion dollars. Beyond it an f64 can no longer
/// tell cents apart reliably, and no order of this shop comes near.
const MAX_CENTS: f64 = 1e12;

struct CentsVisitor;

impl Visitor<'_> for CentsVisitor {
    type Value = Cents;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount with at most two decimals")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cents, E> {
        v.checked_mul(100)
            .filter(|c| (c.unsigned_abs() as f64) <= MAX_CENTS)
            .map(Cents)
            .ok_or_else(|| E::custom(format!("amount {v} is out of range")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cents, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(format!("amount {v} is out of range")))?;
        self.visit_i64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cents, E> {
        let cents = v * 100.0;
        let rounded = cents.round();
        if !cents.is_finite() || rounded.abs() > MAX_CENTS {
            return Err(E::custom(format!("amount {v} is out of range")));
        }
        // A decimal with two places lands within float noise of a whole number of cents.
        if (cents - rounded).abs() > 1e-6 * rounded.abs().max(1.0) {
            return Err(E::custom(format!("amount {v} has more than two decimals")));
        }
        Ok(Cents(rounded as i64))
    }
}

/// When an event happened: milliseconds since the Unix epoch, UTC. JSON carries RFC 3339 with
/// milliseconds and `Z` (`2026-11-22T05:12:34.567Z`); input with another offset is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTime(i64);

impl EventTime {
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_millis())
    }

    /// The time `ms` milliseconds later.
    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// `None` only for times chrono cannot represent (hundreds of thousands of years away).
    pub fn datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.0)
    }

    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(s).map(|t| Self(t.timestamp_millis()))
    }
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.datetime() {
            Some(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => write!(f, "{}ms", self.0),
        }
    }
}

impl Serialize for EventTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EventTime::parse(&s)
            .map_err(|e| de::Error::custom(format!("'{s}' is not an RFC 3339 time: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_keep_two_places_both_ways() {
        for (cents, text) in [(1290, "12.90"), (5, "0.05"), (0, "0.00"), (-1999, "-19.99")] {
            assert_eq!(serde_json::to_string(&Cents(cents)).unwrap(), text);
            assert_eq!(serde_json::from_str::<Cents>(text).unwrap(), Cents(cents));
        }
        assert_eq!(serde_json::from_str::<Cents>("12").unwrap(), Cents(1200));
        assert!(serde_json::from_str::<Cents>("12.345").is_err());
        assert!(serde_json::from_str::<Cents>("\"12.34\"").is_err());
        assert!(serde_json::from_str::<Cents>("1e300").is_err());
    }

    #[test]
    fn event_time_is_rfc3339_utc_with_millis() {
        let t = EventTime::parse("2026-11-22T05:12:34.567Z").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-22T05:12:34.567Z\""
        );
        let shifted = EventTime::parse("2026-11-22T06:12:34.567+01:00").unwrap();
        assert_eq!(shifted, t);
        assert!(serde_json::from_str::<EventTime>("\"2026-11-22 05:12\"").is_err());
    }
}
