//! `GET /dashboard`: the shop and the pipeline at a glance, served from the binary.
//!
//! The HTML is written with maud (`page.rs`, `live.rs`, `charts.rs`), which escapes every
//! value; charts are inline SVG drawn on the server (`svg.rs`); the page's one small script (`dashboard.js`,
//! bundled with `include_str!`) swaps in `/dashboard/live` every few seconds and
//! `/dashboard/charts` when the warehouse watermark moves, and `/dashboard/stream` (what
//! streamed in the last minutes: `stream.rs`) with the live panel. A Content-Security-Policy keeps
//! the page from loading or sending anything anywhere but this service. Data comes through
//! the `Warehouse` trait, so the page is the same on every warehouse.

mod bar_charts;
mod charts;
mod components;
mod data;
mod format;
mod grid_svg;
mod live;
mod page;
mod sales_charts;
mod seed_charts;
mod stream;
mod stream_data;
mod stream_time;
mod svg;

pub use data::{Charts, Live, Totals};
pub use stream_data::StreamPanels;

use super::error::AppError;
use super::warehouse::AnalyticsQuery;
use crate::app::AppState;
use crate::warehouse::analytics::StreamWindow;
use crate::warehouse::AnalyticsFilter;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The dashboard's filters, as its form sends them: empty means "all".
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// First date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last date, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only this product category (e.g. `Grocery`).
    pub category: Option<String>,
    /// Only stores in this state (e.g. `CA`).
    pub state: Option<String>,
    /// Only this store (e.g. `S0001`).
    pub store_id: Option<String>,
}

impl DashboardQuery {
    fn analytics(&self) -> AnalyticsQuery {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        AnalyticsQuery {
            from: given(&self.from),
            to: given(&self.to),
            category: given(&self.category),
            state: given(&self.state),
            store_id: given(&self.store_id),
            ..AnalyticsQuery::default()
        }
    }

    /// The query string that repeats these filters (validated ones only), `""` for none.
    fn to_query_string(&self) -> String {
        let q = self.analytics();
        let pairs: Vec<String> = [
            ("from", &q.from),
            ("to", &q.to),
            ("category", &q.category),
            ("state", &q.state),
            ("store_id", &q.store_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", url_encode(v))))
        .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

type QueryResult = Result<Query<DashboardQuery>, QueryRejection>;

/// The validated filter, or the error the JSON API would answer.
fn filter(app: &AppState, q: QueryResult) -> Result<(DashboardQuery, AnalyticsFilter), AppError> {
    let Query(q) = q?;
    let filter = q.analytics().analytics_filter(&app.world)?;
    Ok((q, filter))
}

/// No outside requests: scripts, styles and fetches from this service (inline) only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn html(status: StatusCode, body: maud::Markup) -> Response {
    let mut res = (status, body.into_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    res
}

async fn live(app: &AppState) -> Live {
    Live::from_status(super::jobs::snapshot(app).await)
}

fn form(app: &AppState, q: &DashboardQuery) -> page::Form {
    let a = q.analytics();
    let mut states: Vec<String> = app
        .world
        .stores
        .iter()
        .map(|s| s.state.to_string())
        .collect();
    states.sort_unstable();
    states.dedup();
    let mut stores: Vec<(String, String)> = app
        .world
        .stores
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                format!("{} · {} ({}, {})", s.id, s.name, s.city, s.state),
            )
        })
        .collect();
    stores.sort();
    page::Form {
        from: a.from.unwrap_or_default(),
        to: a.to.unwrap_or_default(),
        category: a.category.unwrap_or_default(),
        state: a.state.unwrap_or_default(),
        store_id: a.store_id.unwrap_or_default(),
        categories: crate::generate::reference::CATEGORIES
            .iter()
            .map(|c| c.name.to_string())
            .collect(),
        states,
        stores,
        query: q.to_query_string(),
    }
}

fn title(app: &AppState) -> String {
    format!(
        "retail-pipeline dashboard · seed {} · scale {}",
        app.config.seed, app.config.scale.name
    )
}

#[utoipa::path(get, path = "/dashboard", tag = "dashboard", params(DashboardQuery),
    responses(
        (status = 200, description = "The dashboard page (HTML with inline SVG charts; no outside assets)", content_type = "text/html"),
        (status = 400, description = "The page, showing why the filters are invalid", content_type = "text/html"),
    ))]
