//! `POST /bq/refresh` and the analytics over the warehouse's managed tables.

use super::error::AppError;
use super::generate::JobAccepted;
use crate::app::AppState;
use crate::generate::World;
use crate::jobs::JobView;
use crate::model::parse_date;
use crate::warehouse::{
    AnalyticsFilter, BasketStats, CategorySales, DateFilter, HourlySales, HourlyStock,
    ProductSales, StoreRevenue, Warehouse,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefreshQuery {
    /// Wait for the refresh to end (up to 50 s) and answer with its report.
    #[serde(default)]
    pub wait: bool,
}

/// How long `?wait=true` waits before answering 202 with the job instead.
const WAIT_AT_MOST: Duration = Duration::from_secs(50);

#[utoipa::path(post, path = "/bq/refresh", tag = "warehouse", params(RefreshQuery),
    responses(
        (status = 200, description = "With wait=true: the finished job, its result the refresh report (rows merged per table, hours loaded, watermark, failures)", body = JobView),
        (status = 202, description = "Refresh started (or joined)", body = JobAccepted),
        (status = 400, description = "A query string that does not parse (wait is true or false)", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 429, description = "Too many jobs running", body = super::error::ErrorBody),
        (status = 503, description = "This build has no warehouse", body = super::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn refresh(
    State(app): State<AppState>,
    query: Result<Query<RefreshQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query?;
    let (job, existing) = crate::service::start_refresh(&app.0)?.ok_or_else(no_warehouse)?;
    if query.wait {
        let deadline = tokio::time::Instant::now() + WAIT_AT_MOST;
        while !job.state().is_finished() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if job.state().is_finished() {
            return Ok((StatusCode::OK, Json(job.view())).into_response());
        }
    }
    Ok(JobAccepted::response(&job, existing).into_response())
}

fn no_warehouse() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "no_warehouse",
        "this build has no warehouse (built without the duckdb feature)",
    )
}

/// Which rows to report: one `date`, or a `from`/`to` range (inclusive), or every date;
/// optionally one category, state or store.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    /// One date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// First date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last date, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only this product category (as in the catalog, e.g. `Grocery`).
    pub category: Option<String>,
    /// Only stores in this state (two letters, e.g. `CA`).
    pub state: Option<String>,
    /// Only this store (e.g. `S0001`).
    pub store_id: Option<String>,
    /// Rows to return, for top lists (1-1000, default 10).
    pub limit: Option<u32>,
}

impl AnalyticsQuery {
    /// The validated filter: dates well-formed and in order; category, state and store known
    /// in this world (the lake holds only its data).
    pub fn analytics_filter(&self, world: &World) -> Result<AnalyticsFilter, AppError> {
        let dates = self.filter()?;
        let category = known(
            "category",
            &self.category,
            crate::generate::reference::CATEGORIES
                .iter()
                .map(|c| c.name),
        )?;
        let state = known("state", &self.state, world.stores.iter().map(|s| s.state))?;
        let store_id = known(
            "store_id",
            &self.store_id,
            world.stores.iter().map(|s| s.id.as_str()),
        )?;
        Ok(AnalyticsFilter {
            dates,
            category,
            state,
            store_id,
        })
    }

    /// The `limit` of top lists: 1-1000, 10 when absent.
    pub fn top_limit(&self) -> Result<u32, AppError> {
        let limit = self.limit.unwrap_or(10);
        if !(1..=1000).contains(&limit) {
            return Err(
                AppError::bad_request("invalid_query", "limit must be from 1 to 1000")
                    .with_field("limit"),
            );
        }
        Ok(limit)
    }

    fn filter(&self) -> Result<DateFilter, AppError> {
        let date = |field: &str, v: &Option<String>| -> Result<_, AppError> {
            v.as_deref()
                .map(|s| {
                    parse_date(s).map_err(|e| {
                        AppError::bad_request("invalid_date", e.to_string()).with_field(field)
                    })
                })
                .transpose()
        };
        if let Some(d) = date("date", &self.date)? {
            if self.from.is_some() || self.to.is_some() {
                return Err(AppError::bad_request(
                    "invalid_query",
                    "give date, or from and to, not both",
                )
                .with_field("date"));
            }
            return Ok(DateFilter::day(d));
        }
        let (from, to) = (date("from", &self.from)?, date("to", &self.to)?);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_range",
                    format!("from {f} is after to {t}"),
                )
                .with_field("to"));
            }
        }
        Ok(DateFilter { from, to })
    }
}

