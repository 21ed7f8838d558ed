//! The invalid payloads of a malformed-message storm: an event's message with its data spoiled
//! in one of four ways, each a distinct dead-letter reason of the subscriber
//! (`EventErrorKind`). The attributes stay, so the message is routed as its event would be and
//! fails in parsing.

use crate::bus::Message;

/// The reasons the spoiled payloads land with, in the order the storm takes them.
pub const MALFORMED_REASONS: [&str; 4] = [
    "invalid_json",
    "missing_field",
    "invalid_field",
    "unsupported_schema_version",
];

/// `message` spoiled the `nth` way (taken in turn): cut in half (not JSON), without
/// `event_id`, with `schema_version` as a string, or with a `schema_version` no build reads.
pub fn spoil(mut message: Message, nth: u64) -> Message {
    let data = &message.data;
    let spoiled = match nth % MALFORMED_REASONS.len() as u64 {
        0 => data.slice(..data.len() / 2).to_vec(),
        way => match serde_json::from_slice::<serde_json::Value>(data) {
            Ok(serde_json::Value::Object(mut fields)) => {
                match way {
                    1 => {
                        fields.remove("event_id");
                    }
                    2 => {
                        fields.insert("schema_version".into(), "one".into());
                    }
                    _ => {
                        fields.insert("schema_version".into(), 99.into());
                    }
                }
                serde_json::to_vec(&fields).unwrap_or_default()
            }
            // Our events are always objects; anything else is spoiled by cutting it.
            _ => data.slice(..data.len() / 2).to_vec(),
        },
    };
    message.data = spoiled.into();
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::events::{parse_event, EventGenerator, EventPools, EventTime};
    use crate::generate::World;
    use crate::model::{Scale, ScaleName};
    use std::sync::Arc;

    #[test]
    fn each_way_is_its_own_reason() {
        let world = Arc::new(World::new(3, &Scale::preset(ScaleName::Small)));
        let generator = EventGenerator::new(Arc::new(EventPools::new(world)), "t", &[]);
        let at = EventTime::parse("2026-11-22T05:00:00Z").unwrap();
        for seq in 0..12u64 {
            let message = Message::event(&generator.event(seq, at));
            let spoiled = spoil(message.clone(), seq);
            assert_eq!(spoiled.attributes, message.attributes);
            let err = parse_event(&spoiled.data).unwrap_err();
            assert_eq!(
                err.kind.code(),
                MALFORMED_REASONS[(seq % 4) as usize],
                "{err:?}"
            );
        }
    }
}
