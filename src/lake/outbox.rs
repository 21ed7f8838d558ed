//! The alert outbox: a marker per hour whose negative-stock alerts are owed to the bus. The
//! marker is written before the hour's data and removed once its alerts are published, so an
//! hour sealed while the bus was down (or a process killed between sealing and publishing)
//! is still known to owe its alerts, and the next generate run publishes them. Delivery is
//! therefore at least once: consumers drop repeats by `alert_id`.

use super::{layout, Lake, LakeError};
use crate::model::PartitionHour;
use bytes::Bytes;

impl Lake {
    /// Records that `hour` owes `alerts` alerts to the bus. Idempotent (same bytes).
    pub async fn mark_alerts_pending(
        &self,
        hour: PartitionHour,
        alerts: usize,
    ) -> Result<(), LakeError> {
        let body = serde_json::json!({ "hour": hour.to_string(), "alerts": alerts });
        let path = Self::path(layout::alerts_pending(hour))?;
        self.store
            .put(&path, Bytes::from(body.to_string().into_bytes()))
            .await?;
        Ok(())
    }

    /// Records that `hour`'s alerts are published. Idempotent: no marker is not an error.
    pub async fn clear_alerts_pending(&self, hour: PartitionHour) -> Result<(), LakeError> {
        let path = Self::path(layout::alerts_pending(hour))?;
        self.store.delete(&path).await?;
        Ok(())
    }

    /// Every hour that owes its alerts, in order. One listing; empty when nothing is owed.
    pub async fn pending_alert_hours(&self) -> Result<Vec<PartitionHour>, LakeError> {
        let dir = Self::path(layout::ALERTS_PENDING.into())?;
        let mut hours: Vec<PartitionHour> = self
            .store
            .list_paths(&dir)
            .await?
            .iter()
            .filter_map(|path| layout::alerts_pending_hour(path.as_str()))
            .collect();
        hours.sort();
        hours.dedup();
        Ok(hours)
    }
}