/// `Some(value)` when `value` is one of `allowed`, `None` when absent, else a 400
/// naming the field (the message lists a few allowed values, never the whole set).
fn known<'a>(
    field: &str,
    value: &Option<String>,
    allowed: impl Iterator<Item = &'a str>,
) -> Result<Option<String>, AppError> {
    let Some(v) = value.as_deref() else {
        return Ok(None);
    };
    let mut examples: Vec<&str> = allowed.collect();
    if examples.contains(&v) {
        return Ok(Some(v.to_string()));
    }
    examples.sort_unstable();
    examples.dedup();
    let shown: String = v.chars().take(40).collect();
    let more = if examples.len() > 8 { ", ..." } else { "" };
    examples.truncate(8);
    Err(AppError::bad_request(
        "invalid_filter",
        format!(
            "unknown {field} '{shown}': expected one of {}{more}",
            examples.join(", ")
        ),
    )
    .with_field(field))
}

type AnalyticsQueryResult = Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>;

pub(super) fn warehouse(app: &AppState) -> Result<Arc<dyn Warehouse>, AppError> {
    app.warehouse.clone().ok_or_else(no_warehouse)
}

pub(super) fn failed(e: crate::warehouse::WarehouseError) -> AppError {
    AppError::internal(&e)
}

#[utoipa::path(get, path = "/analytics/sales-by-category", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "Units and revenue (cents) per date and category", body = [CategorySales]),
              (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn sales_by_category(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<CategorySales>>, AppError> {
    let filter = q?.0.analytics_filter(&app.world)?;
    warehouse(&app)?
        .sales_by_category(filter)
        .await
        .map(Json)
        .map_err(failed)
}

#[utoipa::path(get, path = "/analytics/sales-by-hour", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "Units and revenue (cents) per loaded hour and category", body = [HourlySales]),
              (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn sales_by_hour(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<HourlySales>>, AppError> {
    let filter = q?.0.analytics_filter(&app.world)?;
    warehouse(&app)?
        .sales_by_hour(filter)
        .await
        .map(Json)
        .map_err(failed)
}

#[utoipa::path(get, path = "/analytics/revenue-by-store", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "Revenue per store, by state", body = [StoreRevenue]),
              (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn revenue_by_store(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<StoreRevenue>>, AppError> {
    let filter = q?.0.analytics_filter(&app.world)?;
    warehouse(&app)?
        .revenue_by_store(filter)
        .await
        .map(Json)
        .map_err(failed)
}

#[utoipa::path(get, path = "/analytics/top-products", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "The products with the most revenue", body = [ProductSales]),
              (status = 400, description = "Malformed date or limit, or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn top_products(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<ProductSales>>, AppError> {
    let q = q?.0;
    let limit = q.top_limit()?;
    let filter = q.analytics_filter(&app.world)?;
    warehouse(&app)?
        .top_products(filter, limit)
        .await
        .map(Json)
        .map_err(failed)
}

#[utoipa::path(get, path = "/analytics/stock-by-hour", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "Stock-outs and negative-stock alerts per hour", body = [HourlyStock]),
              (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn stock_by_hour(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<HourlyStock>>, AppError> {
    let filter = q?.0.analytics_filter(&app.world)?;
    warehouse(&app)?
        .stock_by_hour(filter)
        .await
        .map(Json)
        .map_err(failed)
}

#[utoipa::path(get, path = "/analytics/basket-stats", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "Baskets and average basket per date", body = [BasketStats]),
              (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody)))]
pub async fn basket_stats(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<BasketStats>>, AppError> {
    let filter = q?.0.analytics_filter(&app.world)?;
    warehouse(&app)?
        .basket_stats(filter)
        .await
        .map(Json)
        .map_err(failed)
}
