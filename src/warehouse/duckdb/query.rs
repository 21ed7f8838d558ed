//! Running the analytics and state queries and mapping their rows to types. The SQL casts
//! every value to VARCHAR, BIGINT or DOUBLE, so no DuckDB-specific type crosses over.

use super::{partition_hour, query_error, sql};
use crate::model::PartitionHour;
use crate::warehouse::{
    AnalyticsFilter, BasketStats, CategorySales, HourlySales, HourlyStock, ProductSales,
    StoreRevenue, WarehouseError,
};
use duckdb::{Connection, Params, Row};
use std::collections::BTreeMap;

/// Every row of `text`, each mapped; errors name the query `name`.
pub(super) fn rows<T, P: Params>(
    conn: &Connection,
    name: &str,
    text: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> duckdb::Result<T>,
) -> Result<Vec<T>, WarehouseError> {
    let mut stmt = conn.prepare(text).map_err(|e| query_error(name, &e))?;
    let mapped = stmt
        .query_map(params, map)
        .map_err(|e| query_error(name, &e))?;
    mapped
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| query_error(name, &e))
}

/// A state query returning `(date, hour)` rows.
pub fn hours(
    conn: &Connection,
    name: &str,
    text: &str,
) -> Result<Vec<PartitionHour>, WarehouseError> {
    let raw = rows(conn, name, text, [], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?))
    })?;
    raw.into_iter()
        .map(|(date, hour)| {
            partition_hour(&date, hour).ok_or_else(|| WarehouseError::Query {
                query: name.to_string(),
                message: format!("invalid partition {date} hour {hour} in the state tables"),
            })
        })
        .collect()
}

/// Which partition each dimension's current state came from, by table name.
pub fn dimension_sources(
    conn: &Connection,
    text: &str,
) -> Result<BTreeMap<String, PartitionHour>, WarehouseError> {
    let name = "state/dimension_sources.sql";
    let raw = rows(conn, name, text, [], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i32>(2)?,
        ))
    })?;
    let mut sources = BTreeMap::new();
    for (table, date, hour) in raw {
        let hour = partition_hour(&date, hour).ok_or_else(|| WarehouseError::Query {
            query: name.to_string(),
            message: format!("invalid partition {date} hour {hour} for {table}"),
        })?;
        sources.insert(table, hour);
    }
    Ok(sources)
}

/// The five leading parameters of every `analytics/*.sql`: dates, category, state, store.
fn slice(filter: &AnalyticsFilter) -> [Option<String>; 5] {
    let (from, to) = filter.dates.bounds();
    [
        from,
        to,
        filter.category.clone(),
        filter.state.clone(),
        filter.store_id.clone(),
    ]
}

pub fn sales_by_category(
    conn: &Connection,
    filter: &AnalyticsFilter,
) -> Result<Vec<CategorySales>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/sales_by_category.sql",
        sql::analytics::SALES_BY_CATEGORY,
        duckdb::params![from, to, category, state, store],
        |r| {
            Ok(CategorySales {
                date: r.get(0)?,
                category: r.get(1)?,
                units: r.get(2)?,
                revenue_cents: r.get(3)?,
            })
        },
    )
}

pub fn sales_by_hour(
    conn: &Connection,
    filter: &AnalyticsFilter,
) -> Result<Vec<HourlySales>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/sales_by_hour.sql",
        sql::analytics::SALES_BY_HOUR,
        duckdb::params![from, to, category, state, store],
        |r| {
            Ok(HourlySales {
                date: r.get(0)?,
                hour: r.get::<_, i32>(1)?.clamp(0, 23) as u8,
                category: r.get(2)?,
                units: r.get(3)?,
                revenue_cents: r.get(4)?,
            })
        },
    )
}

pub fn revenue_by_store(
    conn: &Connection,
    filter: &AnalyticsFilter,
) -> Result<Vec<StoreRevenue>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/revenue_by_store.sql",
        sql::analytics::REVENUE_BY_STORE,
        duckdb::params![from, to, category, state, store],
        |r| {
            Ok(StoreRevenue {
                state: r.get(0)?,
                store_id: r.get(1)?,
                store_name: r.get(2)?,
                city: r.get(3)?,
                baskets: r.get(4)?,
                units: r.get(5)?,
                revenue_cents: r.get(6)?,
            })
        },
    )
}

pub fn top_products(
    conn: &Connection,
    filter: &AnalyticsFilter,
    limit: u32,
) -> Result<Vec<ProductSales>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/top_products.sql",
        sql::analytics::TOP_PRODUCTS,
        duckdb::params![from, to, category, state, store, i64::from(limit)],
        |r| {
            Ok(ProductSales {
                product_id: r.get(0)?,
                name: r.get(1)?,
                category: r.get(2)?,
                units: r.get(3)?,
                revenue_cents: r.get(4)?,
            })
        },
    )
}

pub fn stock_by_hour(
    conn: &Connection,
    filter: &AnalyticsFilter,
) -> Result<Vec<HourlyStock>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/stock_by_hour.sql",
        sql::analytics::STOCK_BY_HOUR,
        duckdb::params![from, to, category, state, store],
        |r| {
            Ok(HourlyStock {
                date: r.get(0)?,
                hour: r.get::<_, i32>(1)?.clamp(0, 23) as u8,
                stockouts: r.get(2)?,
                negative_stock: r.get(3)?,
                alerts: r.get(4)?,
            })
        },
    )
}

pub fn basket_stats(
    conn: &Connection,
    filter: &AnalyticsFilter,
) -> Result<Vec<BasketStats>, WarehouseError> {
    let [from, to, category, state, store] = slice(filter);
    rows(
        conn,
        "analytics/basket_stats.sql",
        sql::analytics::BASKET_STATS,
        duckdb::params![from, to, category, state, store],
        |r| {
            Ok(BasketStats {
                date: r.get(0)?,
                baskets: r.get(1)?,
                lines: r.get(2)?,
                units: r.get(3)?,
                revenue_cents: r.get(4)?,
                avg_basket_cents: r.get(5)?,
                avg_units: r.get(6)?,
            })
        },
    )
}
