//! A subscriber fed by the in-process bus, as `serve` wires them on the embedded backends.

use retail_pipeline::bus::{spawn_subscriber, LocalBus, Publisher, Subscriber};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A `LocalBus` whose `topics` each feed one subscriber task until `drain`.
pub struct SubscribedBus {
    pub bus: LocalBus,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl SubscribedBus {
    pub fn new(capacity: usize, subscriber: &Arc<Subscriber>, topics: &[&str]) -> Self {
        let bus = LocalBus::new(capacity);
        let cancel = CancellationToken::new();
        let tasks = topics
            .iter()
            .map(|topic| spawn_subscriber(subscriber.clone(), bus.subscribe(topic), cancel.clone()))
            .collect();
        Self { bus, cancel, tasks }
    }

    /// Waits (up to 20 s) until the subscriber has taken every message published, then ends
    /// its tasks.
    pub async fn drain(self) {
        tokio::time::timeout(Duration::from_secs(20), self.bus.flush())
            .await
            .expect("the bus drains within 20 s")
            .expect("flush");
        self.cancel.cancel();
        for task in self.tasks {
            task.await.expect("subscriber task");
        }
    }
}
