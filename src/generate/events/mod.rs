//! Streamed events (seeds 003/004): `order`, `inventory` and `user_activity`, generated
//! deterministically from `(seed, run key, sequence number)` against the ids of the `World`.
//!
//! - [`values`]: money in cents and RFC 3339 event times.
//! - [`pools`]: fake-based values (streets, user agents, IPs) drawn once per world.
//! - [`gen`]: the generator.
//! - [`parse`]: strict parsing and validation, shared by the subscriber and the tests.
//! - [`seed_shape`]: seeds 003 and 004's event bodies, read into these types.

pub mod gen;
mod json;
pub mod parse;
pub mod pools;
pub mod seed_shape;
pub mod values;

pub use gen::{EventGenerator, Steer};
pub use parse::{parse_event, EventError, EventErrorKind};
pub use pools::EventPools;
pub use values::{Cents, EventTime};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Version of the event JSON. Bump it when a field changes meaning or disappears; adding an
/// optional field does not need a bump.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Order,
    Inventory,
    UserActivity,
}

impl EventType {
    pub const ALL: [EventType; 3] = [
        EventType::Order,
        EventType::Inventory,
        EventType::UserActivity,
    ];

    /// The name in JSON, in message attributes and in the archive's directory names.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Order => "order",
            EventType::Inventory => "inventory",
            EventType::UserActivity => "user_activity",
        }
    }

    /// The warehouse table that holds this type's rows.
    pub fn table(self) -> &'static str {
        match self {
            EventType::Order => "order_events",
            EventType::Inventory => "inventory_events",
            EventType::UserActivity => "user_activity_events",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type '{0}': expected order, inventory or user_activity")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_id: String,
    pub product_name: String,
    pub quantity: u32,
    pub unit_price: Cents,
}

impl OrderItem {
    /// `quantity * unit_price`, or `None` on overflow (only a forged event gets there).
    pub fn line_total(&self) -> Option<Cents> {
        self.unit_price
            .0
            .checked_mul(i64::from(self.quantity))
            .map(Cents)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingAddress {
    pub street: String,
    pub city: String,
    /// Ours always carry a state and postal code; seeds 003 and 004 send neither.
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

/// An online order fulfilled by a store. `total_amount` is exactly the sum of the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub event_id: String,
    pub event_type: EventType,
    pub event_time: EventTime,
    pub schema_version: u32,
    pub order_id: String,
    pub customer_id: String,
    pub store_id: String,
    /// placed, confirmed, shipped, delivered or cancelled.
    pub status: String,
    pub items: Vec<OrderItem>,
    pub shipping_address: ShippingAddress,
    /// Ours always carry both; seeds 003 and 004 send neither (NULL in their rows).
    pub payment_method: Option<String>,
    pub currency: Option<String>,
    pub total_amount: Cents,
}

impl OrderEvent {
    /// The sum of the lines, or `None` on overflow.
    pub fn items_total(&self) -> Option<Cents> {
        self.items
            .iter()
            .try_fold(0i64, |sum, item| sum.checked_add(item.line_total()?.0))
            .map(Cents)
    }
}

/// Why stock changed. The sign of `quantity_change` follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryReason {
    Restock,
    Return,
    Sale,
    Damage,
    Shrink,
    Adjustment,
}

impl InventoryReason {
    pub const ALL: [InventoryReason; 6] = [
        InventoryReason::Restock,
        InventoryReason::Return,
        InventoryReason::Sale,
        InventoryReason::Damage,
        InventoryReason::Shrink,
        InventoryReason::Adjustment,
    ];

