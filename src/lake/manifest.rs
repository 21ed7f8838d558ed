//! Partition manifests and the lake's identity: what makes a partition complete and checkable.

use crate::model::{LakeFormat, PartitionHour, Scale, Table};
use serde::{Deserialize, Serialize};

/// Written last into `_manifests/<table>/date=YYYY-MM-DD/hour=HH.json`, after the partition's
/// data files. A partition without one is incomplete: readers skip it and writers redo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub table: String,
    pub date: String,
    pub hour: u8,
    /// Data rows across the files (headers not counted).
    pub rows: u64,
    pub files: Vec<ManifestFile>,
    pub seed: u64,
    pub generator_version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Object path from the lake's root.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    /// CRC32C of the bytes, as eight lowercase hex digits (the checksum Cloud Storage keeps).
    pub crc32c: String,
}

impl ManifestFile {
    /// A file of `bytes` bytes whose CRC-32C is `crc32c`.
    pub fn describe(path: String, rows: u64, bytes: u64, crc32c: u32) -> Self {
        Self {
            path,
            rows,
            bytes,
            crc32c: crc32c_text(crc32c),
        }
    }
}

pub fn crc32c_hex(bytes: &[u8]) -> String {
    crc32c_text(crc32c::crc32c(bytes))
}

/// A CRC-32C as manifests and their checks spell it: eight lowercase hex digits.
fn crc32c_text(crc: u32) -> String {
    format!("{crc:08x}")
}

/// What generated a lake, kept in `_lake.json`. Writing into a lake made with another seed,
/// scale, generator version or file format would mix two data sets, so it is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakeIdentity {
    pub seed: u64,
    pub scale: String,
    pub products: u32,
    pub stores: u32,
    pub customers: u32,
    pub oversell_rate: f64,
    pub generator_version: u32,
    /// The data files' format; a `_lake.json` written before Parquet existed has none and
    /// holds CSV.
    #[serde(default)]
    pub format: LakeFormat,
}

impl LakeIdentity {
    pub fn new(seed: u64, scale: &Scale, generator_version: u32) -> Self {
        Self {
            seed,
            scale: scale.name.to_string(),
            products: scale.products,
            stores: scale.stores,
            customers: scale.customers,
            oversell_rate: scale.oversell_rate,
            generator_version,
            format: LakeFormat::Csv,
        }
    }

    /// The same identity for a lake of `format` files.
    pub fn with_format(mut self, format: LakeFormat) -> Self {
        self.format = format;
        self
    }

    /// A one-line summary for error messages.
    pub fn summary(&self) -> String {
        format!(
            "seed {}, scale {} ({} products, {} stores, oversell {}), generator v{}, {} files",
            self.seed,
            self.scale,
            self.products,
            self.stores,
            self.oversell_rate,
            self.generator_version,
            self.format
        )
    }
}

/// Where things live in the lake.
pub mod layout {
    use super::*;

    pub const IDENTITY: &str = "_lake.json";
    pub const MANIFESTS: &str = "_manifests";
    /// Markers of hours whose alerts are not yet published (see `Lake::mark_alerts_pending`).
    pub const ALERTS_PENDING: &str = "_alerts_pending";

    /// `date=YYYY-MM-DD/hour=HH`, the Hive partition of an hour.
    pub fn partition(hour: PartitionHour) -> String {
        format!("date={}/hour={:02}", hour.date_string(), hour.hour())
    }

    pub fn data_file(table: Table, hour: PartitionHour, format: LakeFormat) -> String {
        format!(
            "{}/{}/part-00000.{}",
            table.name(),
            partition(hour),
            format.extension()
        )
    }

    pub fn manifest(table: Table, hour: PartitionHour) -> String {
        format!("{MANIFESTS}/{}/{}.json", table.name(), partition(hour))
    }

    /// The directory holding one date's manifests of a table.
    pub fn manifest_dir(table: Table, date: &str) -> String {
        format!("{MANIFESTS}/{}/date={date}", table.name())
    }

    pub fn alerts_pending(hour: PartitionHour) -> String {
        format!("{ALERTS_PENDING}/{}.json", partition(hour))
    }

    /// The hour of an `alerts_pending` path: `.../date=2026-11-20/hour=05.json`.
    pub fn alerts_pending_hour(path: &str) -> Option<PartitionHour> {
        let mut parts = path.rsplit('/');
        let hour = manifest_hour(parts.next()?)?;
        let date = parts.next()?.strip_prefix("date=")?.parse().ok()?;
        PartitionHour::new(date, hour).ok()
    }

    /// The hour of a manifest path inside `manifest_dir`: `.../hour=05.json` -> 5.
    pub fn manifest_hour(path: &str) -> Option<u8> {
        let name = path.rsplit('/').next()?;
        let hour = name.strip_prefix("hour=")?.strip_suffix(".json")?;
        if hour.len() != 2 {
            return None;
        }
        hour.parse().ok().filter(|h| *h < 24)
    }
}

#[cfg(test)]
mod tests {
    use super::layout::*;
    use super::*;

    #[test]
    fn paths_follow_the_hive_layout() {
        let h: PartitionHour = "2026-11-22T05".parse().unwrap();
        assert_eq!(
            data_file(Table::SalesData, h, LakeFormat::Csv),
            "sales_data/date=2026-11-22/hour=05/part-00000.csv"
        );
        assert_eq!(
            data_file(Table::SalesData, h, LakeFormat::Parquet),
            "sales_data/date=2026-11-22/hour=05/part-00000.parquet"
        );
        assert_eq!(
            manifest(Table::SalesData, h),
            "_manifests/sales_data/date=2026-11-22/hour=05.json"
        );
        assert_eq!(manifest_hour(&manifest(Table::Stores, h)), Some(5));
        assert_eq!(manifest_hour("x/hour=5.json"), None);
        assert_eq!(manifest_hour("x/hour=24.json"), None);
        assert_eq!(
            alerts_pending(h),
            "_alerts_pending/date=2026-11-22/hour=05.json"
        );
        assert_eq!(alerts_pending_hour(&alerts_pending(h)), Some(h));
        assert_eq!(alerts_pending_hour("_alerts_pending/hour=05.json"), None);
        assert_eq!(
            alerts_pending_hour("_alerts_pending/date=2026-13-01/hour=05.json"),
            None
        );
    }

    #[test]
    fn an_identity_without_a_format_is_a_csv_lake() {
        let scale = Scale::preset(crate::model::ScaleName::Small);
        let csv = LakeIdentity::new(42, &scale, 2);
        let mut json = serde_json::to_value(&csv).unwrap();
        json.as_object_mut().unwrap().remove("format");
        let old: LakeIdentity = serde_json::from_value(json).unwrap();
        assert_eq!(old, csv);
        assert_ne!(old, csv.with_format(LakeFormat::Parquet));
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c_hex(b"123456789"), "e3069283");
    }
}
