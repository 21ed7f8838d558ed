//! The raw event archive (seed 004): every accepted event's JSON as received, one per line, in
//! `events/<type>/YYYY/MM/DD/HH/MM/<file>.jsonl` by event time (UTC).

use crate::generate::events::{EventTime, EventType};
use crate::lake::{crc32c_hex, BlobPath, StoreError};
use chrono::{Datelike, Timelike};
use std::collections::BTreeMap;

/// The archive's top directory in the lake.
pub const ARCHIVE_ROOT: &str = "events";

/// Accepted events of one batch, grouped into the files they go to.
#[derive(Debug, Default)]
pub struct ArchiveFiles {
    /// (type, minute since the epoch) -> (first event id, JSONL bytes, events).
    groups: BTreeMap<(EventType, i64), (String, Vec<u8>, usize)>,
}

impl ArchiveFiles {
    /// Adds one event's raw JSON. Line breaks are whitespace in valid JSON (inside strings they
    /// must be escaped), so turning them into spaces keeps the bytes' meaning and makes the
    /// event one line.
    pub fn add(&mut self, ty: EventType, at: EventTime, event_id: &str, raw: &[u8]) {
        let minute = at.millis().div_euclid(60_000);
        let (_, bytes, count) = self
            .groups
            .entry((ty, minute))
            .or_insert_with(|| (event_id.to_string(), Vec::new(), 0));
        bytes.extend(
            raw.iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
        bytes.push(b'\n');
        *count += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The files: named by the first event's id and the content's CRC32C, so a retried batch
    /// rewrites the same bytes under the same name and no two batches share a name.
    pub fn into_files(self) -> Result<Vec<(BlobPath, Vec<u8>, usize)>, StoreError> {
        self.groups
            .into_iter()
            .map(|((ty, minute), (first, bytes, count))| {
                let dir = minute_dir(ty, EventTime::from_millis(minute * 60_000))?;
                let path = BlobPath::new(format!("{dir}/{first}-{}.jsonl", crc32c_hex(&bytes)))?;
                Ok((path, bytes, count))
            })
            .collect()
    }
}

/// `events/<type>/YYYY/MM/DD/HH/MM` of an event time.
pub fn minute_dir(ty: EventType, at: EventTime) -> Result<String, StoreError> {
    let t = at
        .datetime()
        .ok_or_else(|| StoreError::InvalidPath(format!("event time {at} out of range")))?;
    Ok(format!(
        "{ARCHIVE_ROOT}/{}/{:04}/{:02}/{:02}/{:02}/{:02}",
        ty.as_str(),
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_type_and_minute() {
        let at = EventTime::parse("2026-11-22T05:07:59.999Z").unwrap();
        let mut files = ArchiveFiles::default();
        files.add(EventType::Order, at, "evt-1", b"{\"a\":\n1}");
        files.add(EventType::Order, at.plus_millis(1), "evt-2", b"{}");
        files.add(EventType::Order, at, "evt-3", b"{}");
        files.add(EventType::Inventory, at, "evt-4", b"{}");
        let files = files.into_files().unwrap();
        let names: Vec<(&str, usize)> = files.iter().map(|(p, _, n)| (p.as_str(), *n)).collect();
        assert_eq!(names.len(), 3);
        assert!(
            names[0]
                .0
                .starts_with("events/order/2026/11/22/05/07/evt-1-"),
            "{names:?}"
        );
        assert_eq!(names[0].1, 2);
        assert!(names[1]
            .0
            .starts_with("events/order/2026/11/22/05/08/evt-2-"));
        assert!(names[2]
            .0
            .starts_with("events/inventory/2026/11/22/05/07/evt-4-"));
        assert_eq!(files[0].1, b"{\"a\": 1}\n{}\n");
    }
}
