//! What the dashboard's Stream section shows: the stream analytics over the last minutes,
//! read through the `Warehouse` trait (the same queries as `/analytics/stream-rates` and the
//! others), over every store: the page's filters are for the loaded hours, whose dates the
//! stream's landing times do not share.

use crate::api::AppError;
use crate::app::AppState;
use crate::warehouse::analytics::{
    self, ActivityFunnel, DeadLetterReason, DeadLettersByReason, EventsByStore, FunnelStep,
    LandingLatency, MinuteLatency, MinuteOrders, OrdersPerMinute, StoreEvents, StreamRate,
    StreamRates, StreamWindow,
};
use crate::warehouse::AnalyticsFilter;
use serde::Serialize;
use std::collections::BTreeMap;

/// The stream types in the order the panels list them.
pub const STREAM_TYPES: [&str; 4] = ["order", "inventory", "user_activity", "dead_letter"];

/// The stream analytics of the last `minutes`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamPanels {
    /// False without a warehouse.
    pub warehouse: bool,
    pub minutes: u32,
    /// Per type per 10-second bucket over the window.
    pub rates: Vec<StreamRate>,
    /// Per type per 10-second bucket over the last minute: the current rates.
    pub last_minute: Vec<StreamRate>,
    pub orders: Vec<MinuteOrders>,
    pub funnel: Vec<FunnelStep>,
    pub dead_letters: Vec<DeadLetterReason>,
    pub latency: Vec<MinuteLatency>,
    /// Every store of the world, those without events at zero, ordered by store id.
    pub stores: Vec<StoreEvents>,
}

impl StreamPanels {
    /// Runs the stream queries at once; without a warehouse, empty panels.
    pub async fn load(app: &AppState, window: StreamWindow) -> Result<Self, AppError> {
        let Some(w) = app.warehouse.clone() else {
            return Ok(Self::default());
        };
        let all = AnalyticsFilter::default();
        let w = &*w;
        let (rates, last_minute, orders, funnel, dead_letters, latency, stores) = tokio::try_join!(
            analytics::run::<StreamRates, _>(w, &all, &window),
            analytics::run::<StreamRates, _>(w, &all, &StreamWindow(1)),
            analytics::run::<OrdersPerMinute, _>(w, &all, &window),
            analytics::run::<ActivityFunnel, _>(w, &all, &window),
            analytics::run::<DeadLettersByReason, _>(w, &all, &window),
            analytics::run::<LandingLatency, _>(w, &all, &window),
            analytics::run::<EventsByStore, _>(w, &all, &window),
        )
        .map_err(|e| AppError::internal(&crate::error_chain(&e)))?;
        let world_stores = app.world.stores.iter().map(|s| s.id.as_str());
        Ok(Self {
            warehouse: true,
            minutes: window.0,
            rates,
            last_minute,
            orders,
            funnel,
            dead_letters,
            latency,
            stores: with_every_store(stores, world_stores),
        })
    }

    /// Nothing landed in the window nor in the one before: no charts to draw.
    pub fn is_quiet(&self) -> bool {
        self.rates.is_empty()
            && self
                .stores
                .iter()
                .all(|s| s.events == 0 && s.previous_events == 0)
    }

    /// Events per type in the last minute (every type present, 0 for none).
    pub fn last_minute_events(&self) -> BTreeMap<&'static str, i64> {
        per_type(&self.last_minute)
    }

    /// Events per type in the whole window (every type present, 0 for none).
    pub fn window_events(&self) -> BTreeMap<&'static str, i64> {
        per_type(&self.rates)
    }
}

fn per_type(rows: &[StreamRate]) -> BTreeMap<&'static str, i64> {
    STREAM_TYPES
        .iter()
        .map(|t| {
            let n = rows
                .iter()
                .filter(|r| r.event_type == *t)
                .map(|r| r.events)
                .sum();
            (*t, n)
        })
        .collect()
}

/// `rows` with a zero row for each of `stores` that has none, ordered by store id: a store
/// with nothing in either window still shows.
pub fn with_every_store<'a>(
    rows: Vec<StoreEvents>,
    stores: impl Iterator<Item = &'a str>,
) -> Vec<StoreEvents> {
    let mut by_id: BTreeMap<String, StoreEvents> =
        rows.into_iter().map(|r| (r.store_id.clone(), r)).collect();
    for id in stores {
        by_id.entry(id.to_string()).or_insert_with(|| StoreEvents {
            store_id: id.to_string(),
            events: 0,
            previous_events: 0,
            last_seen: String::new(),
        });
    }
    by_id.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_shows_and_types_without_events_count_zero() {
        let seen = StoreEvents {
            store_id: "S0002".into(),
            events: 0,
            previous_events: 7,
            last_seen: "2026-12-05T10:00:00Z".into(),
        };
        let rows = with_every_store(vec![seen.clone()], ["S0003", "S0002", "S0001"].into_iter());
        let ids: Vec<&str> = rows.iter().map(|r| r.store_id.as_str()).collect();
        assert_eq!(ids, ["S0001", "S0002", "S0003"]);
        assert_eq!(rows[1], seen);
        assert_eq!(rows[0].events + rows[0].previous_events, 0);

        let panels = StreamPanels {
            last_minute: vec![StreamRate {
                bucket_start: "2026-12-05T10:00:00Z".into(),
                event_type: "order".into(),
                events: 12,
                per_second: 1.2,
            }],
            ..StreamPanels::default()
        };
        let counts = panels.last_minute_events();
        assert_eq!(counts["order"], 12);
        assert_eq!(counts.len(), STREAM_TYPES.len());
        assert_eq!(counts["dead_letter"], 0);
    }
}
