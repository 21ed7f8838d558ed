//! Seeds 003 and 004's event shapes, read into our types. Both seeds publish the same three
//! bodies (seed 003's event generator and seed 004's sample messages; seed 004 copied seed
//! 003's contract), with no message attributes:
//!
//! | theirs | ours |
//! | --- | --- |
//! | order `order_id` | `event_id` and `order_id` |
//! | order `order_date` | `event_time` |
//! | item `price` | item `unit_price` |
//! | `shipping_address {street, city, country}` | the same, `state` and `postal_code` NULL |
//! | (no store, payment, currency) | `store_id` `""`, `payment_method` and `currency` NULL |
//! | `inventory_id` | `event_id` |
//! | `warehouse_id` | `store_id` |
//! | `timestamp` | `event_time` |
//! | `user_id` | `customer_id` |
//! | top-level `ip_address`, `user_agent` | `metadata.ip_address`, `metadata.user_agent` |
//! | `metadata.session_id` | `session_id` |
//! | `metadata.platform` | `metadata.device` |
//! | `view_product` | `product_view` (no `product_id`: theirs name none) |
//! | (user activity has no id) | `event_id` `seed-ua-` + a hash of the body |
//!
//! `schema_version` is ours (1). What cannot be mapped (a missing or mistyped field, an
//! unknown reason or activity, a total that is not the sum of the lines) is refused with the
//! same reasons as our own events, the detail naming the seed's field.

use super::parse::{body, EventError, EventErrorKind};
use super::{
    ActivityType, Cents, Event, EventTime, EventType, InventoryEvent, InventoryReason, OrderEvent,
    OrderItem, SessionMetadata, ShippingAddress, UserActivityEvent, SCHEMA_VERSION,
};
use serde::Deserialize;

/// What a seed's order carries in place of a store: it names none (seed 003's orders are
/// shipped, not sold in a store). The column is REQUIRED, so it is empty rather than NULL.
pub const SEED_ORDER_STORE: &str = "";

#[derive(Deserialize)]
struct Order {
    order_id: String,
    customer_id: String,
    order_date: EventTime,
    status: String,
    items: Vec<Item>,
    shipping_address: Address,
    total_amount: Cents,
}

#[derive(Deserialize)]
struct Item {
    product_id: String,
    product_name: String,
    quantity: u32,
    price: Cents,
}

#[derive(Deserialize)]
struct Address {
    street: String,
    city: String,
    country: String,
}

#[derive(Deserialize)]
struct Inventory {
    inventory_id: String,
    product_id: String,
    warehouse_id: String,
    quantity_change: i32,
    reason: InventoryReason,
    timestamp: EventTime,
}

#[derive(Deserialize)]
struct Activity {
    user_id: Option<String>,
    activity_type: String,
    ip_address: String,
    user_agent: String,
    timestamp: EventTime,
    metadata: Session,
}

#[derive(Deserialize)]
struct Session {
    session_id: String,
    platform: String,
}

/// Reads `data`, a seed-shaped body of type `ty`, as our event. Validation is the caller's.
pub(super) fn parse(ty: EventType, data: &[u8]) -> Result<Event, EventError> {
    let seed = |e: EventError| EventError::new(e.kind, format!("seed 003/004 {ty}: {}", e.detail));
    Ok(match ty {
        EventType::Order => Event::Order(order(body(data).map_err(seed)?)),
        EventType::Inventory => Event::Inventory(inventory(body(data).map_err(seed)?)),
        EventType::UserActivity => {
            Event::UserActivity(activity(body(data).map_err(seed)?, data).map_err(seed)?)
        }
    })
}

fn order(o: Order) -> OrderEvent {
    OrderEvent {
        event_id: o.order_id.clone(),
        event_type: EventType::Order,
        event_time: o.order_date,
        schema_version: SCHEMA_VERSION,
        order_id: o.order_id,
        customer_id: o.customer_id,
        store_id: SEED_ORDER_STORE.to_string(),
        status: o.status,
        items: o
            .items
            .into_iter()
            .map(|i| OrderItem {
                product_id: i.product_id,
                product_name: i.product_name,
                quantity: i.quantity,
                unit_price: i.price,
            })
            .collect(),
        shipping_address: ShippingAddress {
            street: o.shipping_address.street,
            city: o.shipping_address.city,
            state: None,
            postal_code: None,
            country: o.shipping_address.country,
        },
        payment_method: None,
        currency: None,
        total_amount: o.total_amount,
    }
}

fn inventory(i: Inventory) -> InventoryEvent {
    InventoryEvent {
        event_id: i.inventory_id,
        event_type: EventType::Inventory,
        event_time: i.timestamp,
        schema_version: SCHEMA_VERSION,
        store_id: i.warehouse_id,
        product_id: i.product_id,
        quantity_change: i.quantity_change,
        reason: i.reason,
    }
}

