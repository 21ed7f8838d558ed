//! The message bus between producers (scenario runs, hourly alerts) and the subscriber that
//! lands messages in the lake and the warehouse: the `Publisher` trait, the in-process
//! `LocalBus`, alert publishing and the subscriber.

pub mod alerts;
pub mod archive;
pub mod contract;
pub mod delivery;
mod local;
#[cfg(feature = "gcp")]
mod pubsub;
pub mod sink;
pub mod sink_contract;
pub mod subscriber;

pub use alerts::{alert_messages, publish_alerts, ALERT_EVENT_TYPE, ALERT_SCHEMA_VERSION};
pub use delivery::{Delivered, Delivery, RowMetadata};
pub use local::{LocalBus, Subscription, TopicStats};
#[cfg(feature = "gcp")]
pub use pubsub::{PubSubBus, PubSubConfig, PublishStats, Pulled};
pub use sink::{DeadLetter, EventSink, LakeEventSink, MemorySink, SinkBatch, SinkError, TeeSink};
pub use subscriber::{
    spawn_subscriber, StatsSnapshot, Subscriber, SubscriberConfig, SubscriberStats,
};

use crate::generate::events::Event;
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fmt;

/// Default topic names (`--alerts-topic` and `--events-topic`), those of seed 003.
pub const DEFAULT_ALERTS_TOPIC: &str = "inventory-updates";
pub const DEFAULT_EVENTS_TOPIC: &str = "retail-events";

/// Attribute names carried by every message, so consumers can route without parsing data.
pub const ATTR_EVENT_TYPE: &str = "event_type";
pub const ATTR_SCHEMA_VERSION: &str = "schema_version";
pub const ATTR_ALERT_ID: &str = "alert_id";

/// The two topics the service uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub alerts: String,
    pub events: String,
}

impl Default for Topics {
    fn default() -> Self {
        Self {
            alerts: DEFAULT_ALERTS_TOPIC.to_string(),
            events: DEFAULT_EVENTS_TOPIC.to_string(),
        }
    }
}

/// One message: opaque data, string attributes, and an optional ordering key (as in Pub/Sub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub data: Bytes,
    pub attributes: BTreeMap<String, String>,
    /// Messages with the same key are delivered in the order they were published.
    pub ordering_key: Option<String>,
    /// Set by the bus on delivery (`None` on a message being published).
    pub delivery: Option<Delivery>,
}

impl Message {
    pub fn new(data: impl Into<Bytes>) -> Self {
        Self {
            data: data.into(),
            attributes: BTreeMap::new(),
            ordering_key: None,
            delivery: None,
        }
    }

    pub fn with_attribute(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(key.to_string(), value.into());
        self
    }

    pub fn with_ordering_key(mut self, key: impl Into<String>) -> Self {
        self.ordering_key = Some(key.into());
        self
    }

    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// The message for an event: its JSON, with `event_type` and `schema_version` attributes.
    /// No ordering key: events of a run need no order between them, and unordered delivery
    /// is what lets Pub/Sub spread them over subscribers.
    pub fn event(event: &Event) -> Self {
        let (event_type, version) = (event.event_type().as_str(), event_schema_version(event));
        Self::new(event.to_json_bytes())
            .with_attribute(ATTR_EVENT_TYPE, event_type)
            .with_attribute(ATTR_SCHEMA_VERSION, version.to_string())
    }
}

fn event_schema_version(event: &Event) -> u32 {
    match event {
        Event::Order(e) => e.schema_version,
        Event::Inventory(e) => e.schema_version,
        Event::UserActivity(e) => e.schema_version,
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// Nothing would receive the messages. Refused rather than dropped.
    #[error("topic '{topic}' has no subscription: its messages would be lost")]
    NoSubscription { topic: String },
    /// The subscription went away while messages were being delivered to it.
    #[error("the subscription of topic '{topic}' closed during publish; {delivered} of {total} messages were delivered")]
    Closed {
        topic: String,
        delivered: usize,
        total: usize,
    },
    /// The topic does not exist on the bus's service (`name`: the service's full name).
    #[error("topic {name} does not exist")]
    NoTopic { topic: String, name: String },
    /// A subscription the service would deliver through exists with other settings; kept,
    /// not changed, as someone else may rely on them.
    #[error("topic '{topic}': {problem}")]
    Misconfigured { topic: String, problem: String },
    /// The bus's service failed a request (no answer, or an error status).
    #[cfg(feature = "gcp")]
    #[error("the bus's service failed a request for topic '{topic}'")]
    Service {
        topic: String,
        #[source]
        source: crate::gcp::GcpError,
    },
    /// The service answered a publish in a way its API does not (`problem` says how).
    #[error("topic '{topic}': {problem}")]
    Protocol { topic: String, problem: String },
    /// A publish call failed after the service had accepted `accepted` of its `total`
    /// messages; retry the whole call (consumers drop the duplicates).
    #[error("{accepted} of {total} messages to topic '{topic}' accepted before the failure")]
    Partial {
        topic: String,
        accepted: usize,
        total: usize,
        #[source]
        source: Box<BusError>,
    },
    /// The publisher takes no more messages (its permits were closed; nothing closes them today).
    #[error("the publisher of topic '{topic}' is shut down")]
    ShutDown { topic: String },
}

/// Publishes messages to named topics. Held as `Arc<dyn Publisher>`; every method may be
/// called from many tasks at once.
///
/// Delivery is at least once on every backend (exactly once on `LocalBus`): consumers drop
/// duplicates by `event_id` or `alert_id`.
#[async_trait]
pub trait Publisher: Send + Sync + fmt::Debug {
    /// Publishes `messages` to `topic`, in order.
    ///
    /// - Success means the bus has accepted every message: each will be delivered to every
    ///   subscription of the topic, even if the caller goes away at once. It does not mean a
    ///   subscriber has handled them; `flush` waits for that.
    /// - Ordering: messages with the same ordering key reach a subscription in publish order,
    ///   within a call and across calls made one after another. Messages without a key may be
    ///   reordered (Pub/Sub does; `LocalBus` keeps publish order).
    /// - Batching: one call carries any number of messages; the backend splits them into its
    ///   own batches (Pub/Sub: 1,000 messages or 10 MB). Batch calls are much cheaper than
    ///   one call per message.
    /// - Back-pressure: when the bus is full the call waits; it never buffers without bound.
    ///   A slow subscriber therefore slows publishers down.
    /// - Failure: an error may come after a prefix of the batch was accepted (the error says
    ///   how many where the backend knows). Retrying the whole batch is safe because
    ///   consumers deduplicate. A topic nobody subscribes to is an error, not a sink.
    /// - Cancellation: dropping the future may leave a prefix published.
    async fn publish(&self, topic: &str, messages: Vec<Message>) -> Result<(), BusError>;

    /// Waits until every message published before the call has been handled by its
    /// subscribers (on `LocalBus`: acknowledged after being written), or, for a remote bus,
    /// accepted by the server. Used at shutdown; wrap it in a timeout there.
    async fn flush(&self) -> Result<(), BusError>;

    /// Which backend this is, for logs and status (never a secret).
    fn describe(&self) -> String;
}
