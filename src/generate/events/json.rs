//! The events' JSON, written directly: byte for byte what `serde_json::to_writer` makes of
//! the `Serialize` derive, in a third of the instructions.
//!
//! Encoding is most of the cost of a streamed event (callgrind, `bench --events`): through
//! serde every key goes through the string escaper, every `Cents` is re-parsed by
//! `RawValue::from_string` and every `EventTime` is formatted by chrono into a temporary
//! `String`. Here keys are literals, numbers and times are written from their digits, and a
//! string is copied as is unless it holds a byte JSON must escape, in which case serde_json
//! itself writes it. `tests::matches_serde_json` holds the two encodings equal; a field added
//! to an event struct must be added here too (that test fails until it is).

use super::{Cents, Event, EventTime, InventoryEvent, OrderEvent, UserActivityEvent};
use chrono::{Datelike, Timelike};

/// `header` with the four fields of event `$e`.
macro_rules! header {
    ($out:expr, $e:expr) => {
        header(
            $out,
            &$e.event_id,
            $e.event_type.as_str(),
            $e.event_time,
            $e.schema_version,
        )
    };
}

/// Appends `event`'s JSON (one line, no newline) to `out`.
pub(super) fn write_event(event: &Event, out: &mut Vec<u8>) {
    match event {
        Event::Order(e) => order(e, out),
        Event::Inventory(e) => inventory(e, out),
        Event::UserActivity(e) => activity(e, out),
    }
}

fn order(e: &OrderEvent, out: &mut Vec<u8>) {
    header!(out, e);
    text(out, b",\"order_id\":", &e.order_id);
    text(out, b",\"customer_id\":", &e.customer_id);
    text(out, b",\"store_id\":", &e.store_id);
    text(out, b",\"status\":", &e.status);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in e.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"product_id\":");
        string(out, &item.product_id);
        out.extend_from_slice(b",\"product_name\":");
        string(out, &item.product_name);
        out.extend_from_slice(b",\"quantity\":");
        out.extend_from_slice(itoa::Buffer::new().format(item.quantity).as_bytes());
        out.extend_from_slice(b",\"unit_price\":");
        cents(out, item.unit_price);
        out.push(b'}');
    }
    let a = &e.shipping_address;
    out.extend_from_slice(b"],\"shipping_address\":{\"street\":");
    string(out, &a.street);
    text(out, b",\"city\":", &a.city);
    opt_text(out, b",\"state\":", a.state.as_deref());
    opt_text(out, b",\"postal_code\":", a.postal_code.as_deref());
    text(out, b",\"country\":", &a.country);
    out.extend_from_slice(b"},\"payment_method\":");
    optional(out, e.payment_method.as_deref());
    opt_text(out, b",\"currency\":", e.currency.as_deref());
    out.extend_from_slice(b",\"total_amount\":");
    cents(out, e.total_amount);
    out.push(b'}');
}

fn inventory(e: &InventoryEvent, out: &mut Vec<u8>) {
    header!(out, e);
    text(out, b",\"store_id\":", &e.store_id);
    text(out, b",\"product_id\":", &e.product_id);
    int(out, b",\"quantity_change\":", e.quantity_change);
    text(out, b",\"reason\":", e.reason.as_str());
    out.push(b'}');
}

fn activity(e: &UserActivityEvent, out: &mut Vec<u8>) {
    header!(out, e);
    text(out, b",\"session_id\":", &e.session_id);
    opt_text(out, b",\"customer_id\":", e.customer_id.as_deref());
    text(out, b",\"activity_type\":", e.activity_type.as_str());
    opt_text(out, b",\"page\":", e.page.as_deref());
    opt_text(out, b",\"product_id\":", e.product_id.as_deref());
    opt_text(out, b",\"search_query\":", e.search_query.as_deref());
    let m = &e.metadata;
    out.extend_from_slice(b",\"metadata\":{\"user_agent\":");
    string(out, &m.user_agent);
    text(out, b",\"ip_address\":", &m.ip_address);
    text(out, b",\"device\":", &m.device);
    out.extend_from_slice(b"}}");
}

/// The four fields every event starts with, opening its object.
fn header(out: &mut Vec<u8>, id: &str, event_type: &str, at: EventTime, schema_version: u32) {
    out.extend_from_slice(b"{\"event_id\":");
    string(out, id);
    text(out, b",\"event_type\":", event_type);
    out.extend_from_slice(b",\"event_time\":");
    time(out, at);
    int(out, b",\"schema_version\":", schema_version);
}

/// `key` (the separator, quoted name and colon) and a string.
fn text(out: &mut Vec<u8>, key: &[u8], value: &str) {
    out.extend_from_slice(key);
    string(out, value);
}

/// `key` and a string or null.
fn opt_text(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) {
    out.extend_from_slice(key);
    optional(out, value);
}