pub async fn dashboard(State(app): State<AppState>, q: QueryResult) -> Response {
    let live = live(&app).await;
    let stream = stream_section(&app).await;
    let live = (&live, &stream);
    match filter(&app, q) {
        Ok((q, f)) => match Charts::load(&app, &f).await {
            Ok(charts) => html(
                StatusCode::OK,
                page::page(&title(&app), &form(&app, &q), live, Ok(&charts)),
            ),
            Err(e) => html(
                e.status,
                page::page(&title(&app), &form(&app, &q), live, Err(&e.body.message)),
            ),
        },
        Err(e) => html(
            e.status,
            page::page(
                &title(&app),
                &form(&app, &DashboardQuery::default()),
                live,
                Err(&e.body.message),
            ),
        ),
    }
}

/// The Stream section's inside, or why it cannot be shown.
async fn stream_section(app: &AppState) -> maud::Markup {
    match StreamPanels::load(app, StreamWindow::DEFAULT).await {
        Ok(p) => stream::stream_fragment(&p, chrono::Utc::now().timestamp_millis()),
        Err(e) => components::error_alert(&e.body.message),
    }
}

/// `GET /dashboard/stream`: the Stream section alone, for the page's script.
pub async fn stream_fragment(State(app): State<AppState>) -> Response {
    html(StatusCode::OK, stream_section(&app).await)
}

/// `GET /dashboard/live`: the pipeline panel alone, for the page's script.
pub async fn live_fragment(State(app): State<AppState>) -> Response {
    html(StatusCode::OK, live::live_fragment(&live(&app).await))
}

/// `GET /dashboard/charts`: the charts alone, for the page's script.
pub async fn charts_fragment(State(app): State<AppState>, q: QueryResult) -> Response {
    let result = match filter(&app, q) {
        Ok((_, f)) => Charts::load(&app, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(charts) => html(StatusCode::OK, charts::charts_fragment(&charts)),
        Err(e) => html(e.status, components::error_alert(&e.body.message)),
    }
}

/// Everything the dashboard shows, as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardData {
    pub totals: Totals,
    #[schema(value_type = Object)]
    pub charts: Charts,
    #[schema(value_type = Object)]
    pub live: Live,
}

#[utoipa::path(get, path = "/dashboard/data", tag = "dashboard", params(DashboardQuery),
    responses(
        (status = 200, description = "The dashboard's data: totals, daily and hourly sales by category, stores, top products, stock, and the pipeline's state", body = DashboardData),
        (status = 400, description = "Malformed date or unknown category, state or store", body = super::error::ErrorBody),
        (status = 422, description = "from is after to", body = super::error::ErrorBody),
    ))]
pub async fn data(
    State(app): State<AppState>,
    q: QueryResult,
) -> Result<Json<DashboardData>, AppError> {
    let (_, f) = filter(&app, q)?;
    let charts = Charts::load(&app, &f).await?;
    Ok(Json(DashboardData {
        totals: charts.totals(),
        charts,
        live: live(&app).await,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_form_fields_mean_all_and_the_query_string_repeats_the_rest() {
        let q = DashboardQuery {
            from: Some("2026-01-01".into()),
            to: Some(String::new()),
            category: Some("Toys & Games".into()),
            state: Some(" ".into()),
            store_id: None,
        };
        let a = q.analytics();
        assert_eq!(a.to, None);
        assert_eq!(a.state, None);
        assert_eq!(
            q.to_query_string(),
            "?from=2026-01-01&category=Toys%20%26%20Games"
        );
        assert_eq!(DashboardQuery::default().to_query_string(), "");
    }
}
