//! What an analytics query covers: the filter every `analytics/*.sql` takes first.

use chrono::NaiveDate;

/// An inclusive date range; `None` leaves that side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateFilter {
    pub fn all() -> Self {
        Self::default()
    }

    pub fn day(date: NaiveDate) -> Self {
        Self {
            from: Some(date),
            to: Some(date),
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }
}

/// What an analytics query covers: a date range and, optionally, one product category, one
/// store state and one store. Values are compared exactly (`(unknown)` matches rows whose
/// product or store is missing from its dimension); the API validates them first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyticsFilter {
    pub dates: DateFilter,
    pub category: Option<String>,
    pub state: Option<String>,
    pub store_id: Option<String>,
}

impl AnalyticsFilter {
    /// True when only dates restrict the rows.
    pub fn is_dates_only(&self) -> bool {
        self.category.is_none() && self.state.is_none() && self.store_id.is_none()
    }
}

impl From<DateFilter> for AnalyticsFilter {
    fn from(dates: DateFilter) -> Self {
        Self {
            dates,
            ..Self::default()
        }
    }
}
