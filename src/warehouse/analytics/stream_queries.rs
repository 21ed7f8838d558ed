//! The analytics of the stream tables: what landed in the last minutes (`StreamWindow`,
//! counted back from the warehouse's clock), each event once however often it was delivered.
//! An event lands at its `publish_time` (else its `event_time`). The filter's dates are
//! landing dates; its state and store keep only events of a store (orders, inventory
//! changes); its category narrows nothing (one event spans categories). Times are UTC text,
//! `YYYY-MM-DDTHH:MM:SSZ`.

use super::{analytics_query, StreamWindow};
use serde::Serialize;
use utoipa::ToSchema;

analytics_query! {
    /// Events landed per type per 10-second bucket (types `order`, `inventory`,
    /// `user_activity`, `dead_letter`), ordered by bucket then type. Empty buckets have no row.
    pub struct StreamRates = "stream_rates" at "/analytics/stream-rates", params StreamWindow,
        "Events landed per type per 10-second bucket over the last minutes";
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct StreamRate {
        /// The bucket's first second.
        pub bucket_start: String,
        pub event_type: String,
        pub events: i64,
        /// `events / 10`.
        pub per_second: f64,
    }
}

analytics_query! {
    /// Orders and their revenue per minute of event time (a late order counts in the minute it
    /// happened), of the orders landed in the window, ordered by minute.
    pub struct OrdersPerMinute = "orders_per_minute" at "/analytics/orders-per-minute", params StreamWindow,
        "Streamed orders and their revenue (cents) per minute";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct MinuteOrders {
        pub minute: String,
        pub orders: i64,
        pub revenue_cents: i64,
    }
}

analytics_query! {
    /// The shopping funnel's five steps in order: `page_view`, `product_view`, `add_to_cart`,
    /// `checkout` (user activity) and `purchase` (orders), every step present.
    pub struct ActivityFunnel = "activity_funnel" at "/analytics/activity-funnel", params StreamWindow,
        "The funnel page view, product view, add to cart, checkout, purchase: counts and conversion";
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct FunnelStep {
        /// 1 to 5.
        pub step_index: i64,
        pub step: String,
        pub events: i64,
        /// `events` over the previous step's; none for the first step or after a step of zero.
        pub conversion: Option<f64>,
    }
}

analytics_query! {
    /// Dead letters per reason, most first.
    pub struct DeadLettersByReason = "dead_letters_by_reason" at "/analytics/dead-letters-by-reason", params StreamWindow,
        "Dead letters per reason over the last minutes";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct DeadLetterReason {
        pub reason: String,
        pub dead_letters: i64,
        /// When the newest of them was published.
        pub last_seen: String,
    }
}

analytics_query! {
    /// Landing latency (`publish_time - event_time`) per type and minute of landing, ordered by
    /// minute then type.
    pub struct LandingLatency = "landing_latency" at "/analytics/landing-latency", params StreamWindow,
        "Latency from event time to landing (ms), p50/p95/max per type and minute";
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
}

analytics_query! {
    /// Events (orders and inventory changes) per store in the window and in the window before it,
    /// ordered by store: a store gone dark shows 0 beside what it sent before.
    pub struct EventsByStore = "events_by_store" at "/analytics/events-by-store", params StreamWindow,
        "Streamed events per store over the last minutes and the minutes before";
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
    pub struct StoreEvents {
        pub store_id: String,
        pub events: i64,
        /// In the window of the same length before.
        pub previous_events: i64,
        pub last_seen: String,
    }
}
