//! Every analytics query, each declared once: its SQL files, route, parameters, typed row and
//! how the row is read. Adding one: its two SQL files, its declaration here, and a line in
//! `for_each_query`. Rows are ready to serialize for the API and the dashboard; money is
//! integer cents (exact, no float rounding), dates are `YYYY-MM-DD`.

use super::{analytics_query, AnalyticsQuery, RowLimit};
use serde::Serialize;
use utoipa::ToSchema;

/// Something done once per analytics query (the API adds its route and its docs).
pub trait EachQuery {
    fn query<Q: AnalyticsQuery>(&mut self);
}

/// Every analytics query, in the order the API documents them.
pub fn for_each_query(each: &mut impl EachQuery) {
    each.query::<SalesByCategory>();
    each.query::<SalesByHour>();
    each.query::<RevenueByStore>();
    each.query::<TopProducts>();
    each.query::<StockByHour>();
    each.query::<BasketStatsQuery>();
    each.query::<super::StoreHourKpis>();
    each.query::<super::SalesHeatmap>();
    each.query::<super::CategoryChange>();
    each.query::<super::StreamRates>();
    each.query::<super::OrdersPerMinute>();
    each.query::<super::ActivityFunnel>();
    each.query::<super::DeadLettersByReason>();
    each.query::<super::LandingLatency>();
    each.query::<super::EventsByStore>();
}

analytics_query! {
    /// Units and revenue per date and category, ordered by date then revenue (descending),
    /// restricted to the filter's dates, category, state and store.
    pub struct SalesByCategory = "sales_by_category" at "/analytics/sales-by-category", params (),
        "Units and revenue (cents) per date and category";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct CategorySales {
        pub date: String,
        pub category: String,
        pub units: i64,
        pub revenue_cents: i64,
    }
}

analytics_query! {
    /// Units and revenue per loaded hour and category, ordered by date, hour, then revenue
    /// (descending), restricted to the filter. Hours without sales have no rows.
    pub struct SalesByHour = "sales_by_hour" at "/analytics/sales-by-hour", params (),
        "Units and revenue (cents) per loaded hour and category";
    /// Units and revenue of one category in one loaded hour.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct HourlySales {
        pub date: String,
        pub hour: u8,
        pub category: String,
        pub units: i64,
        pub revenue_cents: i64,
    }
}

analytics_query! {
    /// Revenue per store with its state and city, ordered by state then revenue, restricted to
    /// the filter (with a category: that category's lines only).
    pub struct RevenueByStore = "revenue_by_store" at "/analytics/revenue-by-store", params (),
        "Revenue per store, by state";
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
}

analytics_query! {
    /// The `limit` products with the most revenue within the filter (ties by product_id).
    pub struct TopProducts = "top_products" at "/analytics/top-products", params RowLimit,
        "The products with the most revenue";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct ProductSales {
        pub product_id: String,
        pub name: Option<String>,
        pub category: String,
        pub units: i64,
        pub revenue_cents: i64,
    }
}

analytics_query! {
    /// Stock-outs and negative-stock alerts per loaded hour, counting only the (store, product)
    /// pairs within the filter, ordered by date and hour.
    pub struct StockByHour = "stock_by_hour" at "/analytics/stock-by-hour", params (),
        "Stock-outs and negative-stock alerts per hour";
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
}

analytics_query! {
    /// Baskets and average basket per date, ordered by date. With a category, only its lines
    /// count and a basket is one that bought in it.
    pub struct BasketStatsQuery = "basket_stats" at "/analytics/basket-stats", params (),
        "Baskets and average basket per date";
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
}
