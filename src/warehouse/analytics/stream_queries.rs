//! The analytics of the stream tables: what landed in the last minutes (`StreamWindow`,
//! counted back from the warehouse's clock), each event once however often it was delivered.
//! An event lands at its `publish_time` (else its `event_time`). The filter's dates are
//! landing dates; its state and store keep only events of a store (orders, inventory
//! changes); its category narrows nothing (one event spans categories). Times are UTC text,
//! `YYYY-MM-DDTHH:MM:SSZ`.

use super::{analytics_sql, AnalyticsQuery, AnalyticsSql, Cells, StreamWindow};
use crate::warehouse::WarehouseError;
use serde::Serialize;
use utoipa::ToSchema;

/// Events landed per type per 10-second bucket (types `order`, `inventory`,
/// `user_activity`, `dead_letter`), ordered by bucket then type. Empty buckets have no row.
pub struct StreamRates;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StreamRate {
    /// The bucket's first second.
    pub bucket_start: String,
    pub event_type: String,
    pub events: i64,
    /// `events / 10`.
    pub per_second: f64,
}

impl AnalyticsQuery for StreamRates {
    const NAME: &'static str = "stream_rates";
    const PATH: &'static str = "/analytics/stream-rates";
    const DESCRIPTION: &'static str =
        "Events landed per type per 10-second bucket over the last minutes";
    const SQL: AnalyticsSql = analytics_sql!("stream_rates");
    type Params = StreamWindow;
    type Row = StreamRate;

    fn read(c: &Cells<'_>) -> Result<StreamRate, WarehouseError> {
        Ok(StreamRate {
            bucket_start: c.text(0)?,
            event_type: c.text(1)?,
            events: c.int(2)?,
            per_second: c.float(3)?,
        })
    }
}

/// Orders and their revenue per minute of event time (a late order counts in the minute it
/// happened), of the orders landed in the window, ordered by minute.
pub struct OrdersPerMinute;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MinuteOrders {
    pub minute: String,
    pub orders: i64,
    pub revenue_cents: i64,
}

impl AnalyticsQuery for OrdersPerMinute {
    const NAME: &'static str = "orders_per_minute";
    const PATH: &'static str = "/analytics/orders-per-minute";
    const DESCRIPTION: &'static str = "Streamed orders and their revenue (cents) per minute";
    const SQL: AnalyticsSql = analytics_sql!("orders_per_minute");
    type Params = StreamWindow;
    type Row = MinuteOrders;

    fn read(c: &Cells<'_>) -> Result<MinuteOrders, WarehouseError> {
        Ok(MinuteOrders {
            minute: c.text(0)?,
            orders: c.int(1)?,
            revenue_cents: c.int(2)?,
        })
    }
}

/// The shopping funnel's five steps in order: `page_view`, `product_view`, `add_to_cart`,
/// `checkout` (user activity) and `purchase` (orders), every step present.
pub struct ActivityFunnel;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelStep {
    /// 1 to 5.
    pub step_index: i64,
    pub step: String,
    pub events: i64,
    /// `events` over the previous step's; none for the first step or after a step of zero.
    pub conversion: Option<f64>,
}

impl AnalyticsQuery for ActivityFunnel {
    const NAME: &'static str = "activity_funnel";
    const PATH: &'static str = "/analytics/activity-funnel";
    const DESCRIPTION: &'static str =
        "The funnel page view, product view, add to cart, checkout, purchase: counts and conversion";
    const SQL: AnalyticsSql = analytics_sql!("activity_funnel");
    type Params = StreamWindow;
    type Row = FunnelStep;

    fn read(c: &Cells<'_>) -> Result<FunnelStep, WarehouseError> {
        Ok(FunnelStep {
            step_index: c.int(0)?,
            step: c.text(1)?,
            events: c.int(2)?,
            conversion: c.opt_float(3)?,
        })
    }
}

/// Dead letters per reason, most first.
pub struct DeadLettersByReason;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeadLetterReason {
    pub reason: String,
    pub dead_letters: i64,
    /// When the newest of them was published.
    pub last_seen: String,
}

impl AnalyticsQuery for DeadLettersByReason {
    const NAME: &'static str = "dead_letters_by_reason";
    const PATH: &'static str = "/analytics/dead-letters-by-reason";
    const DESCRIPTION: &'static str = "Dead letters per reason over the last minutes";
    const SQL: AnalyticsSql = analytics_sql!("dead_letters_by_reason");
    type Params = StreamWindow;
    type Row = DeadLetterReason;

    fn read(c: &Cells<'_>) -> Result<DeadLetterReason, WarehouseError> {
        Ok(DeadLetterReason {
            reason: c.text(0)?,
            dead_letters: c.int(1)?,
            last_seen: c.text(2)?,
        })
    }
}

/// Landing latency (`publish_time - event_time`) per type and minute of landing, ordered by
/// minute then type.
pub struct LandingLatency;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MinuteLatency {
    pub minute: String,
    pub event_type: String,
    pub events: i64,
    /// Nearest rank: the smallest latency with half of the minute's at or below it.
    pub p50_ms: i64,
    pub p95_ms: i64,
    pub max_ms: i64,
}

impl AnalyticsQuery for LandingLatency {
    const NAME: &'static str = "landing_latency";
    const PATH: &'static str = "/analytics/landing-latency";
    const DESCRIPTION: &'static str =
        "Latency from event time to landing (ms), p50/p95/max per type and minute";
    const SQL: AnalyticsSql = analytics_sql!("landing_latency");
    type Params = StreamWindow;
    type Row = MinuteLatency;

    fn read(c: &Cells<'_>) -> Result<MinuteLatency, WarehouseError> {
        Ok(MinuteLatency {
            minute: c.text(0)?,
            event_type: c.text(1)?,
            events: c.int(2)?,
            p50_ms: c.int(3)?,
            p95_ms: c.int(4)?,
            max_ms: c.int(5)?,
        })
    }
}

/// Events (orders and inventory changes) per store in the window and in the window before it,
/// ordered by store: a store gone dark shows 0 beside what it sent before.
pub struct EventsByStore;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreEvents {
    pub store_id: String,
    pub events: i64,
    /// In the window of the same length before.
    pub previous_events: i64,
    pub last_seen: String,
}

impl AnalyticsQuery for EventsByStore {
    const NAME: &'static str = "events_by_store";
    const PATH: &'static str = "/analytics/events-by-store";
    const DESCRIPTION: &'static str =
        "Streamed events per store over the last minutes and the minutes before";
    const SQL: AnalyticsSql = analytics_sql!("events_by_store");
    type Params = StreamWindow;
    type Row = StoreEvents;

    fn read(c: &Cells<'_>) -> Result<StoreEvents, WarehouseError> {
        Ok(StoreEvents {
            store_id: c.text(0)?,
            events: c.int(1)?,
            previous_events: c.int(2)?,
            last_seen: c.text(3)?,
        })
    }
}
