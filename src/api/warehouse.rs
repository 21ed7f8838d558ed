//! `POST /bq/refresh` and the analytics over the warehouse's managed tables: one handler and
//! route per query of `warehouse::analytics`, from its declaration.

use super::error::AppError;
use super::generate::JobAccepted;
use crate::app::AppState;
use crate::generate::World;
use crate::jobs::JobView;
use crate::model::parse_date;
use crate::warehouse::analytics::{
    self, for_each_query, AnalyticsParams, EachQuery, RequestParams,
};
use crate::warehouse::{AnalyticsFilter, DateFilter, Warehouse};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
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
    /// Minutes before now a stream query looks back (1-1440, default 10).
    pub minutes: Option<u32>,
    /// Days in each compared period, for period-over-period queries (1-90, default 7).
    pub days: Option<u32>,
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
    AppError::internal(&crate::error_chain(&e))
}

/// `GET Q::PATH`: the query's rows as JSON, for every analytics query alike. Its own
/// parameters are read first (a bad `limit` is named before a bad filter).
async fn query_rows<Q: analytics::AnalyticsQuery>(
    State(app): State<AppState>,
    q: AnalyticsQueryResult,
) -> Result<Json<Vec<Q::Row>>, AppError> {
    let q = q?.0;
    let request = RequestParams {
        limit: q.limit,
        minutes: q.minutes,
        days: q.days,
    };
    let params = Q::Params::from_request(&request)
        .map_err(|e| AppError::bad_request("invalid_query", e.message).with_field(e.field))?;
    let filter = q.analytics_filter(&app.world)?;
    analytics::run::<Q, _>(&*warehouse(&app)?, &filter, &params)
        .await
        .map(Json)
        .map_err(failed)
}

/// The route of every analytics query (`analytics::for_each_query`).
pub(super) fn analytics_routes() -> Router<AppState> {
    struct Routes(Router<AppState>);
    impl EachQuery for Routes {
        fn query<Q: analytics::AnalyticsQuery>(&mut self) {
            let routes = std::mem::take(&mut self.0);
            self.0 = routes.route(Q::PATH, get(query_rows::<Q>));
        }
    }
    let mut routes = Routes(Router::new());
    for_each_query(&mut routes);
    routes.0
}
