//! The US retail calendar: the days a US retailer plans around, computed for any year (no
//! table of dates to run out), each with its effect on traffic, on the basket mix by category
//! and on returns. Stock follows through replenishment: orders placed before a peak are sized
//! for it (`Calendar::order_up_to`).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Number of product categories (`reference::CATEGORIES`), in its order.
pub const CATEGORY_COUNT: usize = 12;

// Category positions in `reference::CATEGORIES`.
const GROCERY: usize = 0;
const BEVERAGES: usize = 1;
const BEAUTY: usize = 4;
const ELECTRONICS: usize = 5;
const APPAREL: usize = 6;
const HOME: usize = 7;
const TOYS: usize = 8;
const SPORTS: usize = 9;
const OFFICE: usize = 11;

/// Days a store orders ahead of: an order placed on a day is sized for the busiest of the next
/// `LOOKAHEAD_DAYS` days, so stock builds up before a peak rather than running out on it.
pub const LOOKAHEAD_DAYS: i64 = 3;

/// A named event of the retail year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetailEvent {
    NewYearsDay,
    EasterSaturday,
    EasterSunday,
    MemorialDay,
    IndependenceDayEve,
    IndependenceDay,
    BackToSchool,
    LaborDay,
    ThanksgivingRunUp,
    Thanksgiving,
    BlackFriday,
    SmallBusinessSaturday,
    CyberMonday,
    ChristmasRunUp,
    ChristmasEve,
    ChristmasDay,
    BoxingDayReturns,
}

/// What a day of the calendar does to the shop, on top of weekday and month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayEffect {
    pub event: Option<RetailEvent>,
    /// Multiplier of baskets.
    pub traffic: f64,
    /// Multiplier of each category's share of basket lines.
    pub category: [f64; CATEGORY_COUNT],
    /// Multiplier of returns per basket.
    pub returns: f64,
}

impl DayEffect {
    const ORDINARY: DayEffect = DayEffect {
        event: None,
        traffic: 1.0,
        category: [1.0; CATEGORY_COUNT],
        returns: 1.0,
    };

    fn event(event: RetailEvent, traffic: f64, boosts: &[(usize, f64)]) -> Self {
        let mut category = [1.0; CATEGORY_COUNT];
        for &(c, m) in boosts {
            category[c] = m;
        }
        DayEffect {
            event: Some(event),
            traffic,
            category,
            returns: 1.0,
        }
    }

    /// Whether the basket mix differs from an ordinary day's.
    pub fn changes_mix(&self) -> bool {
        self.category.iter().any(|&m| m != 1.0)
    }
}

/// Easter Sunday of `year` (Gregorian; the anonymous computus of Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// Thanksgiving: the fourth Thursday of November.
pub fn thanksgiving(year: i32) -> NaiveDate {
    nth_weekday(year, 11, Weekday::Thu, 4)
}

/// Memorial Day: the last Monday of May.
pub fn memorial_day(year: i32) -> NaiveDate {
    let last = ymd(year, 5, 31);
    last - Duration::days(i64::from(last.weekday().num_days_from_monday()))
}

