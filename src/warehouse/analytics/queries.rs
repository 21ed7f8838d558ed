//! Every analytics query, each declared once: its SQL files, route, parameters, typed row and
//! how the row is read. Adding one: its two SQL files, its declaration here, and a line in
//! `for_each_query`. Rows are ready to serialize for the API and the dashboard; money is
//! integer cents (exact, no float rounding), dates are `YYYY-MM-DD`.

use super::{analytics_sql, AnalyticsQuery, AnalyticsSql, Cells, RowLimit};
use crate::warehouse::WarehouseError;
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

/// Units and revenue per date and category, ordered by date then revenue (descending),
/// restricted to the filter's dates, category, state and store.
pub struct SalesByCategory;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CategorySales {
    pub date: String,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

impl AnalyticsQuery for SalesByCategory {
    const NAME: &'static str = "sales_by_category";
    const PATH: &'static str = "/analytics/sales-by-category";
    const DESCRIPTION: &'static str = "Units and revenue (cents) per date and category";
    const SQL: AnalyticsSql = analytics_sql!("sales_by_category");
    type Params = ();
    type Row = CategorySales;

    fn read(c: &Cells<'_>) -> Result<CategorySales, WarehouseError> {
        Ok(CategorySales {
            date: c.text(0)?,
            category: c.text(1)?,
            units: c.int(2)?,
            revenue_cents: c.int(3)?,
        })
    }
}

/// Units and revenue per loaded hour and category, ordered by date, hour, then revenue
/// (descending), restricted to the filter. Hours without sales have no rows.
pub struct SalesByHour;

/// Units and revenue of one category in one loaded hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourlySales {
    pub date: String,
    pub hour: u8,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

impl AnalyticsQuery for SalesByHour {
    const NAME: &'static str = "sales_by_hour";
    const PATH: &'static str = "/analytics/sales-by-hour";
    const DESCRIPTION: &'static str = "Units and revenue (cents) per loaded hour and category";
    const SQL: AnalyticsSql = analytics_sql!("sales_by_hour");
    type Params = ();
    type Row = HourlySales;

    fn read(c: &Cells<'_>) -> Result<HourlySales, WarehouseError> {
        Ok(HourlySales {
            date: c.text(0)?,
            hour: c.hour(1)?,
            category: c.text(2)?,
            units: c.int(3)?,
            revenue_cents: c.int(4)?,
        })
    }
}

/// Revenue per store with its state and city, ordered by state then revenue, restricted to
/// the filter (with a category: that category's lines only).
pub struct RevenueByStore;

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

impl AnalyticsQuery for RevenueByStore {
    const NAME: &'static str = "revenue_by_store";
    const PATH: &'static str = "/analytics/revenue-by-store";
    const DESCRIPTION: &'static str = "Revenue per store, by state";
    const SQL: AnalyticsSql = analytics_sql!("revenue_by_store");
    type Params = ();
    type Row = StoreRevenue;

    fn read(c: &Cells<'_>) -> Result<StoreRevenue, WarehouseError> {
        Ok(StoreRevenue {
            state: c.text(0)?,
            store_id: c.text(1)?,
            store_name: c.opt(2)?,
            city: c.opt(3)?,
            baskets: c.int(4)?,
            units: c.int(5)?,
            revenue_cents: c.int(6)?,
        })
    }
}

/// The `limit` products with the most revenue within the filter (ties by product_id).
pub struct TopProducts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductSales {
    pub product_id: String,
    pub name: Option<String>,
    pub category: String,
    pub units: i64,
    pub revenue_cents: i64,
}

impl AnalyticsQuery for TopProducts {
    const NAME: &'static str = "top_products";
    const PATH: &'static str = "/analytics/top-products";
    const DESCRIPTION: &'static str = "The products with the most revenue";
    const SQL: AnalyticsSql = analytics_sql!("top_products");
    type Params = RowLimit;
    type Row = ProductSales;

    fn read(c: &Cells<'_>) -> Result<ProductSales, WarehouseError> {
        Ok(ProductSales {
            product_id: c.text(0)?,
            name: c.opt(1)?,
            category: c.text(2)?,
            units: c.int(3)?,
            revenue_cents: c.int(4)?,
        })
    }
}

/// Stock-outs and negative-stock alerts per loaded hour, counting only the (store, product)
/// pairs within the filter, ordered by date and hour.
pub struct StockByHour;

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

impl AnalyticsQuery for StockByHour {
    const NAME: &'static str = "stock_by_hour";
    const PATH: &'static str = "/analytics/stock-by-hour";
    const DESCRIPTION: &'static str = "Stock-outs and negative-stock alerts per hour";
    const SQL: AnalyticsSql = analytics_sql!("stock_by_hour");
    type Params = ();
    type Row = HourlyStock;

    fn read(c: &Cells<'_>) -> Result<HourlyStock, WarehouseError> {
        Ok(HourlyStock {
            date: c.text(0)?,
            hour: c.hour(1)?,
            stockouts: c.int(2)?,
            negative_stock: c.int(3)?,
            alerts: c.int(4)?,
        })
    }
}

/// Baskets and average basket per date, ordered by date. With a category, only its lines
/// count and a basket is one that bought in it.
pub struct BasketStatsQuery;

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

impl AnalyticsQuery for BasketStatsQuery {
    const NAME: &'static str = "basket_stats";
    const PATH: &'static str = "/analytics/basket-stats";
    const DESCRIPTION: &'static str = "Baskets and average basket per date";
    const SQL: AnalyticsSql = analytics_sql!("basket_stats");
    type Params = ();
    type Row = BasketStats;

    fn read(c: &Cells<'_>) -> Result<BasketStats, WarehouseError> {
        Ok(BasketStats {
            date: c.text(0)?,
            baskets: c.int(1)?,
            lines: c.int(2)?,
            units: c.int(3)?,
            revenue_cents: c.int(4)?,
            avg_basket_cents: c.float(5)?,
            avg_units: c.float(6)?,
        })
    }
}
