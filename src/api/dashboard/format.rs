//! Text for people: money in dollars, counts with thousands separators.

/// What a chart's values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Money in integer cents, shown in dollars.
    Cents,
    /// Plain counts (units, stock-outs, alerts).
    Count,
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cents as `$1,234.56`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", thousands((abs / 100) as i64), abs % 100)
}

/// A value in full, for tooltips, tables and tiles.
pub fn full_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Cents => dollars(v.round() as i64),
        Unit::Count => thousands(v.round() as i64),
    }
}

/// A value for an axis: short (`$12k`, `3.5M`).
pub fn axis_value(unit: Unit, v: f64) -> String {
    let v = if unit == Unit::Cents { v / 100.0 } else { v };
    let prefix = if unit == Unit::Cents { "$" } else { "" };
    let (scaled, suffix) = match v.abs() {
        a if a >= 1e9 => (v / 1e9, "B"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let text = if scaled.fract().abs() < 1e-9 {
        format!("{scaled:.0}")
    } else {
        format!("{scaled:.1}")
    };
    format!("{prefix}{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_read_as_people_write_them() {
        assert_eq!(dollars(123_456_789), "$1,234,567.89");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(-1_050), "-$10.50");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(axis_value(Unit::Cents, 1_250_000.0), "$12.5k");
        assert_eq!(axis_value(Unit::Cents, 0.0), "$0");
        assert_eq!(axis_value(Unit::Count, 3_000_000.0), "3M");
        assert_eq!(axis_value(Unit::Count, 40.0), "40");
    }
}
