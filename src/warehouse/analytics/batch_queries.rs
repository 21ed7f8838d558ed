//! The loaded hours as seeds 001 and 002 chart them: seed 001's Looker KPIs per store and
//! hour of day, seed 002's weekday x hour heatmap and period-over-period change per category.
//! The SQL returns exact totals; the averages and changes are divided here, once, so they
//! are the same on every warehouse.

use super::{analytics_query, PeriodDays};
use serde::Serialize;
use utoipa::ToSchema;

/// `numerator / denominator`, none for a denominator of zero.
fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

analytics_query! {
    /// Per store and hour of day (summed over the filter's dates), ordered by store then hour.
    pub struct StoreHourKpis = "store_hour_kpis" at "/analytics/store-hour-kpis", params (),
        "Spend per customer and items per transaction per store and hour of day";
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct StoreHourKpi {
        pub store_id: String,
        pub hour: u8,
        /// Distinct transactions (baskets).
        pub transactions: i64,
        /// Distinct identified (loyalty) customers.
        pub customers: i64,
        pub units: i64,
        pub revenue_cents: i64,
        /// The revenue of identified customers' lines.
        pub customer_revenue_cents: i64,
        /// `customer_revenue_cents / customers`; none without identified customers.
        pub spend_per_customer_cents: Option<f64>,
        /// `units / transactions`.
        pub items_per_transaction: Option<f64>,
    }
    read(c) {
        let (transactions, customers) = (c.int(2)?, c.int(3)?);
        let (units, customer_revenue_cents) = (c.int(4)?, c.int(6)?);
        Ok(StoreHourKpi {
            store_id: c.text(0)?,
            hour: c.hour(1)?,
            transactions,
            customers,
            units,
            revenue_cents: c.int(5)?,
            customer_revenue_cents,
            spend_per_customer_cents: ratio(customer_revenue_cents, customers),
            items_per_transaction: ratio(units, transactions),
        })
    }
}

analytics_query! {
    /// Sales per ISO weekday (1 Monday to 7 Sunday) and hour of day, summed over the dates,
    /// ordered by weekday then hour; cells without sales have no row.
    pub struct SalesHeatmap = "sales_heatmap" at "/analytics/sales-heatmap", params (),
        "Sales per weekday (1 Monday to 7 Sunday) and hour of day";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct HeatmapCell {
        pub weekday: u8,
        pub hour: u8,
        pub transactions: i64,
        pub units: i64,
        pub revenue_cents: i64,
    }
    read(c) {
        let weekday = u8::try_from(c.int(0)?)
            .ok()
            .filter(|d| (1..=7).contains(d))
            .ok_or_else(|| c.invalid(0, "a weekday"))?;
        Ok(HeatmapCell {
            weekday,
            hour: c.hour(1)?,
            transactions: c.int(2)?,
            units: c.int(3)?,
            revenue_cents: c.int(4)?,
        })
    }
}

analytics_query! {
    /// Per category, the `days` days ending on the filter's last date (else the newest loaded
    /// date) beside the `days` days before, ordered by the current revenue (descending).
    pub struct CategoryChange = "category_change" at "/analytics/category-change", params PeriodDays,
        "Revenue and units per category, the last days against the days before";
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct CategoryPeriods {
        pub category: String,
        /// The current period's last date, `YYYY-MM-DD`.
        pub period_end: String,
        pub current_revenue_cents: i64,
        pub previous_revenue_cents: i64,
        pub current_units: i64,
        pub previous_units: i64,
        /// `(current - previous) / previous` of revenue; none when the previous period sold nothing.
        pub revenue_change: Option<f64>,
    }
    read(c) {
        let (current, previous) = (c.int(2)?, c.int(3)?);
        Ok(CategoryPeriods {
            category: c.text(0)?,
            period_end: c.text(1)?,
            current_revenue_cents: current,
            previous_revenue_cents: previous,
            current_units: c.int(4)?,
            previous_units: c.int(5)?,
            revenue_change: ratio(current - previous, previous),
        })
    }
}