    /// Whether `change` has the sign this reason requires: stock comes in on restock and
    /// return, goes out on sale, damage and shrink; a count adjustment goes either way. A change
    /// of zero is never an event.
    pub fn allows(self, change: i32) -> bool {
        match self {
            InventoryReason::Restock | InventoryReason::Return => change > 0,
            InventoryReason::Sale | InventoryReason::Damage | InventoryReason::Shrink => change < 0,
            InventoryReason::Adjustment => change != 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InventoryReason::Restock => "restock",
            InventoryReason::Return => "return",
            InventoryReason::Sale => "sale",
            InventoryReason::Damage => "damage",
            InventoryReason::Shrink => "shrink",
            InventoryReason::Adjustment => "adjustment",
        }
    }
}

/// A change of stock of one product in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEvent {
    pub event_id: String,
    pub event_type: EventType,
    pub event_time: EventTime,
    pub schema_version: u32,
    pub store_id: String,
    pub product_id: String,
    pub quantity_change: i32,
    pub reason: InventoryReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    PageView,
    Search,
    ProductView,
    AddToCart,
    RemoveFromCart,
    Checkout,
    Login,
    Logout,
}

impl ActivityType {
    pub const ALL: [ActivityType; 8] = [
        ActivityType::PageView,
        ActivityType::Search,
        ActivityType::ProductView,
        ActivityType::AddToCart,
        ActivityType::RemoveFromCart,
        ActivityType::Checkout,
        ActivityType::Login,
        ActivityType::Logout,
    ];

    /// The name in JSON (`page_view`, `add_to_cart`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::PageView => "page_view",
            ActivityType::Search => "search",
            ActivityType::ProductView => "product_view",
            ActivityType::AddToCart => "add_to_cart",
            ActivityType::RemoveFromCart => "remove_from_cart",
            ActivityType::Checkout => "checkout",
            ActivityType::Login => "login",
            ActivityType::Logout => "logout",
        }
    }

    /// Activities about one product carry its `product_id`; the others carry none.
    pub fn needs_product(self) -> bool {
        matches!(
            self,
            ActivityType::ProductView | ActivityType::AddToCart | ActivityType::RemoveFromCart
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetadata {
    pub user_agent: String,
    pub ip_address: String,
    /// desktop, mobile or tablet, read from the user agent.
    pub device: String,
}

/// A shopper's action on the web shop. Anonymous sessions have no `customer_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActivityEvent {
    pub event_id: String,
    pub event_type: EventType,
    pub event_time: EventTime,
    pub schema_version: u32,
    pub session_id: String,
    pub customer_id: Option<String>,
    pub activity_type: ActivityType,
    /// Ours always name the page; seeds 003 and 004 do not (NULL in their rows).
    pub page: Option<String>,
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub search_query: Option<String>,
    pub metadata: SessionMetadata,
}

/// One example event of a type (`GET /sample/{type}`), stamped `at`. Deterministic for a
/// world; its ids carry the run key `sample`, so they never collide with a scenario run's.
pub fn sample_event(pools: &std::sync::Arc<EventPools>, ty: EventType, at: EventTime) -> Event {
    EventGenerator::new(pools.clone(), "sample", &[ty]).event_of(ty, 0, at)
}

/// Any event. Serializes as the flat JSON object of its type (no wrapper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Event {
    Order(OrderEvent),
    Inventory(InventoryEvent),
    UserActivity(UserActivityEvent),
}

impl Event {
    pub fn event_type(&self) -> EventType {
        match self {
            Event::Order(_) => EventType::Order,
            Event::Inventory(_) => EventType::Inventory,
            Event::UserActivity(_) => EventType::UserActivity,
        }
    }

    pub fn event_id(&self) -> &str {
        match self {
            Event::Order(e) => &e.event_id,
            Event::Inventory(e) => &e.event_id,
            Event::UserActivity(e) => &e.event_id,
        }
    }

    pub fn event_time(&self) -> EventTime {
        match self {
            Event::Order(e) => e.event_time,
            Event::Inventory(e) => e.event_time,
            Event::UserActivity(e) => e.event_time,
        }
    }

    /// The event as one line of JSON (no trailing newline), appended to `out`: the bytes
    /// `serde_json` makes of it, written by hand because this is the event path's hot spot.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        json::write_event(self, out);
    }

    /// The event as JSON bytes, sized up front so the write is a single allocation.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(match self {
            Event::Order(_) => 768,
            Event::Inventory(_) => 256,
            Event::UserActivity(_) => 512,
        });
        self.write_json(&mut out);
        out
    }
}
