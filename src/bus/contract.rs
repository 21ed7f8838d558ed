//! The shared test suite of the `Publisher` contract. Every backend runs it: `LocalBus` in
//! `tests/bus.rs`, Pub/Sub against its emulator in `tests/bus_pubsub.rs`. How a test reads a
//! subscription differs per backend, so each supplies a `Reader`.
//!
//! Each check panics with a message naming the broken promise.

use super::{Message, Publisher};
use crate::generate::events::EventTime;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Reads back what one subscription of the suite's topic received.
#[async_trait]
pub trait Reader: Send {
    /// Waits up to `within` for `n` messages, acknowledging each; returns what arrived (fewer
    /// on time-out, so the check can say what is missing).
    async fn read(&mut self, n: usize, within: Duration) -> Vec<Message>;
}

const WITHIN: Duration = Duration::from_secs(30);

/// Runs every check. `topic` has exactly one subscription, read by `reader`, and nothing else
/// publishes to it; `unread` is a topic that no subscription reads.
pub async fn run_all(
    publisher: &dyn Publisher,
    topic: &str,
    reader: &mut dyn Reader,
    unread: &str,
) {
    round_trip_keeps_data_and_attributes(publisher, topic, reader).await;
    ordering_keys_keep_publish_order(publisher, topic, reader).await;
    an_empty_publish_is_fine(publisher, topic).await;
    flush_returns_once_published(publisher, topic, reader).await;
    publishing_where_nobody_reads_is_an_error(publisher, unread).await;
}

fn message(i: usize, key: Option<&str>) -> Message {
    let m = Message::new(format!("{{\"n\":{i}}}"))
        .with_attribute("event_type", "order")
        .with_attribute("n", i.to_string());
    match key {
        Some(k) => m.with_ordering_key(k),
        None => m,
    }
}

fn sorted(messages: &[Message]) -> Vec<(Vec<u8>, BTreeMap<String, String>)> {
    let mut v: Vec<_> = messages
        .iter()
        .map(|m| (m.data.to_vec(), m.attributes.clone()))
        .collect();
    v.sort();
    v
}

pub async fn round_trip_keeps_data_and_attributes(
    publisher: &dyn Publisher,
    topic: &str,
    reader: &mut dyn Reader,
) {
    let sent: Vec<Message> = (0..250).map(|i| message(i, None)).collect();
    let before = EventTime::now().plus_millis(-1_000);
    publisher
        .publish(topic, sent.clone())
        .await
        .expect("publish");
    let got = reader.read(sent.len(), WITHIN).await;
    assert_eq!(
        sorted(&got),
        sorted(&sent),
        "every message arrives once, data and attributes intact"
    );
    // What a BigQuery subscription's metadata columns hold: a message id per message and the
    // time the bus accepted it.
    let deliveries: Vec<_> = got.iter().filter_map(|m| m.delivery.as_ref()).collect();
    assert_eq!(
        deliveries.len(),
        got.len(),
        "every delivery says how it came"
    );
    let ids: BTreeSet<&str> = deliveries.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "each message has its own message id");
    let after = EventTime::now().plus_millis(1_000);
    assert!(
        deliveries
            .iter()
            .all(|d| !d.subscription.is_empty() && (before..=after).contains(&d.publish_time)),
        "a delivery names its subscription and its publish time is the publish's"
    );
}

pub async fn ordering_keys_keep_publish_order(
    publisher: &dyn Publisher,
    topic: &str,
    reader: &mut dyn Reader,
) {
    let keys = ["S001/P00001", "S001/P00002", "S002/P00001", "S003/P00009"];
    let per_key = 30;
    // Interleaved keys, over three calls made one after another.
    let all: Vec<Message> = (0..per_key * keys.len())
        .map(|i| message(i / keys.len(), Some(keys[i % keys.len()])))
        .collect();
    for chunk in all.chunks(all.len() / 3 + 1) {
        publisher
            .publish(topic, chunk.to_vec())
            .await
            .expect("publish");
    }
    let got = reader.read(all.len(), WITHIN).await;
    assert_eq!(got.len(), all.len(), "every keyed message arrives");
    for key in keys {
        let order: Vec<String> = got
            .iter()
            .filter(|m| m.ordering_key.as_deref() == Some(key))
            .filter_map(|m| m.attribute("n").map(str::to_string))
            .collect();
        let expected: Vec<String> = (0..per_key).map(|i| i.to_string()).collect();
        assert_eq!(
            order, expected,
            "messages of key {key} arrive in publish order"
        );
    }
}

pub async fn an_empty_publish_is_fine(publisher: &dyn Publisher, topic: &str) {
    publisher
        .publish(topic, Vec::new())
        .await
        .expect("publishing no messages succeeds and sends nothing");
}

pub async fn flush_returns_once_published(
    publisher: &dyn Publisher,
    topic: &str,
    reader: &mut dyn Reader,
) {
    let sent: Vec<Message> = (0..10).map(|i| message(i, None)).collect();
    publisher
        .publish(topic, sent.clone())
        .await
        .expect("publish");
    // Flush waits for the subscriber on LocalBus, so the reader must be draining meanwhile.
    let (flushed, got) = tokio::join!(
        tokio::time::timeout(WITHIN, publisher.flush()),
        reader.read(sent.len(), WITHIN)
    );
    flushed
        .expect("flush returns once what was published is handled")
        .expect("flush");
    assert_eq!(sorted(&got), sorted(&sent), "what was flushed arrived");
}

pub async fn publishing_where_nobody_reads_is_an_error(publisher: &dyn Publisher, unread: &str) {
    let result = publisher.publish(unread, vec![message(0, None)]).await;
    assert!(
        result.is_err(),
        "a topic without subscriptions refuses messages instead of dropping them"
    );
}
