//! Negative-stock alerts on the bus (seed 000): one message per alert row, keyed by
//! `store_id/product_id` so that the alerts of one shelf arrive in hour order.

use super::{BusError, Message, Publisher, ATTR_ALERT_ID, ATTR_EVENT_TYPE, ATTR_SCHEMA_VERSION};
use crate::generate::NegativeStockAlert;

/// `event_type` attribute of alert messages.
pub const ALERT_EVENT_TYPE: &str = "negative_inventory_alert";
/// Version of the alert JSON (the `negative_inventory_alerts` columns).
pub const ALERT_SCHEMA_VERSION: u32 = 1;

/// The messages for an hour's alerts: JSON of the row, attributes `event_type`,
/// `schema_version` and `alert_id`, ordering key `store_id/product_id`.
pub fn alert_messages(alerts: &[NegativeStockAlert]) -> Vec<Message> {
    alerts
        .iter()
        .map(|alert| {
            // A struct of strings and integers: serialization cannot fail.
            let data = serde_json::to_vec(alert).unwrap_or_default();
            Message::new(data)
                .with_attribute(ATTR_EVENT_TYPE, ALERT_EVENT_TYPE)
                .with_attribute(ATTR_SCHEMA_VERSION, ALERT_SCHEMA_VERSION.to_string())
                .with_attribute(ATTR_ALERT_ID, alert.alert_id.clone())
                .with_ordering_key(format!("{}/{}", alert.store_id, alert.product_id))
        })
        .collect()
}

/// Publishes an hour's alerts in one batch and returns how many were published. Publishing an
/// hour twice publishes the same alert ids again; consumers drop them by `alert_id`.
pub async fn publish_alerts(
    publisher: &dyn Publisher,
    topic: &str,
    alerts: &[NegativeStockAlert],
) -> Result<usize, BusError> {
    if alerts.is_empty() {
        return Ok(0);
    }
    publisher.publish(topic, alert_messages(alerts)).await?;
    Ok(alerts.len())
}
