//! What a subscription knows of each message it delivers, and a row with it.
//!
//! Deployed, Pub/Sub BigQuery subscriptions with `write_metadata` write four columns beside the
//! message's own fields: `subscription_name`, `message_id`, `publish_time` and `attributes`.
//! The in-process subscriber writes the same four, from the same facts, so a stream table has
//! one shape wherever it runs (`sql/bigquery/schemas/`, `sql/duckdb/03_event_tables.sql`).

use super::Message;
use crate::generate::events::EventTime;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Deref;

/// How a message reached its subscriber: set by the bus that delivered it (`LocalBus` on
/// delivery, Pub/Sub from its pull response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The subscription that delivered the message (Pub/Sub's full name, or
    /// `<topic>-local` on the in-process bus).
    pub subscription: String,
    /// The bus's id of the message: every delivery of one published message carries the same.
    pub message_id: String,
    /// When the bus accepted the message.
    pub publish_time: EventTime,
}

/// The metadata columns of one row, as a BigQuery subscription writes them. All nullable: a
/// row written without a bus (a test, a replay) has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowMetadata {
    pub subscription_name: Option<String>,
    pub message_id: Option<String>,
    pub publish_time: Option<EventTime>,
    pub attributes: Option<BTreeMap<String, String>>,
}

impl RowMetadata {
    /// The metadata of `message` as its subscription delivered it.
    pub fn of(message: &Message) -> Self {
        let delivery = message.delivery.as_ref();
        Self {
            subscription_name: delivery.map(|d| d.subscription.clone()),
            message_id: delivery.map(|d| d.message_id.clone()),
            publish_time: delivery.map(|d| d.publish_time),
            attributes: Some(message.attributes.clone()),
        }
    }
}

/// A typed row and the metadata of the message it came in. Serializes flat: the row's fields,
/// then the four metadata columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered<T> {
    #[serde(flatten)]
    pub row: T,
    #[serde(flatten)]
    pub meta: RowMetadata,
}

impl<T> Delivered<T> {
    pub fn new(row: T, meta: RowMetadata) -> Self {
        Self { row, meta }
    }
}

/// A row with no metadata: what tests and replays build.
impl<T> From<T> for Delivered<T> {
    fn from(row: T) -> Self {
        Self::new(row, RowMetadata::default())
    }
}

impl<T> Deref for Delivered<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.row
    }
}
