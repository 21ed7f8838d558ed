//! The analytics and state queries and their rows as types. BigQuery's JSON gives every cell
//! as a string (or null); the SQL casts to STRING, INT64 or FLOAT64, parsed here.

use super::client::{Param, Row};
use super::{sql, BigQueryWarehouse};
use crate::model::{parse_date, PartitionHour};
use crate::warehouse::{
    AnalyticsFilter, BasketStats, CategorySales, HourlySales, HourlyStock, ProductSales,
    StoreRevenue, WarehouseError,
};
use std::collections::BTreeMap;

/// Reads the cells of one row by position, naming the query in any error.
struct Cells<'a> {
    query: &'a str,
    row: &'a Row,
}

impl Cells<'_> {
    fn bad(&self, i: usize, what: &str) -> WarehouseError {
        WarehouseError::Query {
            query: self.query.to_string(),
            message: format!("column {i} is not {what}: {:?}", self.row.get(i)),
        }
    }

    fn opt(&self, i: usize) -> Option<String> {
        self.row.get(i).cloned().flatten()
    }

    fn text(&self, i: usize) -> Result<String, WarehouseError> {
        self.opt(i).ok_or_else(|| self.bad(i, "a string"))
    }

    fn int(&self, i: usize) -> Result<i64, WarehouseError> {
        self.opt(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| self.bad(i, "an integer"))
    }

    fn hour(&self, i: usize) -> Result<u8, WarehouseError> {
        u8::try_from(self.int(i)?)
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| self.bad(i, "an hour"))
    }

    fn float(&self, i: usize) -> Result<f64, WarehouseError> {
        self.opt(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| self.bad(i, "a number"))
    }

    fn partition(&self, date: usize, hour: usize) -> Result<PartitionHour, WarehouseError> {
        let d = parse_date(&self.text(date)?).map_err(|_| self.bad(date, "a date"))?;
        PartitionHour::new(d, self.hour(hour)?).map_err(|_| self.bad(hour, "a partition"))
    }
}

/// The five leading parameters of every `analytics/*.sql`, typed.
fn slice(filter: &AnalyticsFilter) -> Vec<Param> {
    let (from, to) = filter.dates.bounds();
    vec![
        Param::new("date_from", "DATE", from),
        Param::new("date_to", "DATE", to),
        Param::new("category", "STRING", filter.category.clone()),
        Param::new("state", "STRING", filter.state.clone()),
        Param::new("store_id", "STRING", filter.store_id.clone()),
    ]
}

impl BigQueryWarehouse {
    /// Runs a query and maps each row.
    async fn mapped<T>(
        &self,
        name: &str,
        template: &str,
        params: &[Param],
        map: impl Fn(&Cells<'_>) -> Result<T, WarehouseError>,
    ) -> Result<Vec<T>, WarehouseError> {
        let rows = self.run(name, template, params).await?;
        rows.iter()
            .map(|row| map(&Cells { query: name, row }))
            .collect()
    }

    /// A state query returning `(date, hour)` rows.
    pub(super) async fn hours(
        &self,
        name: &str,
        template: &str,
    ) -> Result<Vec<PartitionHour>, WarehouseError> {
        self.mapped(name, template, &[], |c| c.partition(0, 1))
            .await
    }

    /// Which partition each dimension's current state came from, by table name.
    pub(super) async fn dimension_sources(
        &self,
    ) -> Result<BTreeMap<String, PartitionHour>, WarehouseError> {
        let rows = self
            .mapped(
                "state/dimension_sources.sql",
                sql::DIMENSION_SOURCES,
                &[],
                |c| Ok((c.text(0)?, c.partition(1, 2)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    pub(super) async fn sales_by_category_rows(
        &self,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<CategorySales>, WarehouseError> {
        self.mapped(
            "analytics/sales_by_category.sql",
            sql::analytics::SALES_BY_CATEGORY,
            &slice(filter),
            |c| {
                Ok(CategorySales {
                    date: c.text(0)?,
                    category: c.text(1)?,
                    units: c.int(2)?,
                    revenue_cents: c.int(3)?,
                })
            },
        )
        .await
    }

    pub(super) async fn sales_by_hour_rows(
        &self,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<HourlySales>, WarehouseError> {
        self.mapped(
            "analytics/sales_by_hour.sql",
            sql::analytics::SALES_BY_HOUR,
            &slice(filter),
            |c| {
                Ok(HourlySales {
                    date: c.text(0)?,
                    hour: c.hour(1)?,
                    category: c.text(2)?,
                    units: c.int(3)?,
                    revenue_cents: c.int(4)?,
                })
            },
        )
        .await
    }

    pub(super) async fn revenue_by_store_rows(
        &self,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<StoreRevenue>, WarehouseError> {
        self.mapped(
            "analytics/revenue_by_store.sql",
            sql::analytics::REVENUE_BY_STORE,
            &slice(filter),
            |c| {
                Ok(StoreRevenue {
                    state: c.text(0)?,
                    store_id: c.text(1)?,
                    store_name: c.opt(2),
                    city: c.opt(3),
                    baskets: c.int(4)?,
                    units: c.int(5)?,
                    revenue_cents: c.int(6)?,
                })
            },
        )
        .await
    }

    pub(super) async fn top_products_rows(
        &self,
        filter: &AnalyticsFilter,
        limit: u32,
    ) -> Result<Vec<ProductSales>, WarehouseError> {
        let mut params = slice(filter);
        params.push(Param::new("row_limit", "INT64", Some(limit.to_string())));
        self.mapped(
            "analytics/top_products.sql",
            sql::analytics::TOP_PRODUCTS,
            &params,
            |c| {
                Ok(ProductSales {
                    product_id: c.text(0)?,
                    name: c.opt(1),
                    category: c.text(2)?,
                    units: c.int(3)?,
                    revenue_cents: c.int(4)?,
                })
            },
        )
        .await
    }

    pub(super) async fn stock_by_hour_rows(
        &self,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<HourlyStock>, WarehouseError> {
        self.mapped(
            "analytics/stock_by_hour.sql",
            sql::analytics::STOCK_BY_HOUR,
            &slice(filter),
            |c| {
                Ok(HourlyStock {
                    date: c.text(0)?,
                    hour: c.hour(1)?,
                    stockouts: c.int(2)?,
                    negative_stock: c.int(3)?,
                    alerts: c.int(4)?,
                })
            },
        )
        .await
    }

    pub(super) async fn basket_stats_rows(
        &self,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<BasketStats>, WarehouseError> {
        self.mapped(
            "analytics/basket_stats.sql",
            sql::analytics::BASKET_STATS,
            &slice(filter),
            |c| {
                Ok(BasketStats {
                    date: c.text(0)?,
                    baskets: c.int(1)?,
                    lines: c.int(2)?,
                    units: c.int(3)?,
                    revenue_cents: c.int(4)?,
                    avg_basket_cents: c.float(5)?,
                    avg_units: c.float(6)?,
                })
            },
        )
        .await
    }
}