fn activity(a: Activity, data: &[u8]) -> Result<UserActivityEvent, EventError> {
    let activity_type = match a.activity_type.as_str() {
        "view_product" => ActivityType::ProductView,
        other => ActivityType::ALL
            .into_iter()
            .find(|t| t.as_str() == other)
            .ok_or_else(|| {
                EventError::new(
                    EventErrorKind::InvalidField,
                    format!("activity_type '{other}' is not one of login, logout, view_product, add_to_cart, remove_from_cart"),
                )
            })?,
    };
    Ok(UserActivityEvent {
        event_id: format!("seed-ua-{:016x}", fnv1a(data)),
        event_type: EventType::UserActivity,
        event_time: a.timestamp,
        schema_version: SCHEMA_VERSION,
        session_id: a.metadata.session_id,
        customer_id: a.user_id,
        activity_type,
        page: None,
        product_id: None,
        search_query: None,
        metadata: SessionMetadata {
            user_agent: a.user_agent,
            ip_address: a.ip_address,
            device: a.metadata.platform,
        },
    })
}

/// FNV-1a, 64 bits: a seed's user activity has no id, so its id is a hash of its bytes. A
/// redelivery (the same bytes) gets the same id, so readers that take one row per `event_id`
/// count it once; the hash is written here so that it never changes with a toolchain.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::events::parse::{parse_event, shape_of, Shape};

    // Seed 004's sample messages, verbatim: paulobevilaqua/re-case, simulated_messages.ps1.
    const SEED004_ORDER: &str = r#"{"event_type":"order","order_id":"test-order-003","customer_id":"cust-xyz","order_date":"2025-02-24T12:30:00Z","status":"processing","items":[{"product_id":"p3","product_name":"AnotherWidget","quantity":5,"price":8.00}],"shipping_address":{"street":"456 Another St","city":"AnotherCity","country":"AnotherCountry"},"total_amount":40.00}"#;
    const SEED004_INVENTORY: &str = r#"{"event_type":"inventory","inventory_id":"inv-002","product_id":"p1","warehouse_id":"wh-1","quantity_change":20,"reason":"restock","timestamp":"2025-02-23T11:00:00Z"}"#;
    const SEED004_ACTIVITY: &str = r#"{"event_type":"user_activity","user_id":"user-321","activity_type":"view_product","ip_address":"10.0.0.55","user_agent":"Mozilla/5.0 (Mobile)","timestamp":"2025-02-24T16:45:00Z","metadata":{"session_id":"sess-d4e5f6","platform":"mobile"}}"#;

    #[test]
    fn seed_bodies_map_field_by_field() {
        assert_eq!(shape_of(SEED004_ORDER.as_bytes()), Some(Shape::Seed));
        let Event::Order(o) = parse_event(SEED004_ORDER.as_bytes()).expect("order") else {
            panic!("not an order")
        };
        assert_eq!(o.event_id, "test-order-003");
        assert_eq!(
            o.event_time,
            EventTime::parse("2025-02-24T12:30:00Z").unwrap()
        );
        assert_eq!(o.items[0].unit_price, Cents(800));
        assert_eq!(o.total_amount, Cents(4000));
        assert_eq!(o.shipping_address.state, None);

        let Event::Inventory(i) = parse_event(SEED004_INVENTORY.as_bytes()).expect("inv") else {
            panic!("not inventory")
        };
        assert_eq!(
            (i.event_id.as_str(), i.store_id.as_str()),
            ("inv-002", "wh-1")
        );

        let Event::UserActivity(a) = parse_event(SEED004_ACTIVITY.as_bytes()).expect("ua") else {
            panic!("not activity")
        };
        assert_eq!(a.activity_type, ActivityType::ProductView);
        assert_eq!(a.customer_id.as_deref(), Some("user-321"));
        assert_eq!(a.session_id, "sess-d4e5f6");
        assert_eq!(a.metadata.device, "mobile");
        assert_eq!(a.metadata.ip_address, "10.0.0.55");
        // The same bytes, the same id: a redelivery is recognisable.
        let again = parse_event(SEED004_ACTIVITY.as_bytes()).expect("ua");
        assert_eq!(again.event_id(), a.event_id);
    }

    #[test]
    fn what_cannot_be_mapped_is_refused_with_its_reason() {
        let kind = |s: &str| parse_event(s.as_bytes()).unwrap_err().kind;
        let wrong_total = SEED004_ORDER.replace("\"total_amount\":40.00", "\"total_amount\":41.00");
        assert_eq!(kind(&wrong_total), EventErrorKind::TotalMismatch);
        let no_id = SEED004_INVENTORY.replace("\"inventory_id\":\"inv-002\",", "");
        assert_eq!(kind(&no_id), EventErrorKind::MissingField);
        let theft = SEED004_INVENTORY.replace("restock", "theft");
        assert_eq!(kind(&theft), EventErrorKind::InvalidField);
        let wrong_sign = SEED004_INVENTORY.replace(":20,", ":-20,");
        assert_eq!(kind(&wrong_sign), EventErrorKind::SignMismatch);
        let dance = SEED004_ACTIVITY.replace("view_product", "dance");
        let err = parse_event(dance.as_bytes()).unwrap_err();
        assert_eq!(err.kind, EventErrorKind::InvalidField);
        assert!(err.detail.contains("seed 003/004"), "{}", err.detail);
        let bad_time = SEED004_ACTIVITY.replace("2025-02-24T16:45:00Z", "yesterday");
        assert_eq!(kind(&bad_time), EventErrorKind::InvalidField);
    }
}