/// Labor Day: the first Monday of September.
pub fn labor_day(year: i32) -> NaiveDate {
    nth_weekday(year, 9, Weekday::Mon, 1)
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
        .unwrap_or_else(|| ymd(year, month, 1))
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The calendar's effect on one date.
pub fn day_effect(date: NaiveDate) -> DayEffect {
    use RetailEvent::*;
    let year = date.year();
    let (month, day) = (date.month(), date.day());
    let thanks = thanksgiving(year);
    let easter = easter(year);
    let after_thanks = (date - thanks).num_days();
    match after_thanks {
        -2 | -1 => {
            return DayEffect::event(
                ThanksgivingRunUp,
                1.3 + 0.15 * (after_thanks + 2) as f64,
                &[(GROCERY, 1.7), (BEVERAGES, 1.3), (HOME, 1.2)],
            )
        }
        0 => return DayEffect::event(Thanksgiving, 0.45, &[(GROCERY, 1.4)]),
        1 => {
            return DayEffect::event(
                BlackFriday,
                2.4,
                &[(ELECTRONICS, 2.6), (TOYS, 2.2), (APPAREL, 1.6), (HOME, 1.6)],
            )
        }
        2 => {
            return DayEffect::event(
                SmallBusinessSaturday,
                1.4,
                &[(TOYS, 1.5), (APPAREL, 1.3), (ELECTRONICS, 1.4)],
            )
        }
        4 => return DayEffect::event(CyberMonday, 1.25, &[(ELECTRONICS, 1.8)]),
        _ => {}
    }
    match (month, day) {
        (1, 1) => return DayEffect::event(NewYearsDay, 0.6, &[(BEVERAGES, 1.3)]),
        (7, 3) => {
            return DayEffect::event(
                IndependenceDayEve,
                1.25,
                &[(BEVERAGES, 1.7), (GROCERY, 1.3), (SPORTS, 1.4)],
            )
        }
        (7, 4) => {
            return DayEffect::event(IndependenceDay, 0.8, &[(BEVERAGES, 1.6), (GROCERY, 1.2)])
        }
        (12, 24) => {
            return DayEffect::event(ChristmasEve, 1.3, &[(GROCERY, 1.5), (TOYS, 1.6)]);
        }
        // Most stores close on Christmas Day; the few open sell milk and batteries.
        (12, 25) => return DayEffect::event(ChristmasDay, 0.15, &[(GROCERY, 1.5)]),
        (12, 26) => {
            return DayEffect {
                returns: 4.0,
                ..DayEffect::event(BoxingDayReturns, 1.2, &[(ELECTRONICS, 1.3)])
            }
        }
        (12, 1..=23) => {
            // The run-up builds from the first of December to the 23rd.
            let ramp = 1.0 + 0.5 * f64::from(day) / 23.0;
            return DayEffect::event(
                ChristmasRunUp,
                ramp,
                &[
                    (TOYS, 1.9),
                    (ELECTRONICS, 1.5),
                    (BEAUTY, 1.4),
                    (APPAREL, 1.3),
                    (HOME, 1.3),
                ],
            );
        }
        _ => {}
    }
    let after_easter = (date - easter).num_days();
    match after_easter {
        -1 => {
            return DayEffect::event(
                EasterSaturday,
                1.15,
                &[(GROCERY, 1.3), (TOYS, 1.5), (APPAREL, 1.2)],
            )
        }
        0 => return DayEffect::event(EasterSunday, 0.55, &[(GROCERY, 1.3)]),
        _ => {}
    }
    if date == memorial_day(year) {
        return DayEffect::event(
            MemorialDay,
            1.15,
            &[(SPORTS, 1.5), (BEVERAGES, 1.3), (GROCERY, 1.2)],
        );
    }
    if date == labor_day(year) {
        return DayEffect::event(
            LaborDay,
            1.15,
            &[(SPORTS, 1.3), (BEVERAGES, 1.3), (APPAREL, 1.2)],
        );
    }
    // Back-to-school: from the fourth Monday of July until Labor Day.
    let school_from = nth_weekday(year, 7, Weekday::Mon, 4);
    if date >= school_from && date < labor_day(year) {
        return DayEffect::event(
            BackToSchool,
            1.08,
            &[(OFFICE, 2.2), (APPAREL, 1.5), (ELECTRONICS, 1.3)],
        );
    }
    DayEffect::ORDINARY
}

/// Share of a peak's extra demand that stores order in ahead of it: they stock up, but not
/// for all of it (a peak that outruns deliveries is what stock-out alerts are for).
pub const PEAK_COVER: f64 = 0.6;

/// The multiplier of each category's order-up-to level for orders placed on `date`: the
/// busiest of the next `LOOKAHEAD_DAYS` days, in that category's demand relative to an
/// ordinary day (never below 1), `PEAK_COVER` of it. Stores order in for a peak before it.
pub fn order_up_to(date: NaiveDate) -> [f64; CATEGORY_COUNT] {
    let mut up = [1.0f64; CATEGORY_COUNT];
    for ahead in 1..=LOOKAHEAD_DAYS {
        let e = day_effect(date + Duration::days(ahead));
        for (u, m) in up.iter_mut().zip(e.category) {
            *u = u.max(e.traffic * m);
        }
    }
    up.map(|u| 1.0 + PEAK_COVER * (u.min(4.0) - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_fall_on_their_dates() {
        assert_eq!(easter(2024), ymd(2024, 3, 31));
        assert_eq!(easter(2025), ymd(2025, 4, 20));
        assert_eq!(easter(2026), ymd(2026, 4, 5));
        assert_eq!(easter(2038), ymd(2038, 4, 25));
        assert_eq!(thanksgiving(2026), ymd(2026, 11, 26));
        assert_eq!(thanksgiving(2025), ymd(2025, 11, 27));
        assert_eq!(memorial_day(2026), ymd(2026, 5, 25));
        assert_eq!(labor_day(2026), ymd(2026, 9, 7));
        assert_eq!(
            day_effect(ymd(2026, 11, 27)).event,
            Some(RetailEvent::BlackFriday)
        );
        assert_eq!(
            day_effect(ymd(2026, 11, 30)).event,
            Some(RetailEvent::CyberMonday)
        );
        assert_eq!(
            day_effect(ymd(2026, 8, 10)).event,
            Some(RetailEvent::BackToSchool)
        );
        assert_eq!(day_effect(ymd(2026, 10, 14)), DayEffect::ORDINARY);
    }

    #[test]
    fn stock_is_ordered_in_before_black_friday() {
        let up = order_up_to(thanksgiving(2026) - Duration::days(1));
        assert!(up[ELECTRONICS] > 1.8, "{up:?}");
        assert_eq!(order_up_to(ymd(2026, 10, 14)), [1.0; CATEGORY_COUNT]);
    }
}
