//! Strict parsing of event JSON: what the subscriber accepts, and why it refuses the rest.
//! Each refusal has a stable reason code, recorded with the dead letter.

use super::{Event, EventType, InventoryEvent, OrderEvent, UserActivityEvent, SCHEMA_VERSION};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use std::fmt;

/// Whose field names an event body uses. Validation differs only where a seed's shape has no
/// counterpart for a field ours always carries (see `seed_shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// This project's events (`event_id`, `event_time`, `schema_version`, ...).
    Ours,
    /// Seeds 003 and 004's events (`order_date` / `timestamp`, `inventory_id`, `warehouse_id`,
    /// `user_id`, ...): the two publish the same three shapes.
    Seed,
}

/// Why an event was refused. The codes are stable: dashboards and alerts group by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventErrorKind {
    /// Not JSON, or not a JSON object.
    InvalidJson,
    /// `event_type` names no known type.
    UnknownEventType,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong type or an impossible value.
    InvalidField,
    /// `schema_version` is one this build does not understand.
    UnsupportedSchemaVersion,
    /// An order's `total_amount` differs from the sum of its items.
    TotalMismatch,
    /// An inventory change whose sign contradicts its reason.
    SignMismatch,
    /// Message attributes contradict the payload (say, `event_type`).
    AttributeMismatch,
    /// The message has no `event_type` attribute: no event table's subscription takes it.
    MissingEventType,
}

impl EventErrorKind {
    pub const ALL: [EventErrorKind; 9] = [
        EventErrorKind::InvalidJson,
        EventErrorKind::UnknownEventType,
        EventErrorKind::MissingField,
        EventErrorKind::InvalidField,
        EventErrorKind::UnsupportedSchemaVersion,
        EventErrorKind::TotalMismatch,
        EventErrorKind::SignMismatch,
        EventErrorKind::AttributeMismatch,
        EventErrorKind::MissingEventType,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventErrorKind::InvalidJson => "invalid_json",
            EventErrorKind::UnknownEventType => "unknown_event_type",
            EventErrorKind::MissingField => "missing_field",
            EventErrorKind::InvalidField => "invalid_field",
            EventErrorKind::UnsupportedSchemaVersion => "unsupported_schema_version",
            EventErrorKind::TotalMismatch => "total_mismatch",
            EventErrorKind::SignMismatch => "sign_mismatch",
            EventErrorKind::AttributeMismatch => "attribute_mismatch",
            EventErrorKind::MissingEventType => "missing_event_type",
        }
    }
}

impl fmt::Display for EventErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused event: the reason code and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct EventError {
    pub kind: EventErrorKind,
    pub detail: String,
}

