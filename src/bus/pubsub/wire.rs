//! The Pub/Sub REST wire format: publish request bodies split within the service's limits,
//! and received messages turned back into `Message`s.

use crate::bus::{Delivery, Message};
use crate::generate::events::EventTime;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

const BODY_OPEN: &[u8] = b"{\"messages\":[";
const BODY_CLOSE: &[u8] = b"]}";

/// One message of a publish request (`PubsubMessage`).
#[derive(Serialize)]
struct OutMessage<'a> {
    data: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: &'a BTreeMap<String, String>,
    #[serde(rename = "orderingKey", skip_serializing_if = "Option::is_none")]
    ordering_key: Option<&'a str>,
}

/// The wire JSON of one message. Serializing strings and a map of strings cannot fail.
fn message_json(message: &Message) -> Vec<u8> {
    let out = OutMessage {
        data: B64.encode(&message.data),
        attributes: &message.attributes,
        ordering_key: message.ordering_key.as_deref().filter(|k| !k.is_empty()),
    };
    serde_json::to_vec(&out).unwrap_or_default()
}

/// Splits messages into publish request bodies, in order, lazily: each body holds at most
/// `max_messages` messages and at most `max_bytes` bytes of JSON (the exact size sent, base64
/// data, attributes, ordering key and punctuation included). A single message larger than
/// `max_bytes` goes alone in its body; the service then refuses it with a clear error.
pub(super) struct Bodies<'a> {
    messages: &'a [Message],
    next: usize,
    /// The serialized message that did not fit in the previous body.
    carry: Option<Vec<u8>>,
    max_messages: usize,
    max_bytes: usize,
}

/// One request body and how many messages it carries.
pub(super) struct Body {
    pub count: usize,
    pub json: bytes::Bytes,
}

impl<'a> Bodies<'a> {
    pub fn new(messages: &'a [Message], max_messages: usize, max_bytes: usize) -> Self {
        Self {
            messages,
            next: 0,
            carry: None,
            max_messages: max_messages.max(1),
            max_bytes,
        }
    }
}

impl Iterator for Bodies<'_> {
    type Item = Body;

    fn next(&mut self) -> Option<Body> {
        let mut json = BODY_OPEN.to_vec();
        let mut count = 0;
        loop {
            let item = match self.carry.take() {
                Some(item) => item,
                None => match self.messages.get(self.next) {
                    Some(message) => {
                        self.next += 1;
                        message_json(message)
                    }
                    None if count == 0 => return None,
                    None => break,
                },
            };
            let comma = usize::from(count > 0);
            let size = json.len() + comma + item.len() + BODY_CLOSE.len();
            if count > 0 && size > self.max_bytes {
                self.carry = Some(item);
                break;
            }
            if comma == 1 {
                json.push(b',');
            }
            json.extend_from_slice(&item);
            count += 1;
            if count >= self.max_messages {
                break;
            }
        }
        json.extend_from_slice(BODY_CLOSE);
        Some(Body {
            count,
            json: json.into(),
        })
    }
}

/// The answer to `topics.publish`.
#[derive(Deserialize)]
pub(super) struct PublishResponse {
    #[serde(rename = "messageIds", default)]
    pub message_ids: Vec<String>,
}

/// The answer to `subscriptions.pull`.
#[derive(Deserialize, Default)]
pub(super) struct PullResponse {
    #[serde(rename = "receivedMessages", default)]
    pub received: Vec<Received>,
}

#[derive(Deserialize)]
pub(super) struct Received {
    #[serde(rename = "ackId")]
    pub ack_id: String,
    pub message: InMessage,
}

#[derive(Deserialize)]
pub(super) struct InMessage {
    #[serde(default)]
    data: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(rename = "orderingKey", default)]
    ordering_key: String,
    #[serde(rename = "messageId", default)]
    message_id: String,
    /// RFC 3339, as Pub/Sub writes it (nanoseconds at most).
    #[serde(rename = "publishTime", default)]
    publish_time: String,
}

