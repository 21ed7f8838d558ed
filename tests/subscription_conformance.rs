//! Every message the service publishes fits the table its Pub/Sub BigQuery subscription writes,
//! by the rules Pub/Sub documents for `use_table_schema` with JSON messages (the schema read
//! from `sql/bigquery/schemas/`, the files Terraform gives the tables):
//!
//! - the message is a JSON object; with `drop_unknown_fields = false` (deploy/pubsub.tf) a
//!   field the table lacks fails the write;
//! - a `REQUIRED` column must be present and not null; a missing or null field fills a
//!   `NULLABLE` column with NULL;
//! - types: STRING from a string, INTEGER from a whole number, NUMERIC from a number (at most
//!   9 decimals) or a numeric string, FLOAT from a number, BOOLEAN from a bool, TIMESTAMP from a
//!   string in BigQuery's timestamp format or whole microseconds, DATE from `YYYY-MM-DD` or
//!   whole days, JSON from any value, RECORD from an object (its fields by the same rules),
//!   REPEATED from an array;
//! - the four `write_metadata` columns exist, are nullable and no message field takes their
//!   name;
//! - the message's `event_type` attribute selects exactly that table's subscription.
//!
//! A change that would make Pub/Sub refuse the service's messages (a new field, a renamed or
//! retyped column, a null where the table says REQUIRED) fails here, in CI, instead of as dead
//! letters deployed. The alerts land raw (`data` JSON): they must be JSON objects with an id.

use retail_pipeline::bus::{alert_messages, Message, ATTR_EVENT_TYPE};
use retail_pipeline::generate::events::{
    Event, EventGenerator, EventPools, EventTime, EventType, UserActivityEvent,
};
use retail_pipeline::generate::{hour_alerts, World};
use retail_pipeline::jobs::scenario::SCENARIOS;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::stream_tables::{
    Column, StreamTable, METADATA_COLUMNS, STREAM_TABLES,
};
use serde_json::{json, Value};
use std::sync::Arc;

/// Why Pub/Sub would not write `message` into `table`, or `Ok`.
fn check(table: &StreamTable, message: &[u8]) -> Result<(), String> {
    let value: Value = serde_json::from_slice(message).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(fields) = value else {
        return Err("not a JSON object".into());
    };
    let columns = table.columns();
    for name in fields.keys() {
        if METADATA_COLUMNS.contains(&name.as_str()) {
            return Err(format!("field {name} takes a metadata column's name"));
        }
        if !columns.iter().any(|c| &c.name == name) {
            return Err(format!(
                "field {name} has no column (unknown fields are not dropped)"
            ));
        }
    }
    for column in columns
        .iter()
        .filter(|c| !METADATA_COLUMNS.contains(&c.name.as_str()))
    {
        check_value(column, fields.get(&column.name).unwrap_or(&Value::Null))
            .map_err(|e| format!("{}: {e}", column.name))?;
    }
    Ok(())
}

fn check_value(column: &Column, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return if column.required() {
            Err("REQUIRED, but missing or null".into())
        } else {
            Ok(())
        };
    }
    if column.repeated() {
        let Value::Array(items) = value else {
            return Err(format!("REPEATED takes an array, not {value}"));
        };
        let one = Column {
            mode: "NULLABLE".into(),
            ..column.clone()
        };
        return items.iter().try_for_each(|v| check_value(&one, v));
    }
    let fits = match column.ty.as_str() {
        "STRING" => value.is_string(),
        "INTEGER" | "INT64" => value.is_i64() || value.is_u64(),
        "FLOAT" | "FLOAT64" => value.is_number(),
        "BOOLEAN" | "BOOL" => value.is_boolean(),
        "NUMERIC" => numeric(value),
        "TIMESTAMP" => value.is_i64() || value.as_str().is_some_and(timestamp),
        "DATE" => {
            value.is_i64()
                || value
                    .as_str()
                    .is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
        }
        "JSON" => true,
        "RECORD" | "STRUCT" => {
            let Value::Object(fields) = value else {
                return Err(format!("RECORD takes an object, not {value}"));
            };
            for name in fields.keys() {
                if !column.fields.iter().any(|c| &c.name == name) {
                    return Err(format!("field {name} has no column in the record"));
                }
            }
            for field in &column.fields {
                check_value(field, fields.get(&field.name).unwrap_or(&Value::Null))
                    .map_err(|e| format!("{}: {e}", field.name))?;
            }
            true
        }
        other => return Err(format!("type {other} is not covered by this check")),
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{} does not take {value}", column.ty))
    }
}

/// A NUMERIC: 29 digits before the point, 9 after, from a JSON number or a numeric string.
fn numeric(value: &Value) -> bool {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return false,
    };
    let digits = text.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !whole.is_empty()
        && whole.len() <= 29
        && fraction.len() <= 9
        && whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
}