impl EventError {
    pub fn new(kind: EventErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// The fields read first: `event_type`, so that the body is parsed as the right type and an
/// unknown type is told apart from a malformed body, and the time fields that tell a seed's
/// shape from ours.
#[derive(Deserialize)]
struct Header {
    event_type: Option<serde_json::Value>,
    event_time: Option<IgnoredAny>,
    order_date: Option<IgnoredAny>,
    timestamp: Option<IgnoredAny>,
}

impl Header {
    fn read(data: &[u8]) -> Result<Self, EventError> {
        serde_json::from_slice(data).map_err(|e| {
            let what = if e.is_data() {
                "expected a JSON object".to_string()
            } else {
                e.to_string()
            };
            EventError::new(EventErrorKind::InvalidJson, what)
        })
    }

    /// Ours always carry `event_time`; seeds 003 and 004 never do, and time their orders by
    /// `order_date` and everything else by `timestamp`.
    fn shape(&self) -> Shape {
        if self.event_time.is_none() && (self.order_date.is_some() || self.timestamp.is_some()) {
            Shape::Seed
        } else {
            Shape::Ours
        }
    }
}

/// Which shape `data` is in, or `None` when it is not a JSON object at all.
pub fn shape_of(data: &[u8]) -> Option<Shape> {
    Header::read(data).ok().map(|h| h.shape())
}

/// Parses and validates one event, in our shape or a seed's (`seed_shape` maps theirs onto
/// our types). Extra fields are allowed (a newer producer may add optional ones); missing,
/// mistyped or inconsistent ones are refused.
pub fn parse_event(data: &[u8]) -> Result<Event, EventError> {
    let header = Header::read(data)?;
    let shape = header.shape();
    let ty = match header.event_type {
        None | Some(serde_json::Value::Null) => {
            return Err(EventError::new(EventErrorKind::MissingField, "event_type"))
        }
        Some(serde_json::Value::String(s)) => s
            .parse::<EventType>()
            .map_err(|e| EventError::new(EventErrorKind::UnknownEventType, e.to_string()))?,
        Some(other) => {
            return Err(EventError::new(
                EventErrorKind::InvalidField,
                format!("event_type must be a string, got {other}"),
            ))
        }
    };
    let event = match shape {
        Shape::Seed => super::seed_shape::parse(ty, data)?,
        Shape::Ours => match ty {
            EventType::Order => Event::Order(body::<OrderEvent>(data)?),
            EventType::Inventory => Event::Inventory(body::<InventoryEvent>(data)?),
            EventType::UserActivity => Event::UserActivity(body::<UserActivityEvent>(data)?),
        },
    };
    validate_shape(&event, shape)?;
    Ok(event)
}

pub(super) fn body<T: DeserializeOwned>(data: &[u8]) -> Result<T, EventError> {
    serde_json::from_slice(data).map_err(|e| {
        let text = e.to_string();
        let kind = if text.starts_with("missing field") {
            EventErrorKind::MissingField
        } else {
            EventErrorKind::InvalidField
        };
        EventError::new(kind, text)
    })
}

/// The rules serde cannot express: ids usable in paths, totals, signs, required product ids.
pub fn validate(event: &Event) -> Result<(), EventError> {
    validate_shape(event, Shape::Ours)
}

/// `validate`, with a seed's exceptions: its orders name no store, payment or currency, its
/// addresses no state or postal code, and its activities no page and no product.
fn validate_shape(event: &Event, shape: Shape) -> Result<(), EventError> {
    let ours = shape == Shape::Ours;
    let (id, version) = match event {
        Event::Order(e) => (&e.event_id, e.schema_version),
        Event::Inventory(e) => (&e.event_id, e.schema_version),
        Event::UserActivity(e) => (&e.event_id, e.schema_version),
    };
    if version != SCHEMA_VERSION {
        return Err(EventError::new(
            EventErrorKind::UnsupportedSchemaVersion,
            format!("schema_version {version}; this build reads {SCHEMA_VERSION}"),
        ));
    }
    if !is_safe_id(id) {
        return Err(invalid(
            "event_id must be 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'",
        ));
    }
    match event {
        Event::Order(e) => {
            if ours {
                required("store_id", &e.store_id)?;
                present("payment_method", &e.payment_method)?;
                present("currency", &e.currency)?;
                present("shipping_address.state", &e.shipping_address.state)?;
                present(
                    "shipping_address.postal_code",
                    &e.shipping_address.postal_code,
                )?;
            }
            validate_order(e)
        }
        Event::Inventory(e) => {
            required("store_id", &e.store_id)?;
            required("product_id", &e.product_id)?;
            if e.reason.allows(e.quantity_change) {
                Ok(())
            } else {
                Err(EventError::new(
                    EventErrorKind::SignMismatch,
                    format!(
                        "quantity_change {} is not allowed for reason {}",
                        e.quantity_change,
                        e.reason.as_str()
                    ),
                ))
            }
        }
        Event::UserActivity(e) => {
            required("session_id", &e.session_id)?;
            if ours {
                present("page", &e.page)?;
            }
            if ours
                && e.activity_type.needs_product()
                && e.product_id.as_deref().is_none_or(str::is_empty)
            {
                return Err(EventError::new(EventErrorKind::MissingField, "product_id"));
            }
            if e.activity_type == super::ActivityType::Search
                && e.search_query.as_deref().is_none_or(str::is_empty)
            {
                return Err(EventError::new(
                    EventErrorKind::MissingField,
                    "search_query",
                ));
            }
            Ok(())
        }
    }
}

fn validate_order(e: &OrderEvent) -> Result<(), EventError> {
    required("order_id", &e.order_id)?;
    required("customer_id", &e.customer_id)?;
    if e.items.is_empty() {
        return Err(invalid("items must hold at least one item"));
    }
    for (i, item) in e.items.iter().enumerate() {
        required("items.product_id", &item.product_id)?;
        if item.quantity == 0 {
            return Err(invalid(format!("items[{i}].quantity must be positive")));
        }
        if item.unit_price.0 < 0 {
            return Err(invalid(format!(
                "items[{i}].unit_price must not be negative"
            )));
        }
    }
    match e.items_total() {
        Some(sum) if sum == e.total_amount => Ok(()),
        Some(sum) => Err(EventError::new(
            EventErrorKind::TotalMismatch,
            format!("total_amount {} but the items sum to {sum}", e.total_amount),
        )),
        None => Err(invalid("items overflow when summed")),
    }
}

fn required(field: &str, value: &str) -> Result<(), EventError> {
    if value.is_empty() {
        Err(invalid(format!("{field} must not be empty")))
    } else {
        Ok(())
    }
}

/// A field serde lets be absent (an `Option`) that our shape always carries.
fn present(field: &str, value: &Option<String>) -> Result<(), EventError> {
    match value.as_deref() {
        None => Err(EventError::new(EventErrorKind::MissingField, field)),
        Some(v) => required(field, v),
    }
}

fn invalid(detail: impl Into<String>) -> EventError {
    EventError::new(EventErrorKind::InvalidField, detail)
}

/// Whether an id can name a file: it becomes part of archive object names.
pub fn is_safe_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::events::{EventGenerator, EventPools, EventTime};
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use serde_json::{json, Value};
    use std::sync::Arc;

    fn sample(ty: EventType) -> Value {
        let world = Arc::new(World::new(1, &Scale::preset(ScaleName::Small)));
        let generator = EventGenerator::new(Arc::new(EventPools::new(world)), "t", &[]);
        let event = generator.event_of(ty, 1, EventTime::from_millis(1_790_000_000_000));
        serde_json::from_slice(&event.to_json_bytes()).unwrap()
    }

    fn kind_of(v: &Value) -> EventErrorKind {
        parse_event(v.to_string().as_bytes()).unwrap_err().kind
    }

    #[test]
    fn each_fault_has_its_reason() {
        use EventErrorKind::*;
        assert_eq!(parse_event(b"{not json").unwrap_err().kind, InvalidJson);
        assert_eq!(parse_event(b"[1,2]").unwrap_err().kind, InvalidJson);

        let order = sample(EventType::Order);
        assert!(parse_event(order.to_string().as_bytes()).is_ok());
        let mut v = order.clone();
        v["event_type"] = json!("refund");
        assert_eq!(kind_of(&v), UnknownEventType);
        let mut v = order.clone();
        v.as_object_mut().unwrap().remove("event_type");
        assert_eq!(kind_of(&v), MissingField);
        let mut v = order.clone();
        v.as_object_mut().unwrap().remove("customer_id");
        assert_eq!(kind_of(&v), MissingField);
        let mut v = order.clone();
        v["items"][0]["quantity"] = json!("two");
        assert_eq!(kind_of(&v), InvalidField);
        let mut v = order.clone();
        v["event_id"] = json!("../../etc");
        assert_eq!(kind_of(&v), InvalidField);
        let mut v = order.clone();
        v["schema_version"] = json!(99);
        assert_eq!(kind_of(&v), UnsupportedSchemaVersion);
        let mut v = order.clone();
        let total = v["total_amount"].as_f64().unwrap();
        v["total_amount"] = json!(total + 0.01);
        assert_eq!(kind_of(&v), TotalMismatch);

        let inventory = sample(EventType::Inventory);
        assert!(parse_event(inventory.to_string().as_bytes()).is_ok());
        let mut v = inventory.clone();
        v["reason"] = json!("restock");
        v["quantity_change"] = json!(-4);
        assert_eq!(kind_of(&v), SignMismatch);
        v["reason"] = json!("adjustment");
        v["quantity_change"] = json!(0);
        assert_eq!(kind_of(&v), SignMismatch);
        v["reason"] = json!("theft");
        assert_eq!(kind_of(&v), InvalidField);

        let activity = sample(EventType::UserActivity);
        let mut v = activity.clone();
        v["activity_type"] = json!("add_to_cart");
        v["product_id"] = Value::Null;
        assert_eq!(kind_of(&v), MissingField);
    }

    #[test]
    fn safe_ids() {
        assert!(is_safe_id("evt-0a1b-00000001"));
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(129)] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }
}
