//! Typed rows of the analytics queries, ready to serialize for the API and the dashboard.
//! Money is integer cents (exact, no float rounding); dates are `YYYY-MM-DD`.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

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

    /// The bounds as `YYYY-MM-DD` strings, the form the SQL files take.
    pub fn bounds(&self) -> (Option<String>, Option<String>) {
        let fmt = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        (self.from.map(fmt), self.to.map(fmt))
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CategorySales {
    pub date: String,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

/// Units and revenue of one category in one loaded hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourlySales {
    pub date: String,
    pub hour: u8,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreRevenue {
    pub state: String,
    pub store_id: String,
    pub store_name: Option<String>,
    pub city: Option<String>,
    pub baskets: i64,
    pub units: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductSales {
    pub product_id: String,
    pub name: Option<String>,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourlyStock {
    pub date: String,
    pub hour: u8,
    /// (store, product) pairs with closing stock at or below zero.
    pub stockouts: i64,
    /// Pairs with closing stock below zero; each has exactly one alert.
    pub negative_stock: i64,
    pub alerts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BasketStats {
    pub date: String,
    /// Distinct transactions.
    pub baskets: i64,
    pub lines: i64,
    pub units: i64,
    pub revenue_cents: i64,
    /// `revenue_cents / baskets`.
    pub avg_basket_cents: f64,
    /// `units / baskets`.
    pub avg_units: f64,
}