/// `key` and an integer.
fn int(out: &mut Vec<u8>, key: &[u8], value: impl itoa::Integer) {
    out.extend_from_slice(key);
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A JSON string. Generated values never need escaping, so they are copied; anything else
/// (a quote, a backslash, a control character) goes through serde_json's own escaper, which
/// keeps the output identical to serde's in every case.
fn string(out: &mut Vec<u8>, s: &str) {
    // A fold without early exit, so the check compiles to SIMD compares over 16 bytes at a
    // time; `all` stopped at each byte and was half the cost of encoding an event.
    let plain = !s.bytes().fold(false, |bad, b| {
        bad | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing a &str to a Vec cannot fail; keep the line valid JSON all the same.
        out.extend_from_slice(b"null");
    }
}

fn optional(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// `12.90` for 1290: what `Cents`'s `Serialize` writes.
fn cents(out: &mut Vec<u8>, c: Cents) {
    if c.0 < 0 {
        out.push(b'-');
    }
    let abs = c.0.unsigned_abs();
    out.extend_from_slice(itoa::Buffer::new().format(abs / 100).as_bytes());
    out.push(b'.');
    two_digits(out, (abs % 100) as u32);
}

/// `"2026-11-22T05:12:34.567Z"`: what `EventTime`'s `Serialize` writes. Years outside
/// 0..=9999, which chrono writes with a sign, take its `Display` instead.
fn time(out: &mut Vec<u8>, t: EventTime) {
    let Some(at) = t.datetime().filter(|at| (0..=9999).contains(&at.year())) else {
        string(out, &t.to_string());
        return;
    };
    let year = at.year() as u32;
    out.push(b'"');
    two_digits(out, year / 100);
    two_digits(out, year % 100);
    out.push(b'-');
    two_digits(out, at.month());
    out.push(b'-');
    two_digits(out, at.day());
    out.push(b'T');
    two_digits(out, at.hour());
    out.push(b':');
    two_digits(out, at.minute());
    out.push(b':');
    two_digits(out, at.second());
    out.push(b'.');
    // Whole milliseconds: an EventTime holds nothing finer.
    let ms = at.timestamp_subsec_millis();
    out.push(b'0' + (ms / 100) as u8);
    two_digits(out, ms % 100);
    out.extend_from_slice(b"Z\"");
}

fn two_digits(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::events::{
        ActivityType, EventGenerator, EventPools, EventType, InventoryReason, OrderItem,
        SessionMetadata, ShippingAddress,
    };
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use std::sync::Arc;

    fn ours(e: &Event) -> String {
        let mut out = Vec::new();
        write_event(e, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    fn serdes(e: &Event) -> String {
        serde_json::to_string(e).expect("serializable")
    }

    #[test]
    fn matches_serde_json() {
        let world = Arc::new(World::new(7, &Scale::preset(ScaleName::Small)));
        let pools = Arc::new(EventPools::new(world));
        let generator = EventGenerator::new(pools, "json-test", &[]);
        let at = EventTime::from_millis(1_790_000_000_123);
        for i in 0..3_000 {
            let e = generator.event(i, at.plus_millis(i as i64 * 7));
            assert_eq!(ours(&e), serdes(&e), "event {i}");
        }
    }

    #[test]
    fn odd_values_match_serde_json_too() {
        let odd = "quote \" back \\ nl \n tab \t nul \u{0} del \u{7f} é 😀 \u{1f}";
        let times = [
            EventTime::from_millis(0),
            EventTime::from_millis(-1),
            EventTime::from_millis(253_402_300_799_999), // 9999-12-31T23:59:59.999Z
            EventTime::from_millis(253_402_300_800_000), // year 10000
            EventTime::from_millis(-62_167_219_200_001), // just before year 0
            EventTime::from_millis(i64::MAX),
        ];
        for (n, at) in times.into_iter().enumerate() {
            let order = Event::Order(OrderEvent {
                event_id: odd.into(),
                event_type: EventType::Order,
                event_time: at,
                schema_version: u32::MAX,
                order_id: String::new(),
                customer_id: odd.into(),
                store_id: "S1".into(),
                status: odd.into(),
                items: (0..n)
                    .map(|k| OrderItem {
                        product_id: odd.into(),
                        product_name: format!("p{k}"),
                        quantity: k as u32,
                        unit_price: Cents([0, 5, -5, 1290, -199_999, i64::MIN][k]),
                    })
                    .collect(),
                shipping_address: ShippingAddress {
                    street: odd.into(),
                    city: odd.into(),
                    state: (n % 2 == 0).then(|| odd.into()),
                    postal_code: (n % 3 == 0).then(|| odd.into()),
                    country: odd.into(),
                },
                payment_method: (n % 2 == 1).then(|| odd.into()),
                currency: (n % 3 == 1).then(|| odd.into()),
                total_amount: Cents(i64::MAX),
            });
            assert_eq!(ours(&order), serdes(&order));
            let inventory = Event::Inventory(InventoryEvent {
                event_id: odd.into(),
                event_type: EventType::Inventory,
                event_time: at,
                schema_version: 0,
                store_id: odd.into(),
                product_id: odd.into(),
                quantity_change: i32::MIN,
                reason: InventoryReason::ALL[n % InventoryReason::ALL.len()],
            });
            assert_eq!(ours(&inventory), serdes(&inventory));
            let activity = Event::UserActivity(UserActivityEvent {
                event_id: odd.into(),
                event_type: EventType::UserActivity,
                event_time: at,
                schema_version: 1,
                session_id: odd.into(),
                customer_id: (n % 2 == 0).then(|| odd.into()),
                activity_type: ActivityType::ALL[n],
                page: (n % 2 == 0).then(|| odd.into()),
                product_id: (n % 3 == 0).then(|| odd.into()),
                search_query: (n % 2 == 1).then(|| odd.into()),
                metadata: SessionMetadata {
                    user_agent: odd.into(),
                    ip_address: odd.into(),
                    device: odd.into(),
                },
            });
            assert_eq!(ours(&activity), serdes(&activity));
        }
        for ty in ActivityType::ALL {
            assert_eq!(
                serde_json::to_string(&ty).expect("serializable"),
                format!("\"{}\"", ty.as_str())
            );
        }
    }
}