/// BigQuery's canonical timestamp: `YYYY-MM-DD[T| ]HH:MM:SS[.F{1,6}]` and a zone (`Z`, `UTC`
/// or `+HH:MM`), or none (UTC).
fn timestamp(s: &str) -> bool {
    let (date, rest) = s.split_at(s.len().min(10));
    let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) else {
        return false;
    };
    let (clock, zone) = match time.find(['Z', '+', '-', ' ']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let zone_ok = match zone.trim_start() {
        "" | "Z" | "UTC" => true,
        z => chrono::DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{z}")).is_ok(),
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && chrono::NaiveTime::parse_from_str(hms, "%H:%M:%S").is_ok()
        && fraction.len() <= 6
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && zone_ok
}

/// The table whose subscription a message's `event_type` attribute selects (exactly one).
fn routed(message: &Message) -> StreamTable {
    let ty = message
        .attribute(ATTR_EVENT_TYPE)
        .expect("event_type attribute");
    let tables: Vec<StreamTable> = STREAM_TABLES
        .into_iter()
        .filter(|t| t.event_type == Some(ty))
        .collect();
    assert_eq!(tables.len(), 1, "event_type {ty} selects one table");
    tables[0]
}

fn assert_fits(message: &Message) {
    let table = routed(message);
    if let Err(e) = check(&table, &message.data) {
        panic!(
            "Pub/Sub would refuse this message for {}: {e}\n{}",
            table.name,
            String::from_utf8_lossy(&message.data)
        );
    }
}

fn pools(seed: u64, scale: ScaleName) -> Arc<EventPools> {
    Arc::new(EventPools::new(Arc::new(World::new(
        seed,
        &Scale::preset(scale),
    ))))
}

#[test]
fn every_scenarios_messages_fit_their_tables() {
    let pools = pools(42, ScaleName::Small);
    let at = EventTime::from_millis(1_790_000_000_000);
    let (mut largest_basket, mut guests, mut checked) = (0, 0, 0);
    for scenario in SCENARIOS {
        let generator = EventGenerator::new(pools.clone(), scenario.name, scenario.event_types);
        for seq in 0..2_000 {
            let event = generator.event(seq, at.plus_millis(seq as i64 * 37));
            match &event {
                Event::Order(o) => largest_basket = largest_basket.max(o.items.len()),
                Event::UserActivity(UserActivityEvent {
                    customer_id: None, ..
                }) => guests += 1,
                _ => {}
            }
            assert_fits(&Message::event(&event));
            checked += 1;
        }
    }
    assert!(checked >= 2_000 * SCENARIOS.len());
    assert!(guests > 0, "guests without a customer were among them");
    assert!(
        largest_basket >= 5,
        "large baskets were among them: {largest_basket}"
    );
}

#[test]
fn edge_values_fit_too() {
    let generator = EventGenerator::new(pools(7, ScaleName::Small), "edges", &EventType::ALL);
    let at = EventTime::from_millis(1_790_000_000_000);
    for ty in EventType::ALL {
        let mut event = generator.event_of(ty, 3, at);
        match &mut event {
            Event::Order(o) => {
                // Unicode and characters JSON escapes; the largest basket the API could carry.
                o.items[0].product_name = "Crème brûlée \"XL\" \\ 寿司 😀\n".into();
                let line = o.items[0].clone();
                o.items = vec![line; 200];
                o.total_amount = o.items_total().expect("total");
                o.shipping_address.city = "São Paulo".into();
            }
            Event::UserActivity(u) => {
                u.customer_id = None;
                u.search_query = Some("ñandú \u{0} \t".into());
                u.product_id = None;
            }
            Event::Inventory(i) => i.quantity_change = i32::MIN,
        }
        assert_fits(&Message::event(&event));
    }
}

#[test]
fn alerts_land_raw_as_json_objects_with_their_id() {
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let alerts = hour_alerts(&world, "2026-11-20T18".parse().expect("hour"));
    assert!(!alerts.is_empty());
    for message in alert_messages(&alerts) {
        let value: Value = serde_json::from_slice(&message.data).expect("JSON for the data column");
        assert!(value["alert_id"].is_string(), "{value}");
        assert_eq!(
            message.attribute("alert_id"),
            value["alert_id"].as_str(),
            "the attribute the view keys on"
        );
    }
}

/// The check itself can fail: each broken event is refused, with the column named.
#[test]
fn broken_events_are_refused() {
    let generator = EventGenerator::new(pools(7, ScaleName::Small), "broken", &EventType::ALL);
    let at = EventTime::from_millis(1_790_000_000_000);
    let order: Value =
        serde_json::from_slice(&generator.event_of(EventType::Order, 1, at).to_json_bytes())
            .expect("json");
    let table = routed(&Message::event(&generator.event_of(
        EventType::Order,
        1,
        at,
    )));
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut v = order.clone();
        f(&mut v);
        check(&table, v.to_string().as_bytes()).expect_err("refused")
    };
    assert!(broken(&|v| v["coupon"] = json!("X")).contains("coupon"));
    assert!(broken(&|v| v["event_id"] = Value::Null).contains("event_id"));
    assert!(broken(&|v| {
        v.as_object_mut().expect("object").remove("order_id");
    })
    .contains("order_id"));
    assert!(broken(&|v| v["event_time"] = json!("22/11/2026 05:12")).contains("event_time"));
    assert!(broken(&|v| v["schema_version"] = json!("1")).contains("schema_version"));
    assert!(broken(&|v| v["total_amount"] = json!(1.0e-12)).contains("total_amount"));
    assert!(broken(&|v| v["message_id"] = json!("m")).contains("message_id"));
    assert!(check(&table, b"[1]").is_err());
    assert!(check(&table, b"{").is_err());
    assert!(timestamp("2026-11-22T05:12:34.567Z"));
    assert!(timestamp("2026-11-22 05:12:34+01:00"));
    assert!(!timestamp("2026-11-22T05:12:34.5678901Z"));
}
