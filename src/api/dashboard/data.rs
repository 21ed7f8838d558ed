//! What the dashboard shows, read through the `Warehouse` trait only (so it works on every
//! warehouse), and the pipeline's state from the app. Served as JSON by `/dashboard/data` and
//! rendered as HTML by `page.rs`.

use crate::api::StatusResponse;
use crate::app::AppState;
use crate::jobs::{JobState, JobView};
use crate::model::PartitionHour;
use crate::warehouse::analytics::{
    self, CategoryChange, CategoryPeriods, HeatmapCell, PeriodDays, SalesHeatmap, StoreHourKpi,
    StoreHourKpis,
};
use crate::warehouse::analytics::{
    BasketStatsQuery, RevenueByStore, RowLimit, RunAnalytics, SalesByHour, StockByHour, TopProducts,
};
use crate::warehouse::{
    AnalyticsFilter, BasketStats, CategorySales, HourlySales, HourlyStock, ProductSales,
    StoreRevenue, WarehouseError,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Products in the top list.
pub const TOP_PRODUCTS: u32 = 10;

/// The analytics of one filter.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Charts {
    /// False before the first refresh has loaded anything (or without a warehouse).
    pub warehouse_loaded: bool,
    /// Per date and category, summed from `hourly`.
    pub daily: Vec<CategorySales>,
    pub hourly: Vec<HourlySales>,
    pub stores: Vec<StoreRevenue>,
    pub products: Vec<ProductSales>,
    pub stock: Vec<HourlyStock>,
    pub baskets: Vec<BasketStats>,
    /// Seed 001's KPIs per store and hour of day.
    pub store_hours: Vec<StoreHourKpi>,
    /// Seed 002's weekday x hour sales.
    pub heatmap: Vec<HeatmapCell>,
    /// Seed 002's period over period, the last 7 days against the 7 before.
    pub category_change: Vec<CategoryPeriods>,
}

impl Charts {
    /// Reads everything at once (the queries run concurrently).
    pub async fn load(
        app: &AppState,
        filter: &AnalyticsFilter,
    ) -> Result<Self, crate::api::AppError> {
        let Some(w) = app.warehouse.clone() else {
            return Ok(Self::default());
        };
        let run = async {
            let Some(_) = w.watermark().await? else {
                return Ok::<_, WarehouseError>(Self::default());
            };
            let (hourly, stores, products, stock, baskets) = tokio::try_join!(
                w.analytics::<SalesByHour>(filter, &()),
                w.analytics::<RevenueByStore>(filter, &()),
                w.analytics::<TopProducts>(filter, &RowLimit(TOP_PRODUCTS)),
                w.analytics::<StockByHour>(filter, &()),
                w.analytics::<BasketStatsQuery>(filter, &()),
            )?;
            let (store_hours, heatmap, category_change) = tokio::try_join!(
                analytics::run::<StoreHourKpis, _>(&*w, filter, &()),
                analytics::run::<SalesHeatmap, _>(&*w, filter, &()),
                analytics::run::<CategoryChange, _>(&*w, filter, &PeriodDays(7)),
            )?;
            Ok(Self {
                warehouse_loaded: true,
                daily: daily(&hourly),
                hourly,
                stores,
                products,
                stock,
                baskets,
                store_hours,
                heatmap,
                category_change,
            })
        };
        run.await
            .map_err(|e| crate::api::AppError::internal(&crate::error_chain(&e)))
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for b in &self.baskets {
            t.revenue_cents += b.revenue_cents;
            t.units += b.units;
            t.baskets += b.baskets;
        }
        t.alerts = self.stock.iter().map(|s| s.alerts).sum();
        t
    }

    /// Categories by revenue over the whole selection, largest first.
    pub fn categories(&self) -> Vec<String> {
        let mut revenue: BTreeMap<&str, i64> = BTreeMap::new();
        for row in &self.daily {
            *revenue.entry(&row.category).or_default() += row.revenue_cents;
        }
        let mut cats: Vec<(&str, i64)> = revenue.into_iter().collect();
        cats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        cats.into_iter().map(|(c, _)| c.to_string()).collect()
    }