impl InMessage {
    /// The bus message, as `subscription` delivered it. Data that is not valid base64 (never
    /// sent by Pub/Sub) is kept as the text received, so the subscriber dead-letters it instead
    /// of it vanishing. A publish time that does not parse (never sent either) reads as now.
    pub fn into_message(self, subscription: &str) -> Message {
        let data = B64
            .decode(self.data.as_bytes())
            .unwrap_or_else(|_| self.data.into_bytes());
        let publish_time =
            EventTime::parse(&self.publish_time).unwrap_or_else(|_| EventTime::now());
        Message {
            data: data.into(),
            attributes: self.attributes,
            ordering_key: Some(self.ordering_key).filter(|k| !k.is_empty()),
            delivery: Some(Delivery {
                subscription: subscription.to_string(),
                message_id: self.message_id,
                publish_time,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(n: usize, data_len: usize) -> Vec<Message> {
        (0..n)
            .map(|i| {
                Message::new(vec![b'x'; data_len])
                    .with_attribute("seq", format!("{i:04}"))
                    .with_attribute("quote", "a \"b\"")
                    .with_ordering_key(format!("k{}", i % 3))
            })
            .collect()
    }

    /// The messages of every body, parsed back from the JSON sent.
    fn parse(bodies: &[Body]) -> Vec<Message> {
        #[derive(Deserialize)]
        struct Request {
            messages: Vec<InMessage>,
        }
        bodies
            .iter()
            .flat_map(|b| {
                let r: Request = serde_json::from_slice(&b.json).unwrap();
                assert_eq!(r.messages.len(), b.count);
                r.messages.into_iter().map(|m| Message {
                    delivery: None,
                    ..m.into_message("s")
                })
            })
            .collect()
    }

    #[test]
    fn splits_by_message_count() {
        let all = messages(2_500, 10);
        let bodies: Vec<Body> = Bodies::new(&all, 1_000, 10_000_000).collect();
        let counts: Vec<usize> = bodies.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1_000, 1_000, 500]);
        assert_eq!(
            parse(&bodies),
            all,
            "every message once, in order, unchanged"
        );
    }

    #[test]
    fn splits_by_exact_json_bytes() {
        let all = messages(100, 3_000);
        let one = message_json(&all[0]).len();
        // Room for exactly 7 messages: the envelope, 7 messages and 6 commas.
        let max = BODY_OPEN.len() + BODY_CLOSE.len() + 7 * one + 6 + 3;
        let bodies: Vec<Body> = Bodies::new(&all, 1_000, max).collect();
        assert!(bodies.iter().all(|b| b.json.len() <= max));
        assert_eq!(bodies[0].count, 7);
        assert_eq!(bodies.len(), 100usize.div_ceil(7));
        // The base64 data is what counts, not the raw bytes: 3,000 bytes are 4,000 on the wire.
        assert!(one > 4_000, "{one}");
        assert_eq!(parse(&bodies), all);
    }

    #[test]
    fn an_oversized_message_goes_alone_and_empty_input_sends_nothing() {
        let mut all = messages(3, 10);
        all.insert(1, Message::new(vec![b'y'; 5_000]));
        let bodies: Vec<Body> = Bodies::new(&all, 1_000, 1_000).collect();
        let counts: Vec<usize> = bodies.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 1, 2]);
        assert_eq!(parse(&bodies), all);
        assert_eq!(Bodies::new(&[], 1_000, 1_000).count(), 0);
    }

    #[test]
    fn received_messages_decode_and_drop_empty_ordering_keys() {
        let json = br#"{"receivedMessages":[
            {"ackId":"a1","message":{"data":"aGk=","attributes":{"k":"v"},"messageId":"1","orderingKey":"s/p","publishTime":"2026-11-20T05:12:34.567891Z"}},
            {"ackId":"a2","message":{"messageId":"2","publishTime":"2026-11-20T05:12:35Z"}}]}"#;
        let r: PullResponse = serde_json::from_slice(json).unwrap();
        let m: Vec<Message> = r
            .received
            .into_iter()
            .map(|r| r.message.into_message("projects/p/subscriptions/s"))
            .collect();
        let delivery = |id: &str, at: &str| {
            Some(Delivery {
                subscription: "projects/p/subscriptions/s".into(),
                message_id: id.into(),
                publish_time: EventTime::parse(at).unwrap(),
            })
        };
        assert_eq!(
            m[0],
            Message {
                delivery: delivery("1", "2026-11-20T05:12:34.567Z"),
                ..Message::new("hi")
                    .with_attribute("k", "v")
                    .with_ordering_key("s/p")
            }
        );
        assert_eq!(
            m[1],
            Message {
                delivery: delivery("2", "2026-11-20T05:12:35.000Z"),
                ..Message::new("")
            }
        );
    }
}