    /// Revenue per state, largest first.
    pub fn states(&self) -> Vec<(String, i64)> {
        let mut by_state: BTreeMap<&str, i64> = BTreeMap::new();
        for s in &self.stores {
            *by_state.entry(&s.state).or_default() += s.revenue_cents;
        }
        let mut states: Vec<(String, i64)> = by_state
            .into_iter()
            .map(|(s, r)| (s.to_string(), r))
            .collect();
        states.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        states
    }
}

/// Sums hourly rows per date and category, ordered by date then revenue (descending), as
/// the `SalesByCategory` query orders them.
pub fn daily(hourly: &[HourlySales]) -> Vec<CategorySales> {
    let mut sums: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for h in hourly {
        let e = sums.entry((&h.date, &h.category)).or_default();
        e.0 += h.units;
        e.1 += h.revenue_cents;
    }
    let mut rows: Vec<CategorySales> = sums
        .into_iter()
        .map(|((date, category), (units, revenue_cents))| CategorySales {
            date: date.to_string(),
            category: category.to_string(),
            units,
            revenue_cents,
        })
        .collect();
    rows.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(b.revenue_cents.cmp(&a.revenue_cents))
            .then(a.category.cmp(&b.category))
    });
    rows
}

/// Sums over the selection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub revenue_cents: i64,
    pub units: i64,
    pub baskets: i64,
    pub alerts: i64,
}

/// The pipeline's state: freshness and jobs, from `/status`'s data.
#[derive(Debug, Clone, Serialize)]
pub struct Live {
    pub last_generated_hour: Option<String>,
    pub warehouse_watermark: Option<String>,
    /// Hours the warehouse is behind the lake; `None` until both are known.
    pub lag_hours: Option<i64>,
    pub warehouse: String,
    pub stream_rows: BTreeMap<String, u64>,
    /// Running jobs first (newest first), then up to 6 finished ones (newest first).
    pub jobs: Vec<JobView>,
}

impl Live {
    pub fn from_status(status: StatusResponse) -> Self {
        let hour = |s: &Option<String>| s.as_deref().and_then(|h| h.parse::<PartitionHour>().ok());
        let lag_hours = match (
            hour(&status.last_generated_hour),
            hour(&status.warehouse_watermark),
        ) {
            (Some(g), Some(w)) => Some((g.index() - w.index()).max(0)),
            _ => None,
        };
        let (mut running, mut finished): (Vec<JobView>, Vec<JobView>) = status
            .jobs
            .into_iter()
            .partition(|j| j.state == JobState::Running);
        running.reverse();
        finished.reverse();
        finished.truncate(6);
        running.extend(finished);
        Self {
            last_generated_hour: status.last_generated_hour,
            warehouse_watermark: status.warehouse_watermark,
            lag_hours,
            warehouse: status.backends.warehouse,
            stream_rows: status.warehouse_stream_rows,
            jobs: running,
        }
    }

    pub fn running(&self) -> bool {
        self.jobs.iter().any(|j| j.state == JobState::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly(date: &str, hour: u8, category: &str, units: i64, revenue_cents: i64) -> HourlySales {
        HourlySales {
            date: date.into(),
            hour,
            category: category.into(),
            units,
            revenue_cents,
        }
    }

    #[test]
    fn daily_sums_the_hours_of_each_date_and_category() {
        let rows = daily(&[
            hourly("2026-01-01", 0, "Toys", 1, 100),
            hourly("2026-01-01", 1, "Toys", 2, 250),
            hourly("2026-01-01", 1, "Grocery", 5, 300),
            hourly("2026-01-02", 0, "Grocery", 1, 10),
        ]);
        let got: Vec<(&str, &str, i64, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.date.as_str(),
                    r.category.as_str(),
                    r.units,
                    r.revenue_cents,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-01-01", "Toys", 3, 350),
                ("2026-01-01", "Grocery", 5, 300),
                ("2026-01-02", "Grocery", 1, 10),
            ]
        );
    }
}
