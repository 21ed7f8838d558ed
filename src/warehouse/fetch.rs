//! Reading one lake partition for loading: the bytes, checked against the manifest and the
//! data contract's header before any warehouse sees them.

use super::report::{PartitionFailure, PartitionReason};
use crate::lake::{Lake, LakeError, Manifest, StoreError};
use crate::model::{LakeFormat, PartitionHour, Table};
use bytes::Bytes;

/// A partition whose files matched their manifest (size, crc32c, rows) and whose header is
/// the contract's. Loaders load these bytes, not a second read of the lake.
#[derive(Debug, Clone)]
pub struct VerifiedPartition {
    pub table: Table,
    pub hour: PartitionHour,
    pub manifest: Manifest,
    /// The files' contents, in the manifest's order.
    pub contents: Vec<Bytes>,
}

impl VerifiedPartition {
    /// The manifest's checksums, comma-separated (one per file), as recorded when loaded.
    pub fn crc32c(&self) -> String {
        let crcs: Vec<&str> = self
            .manifest
            .files
            .iter()
            .map(|f| f.crc32c.as_str())
            .collect();
        crcs.join(",")
    }

    /// The files' format, from their paths (a lake holds one format, so the first decides).
    pub fn format(&self) -> LakeFormat {
        self.manifest
            .files
            .first()
            .and_then(|f| LakeFormat::of_path(&f.path))
            .unwrap_or_default()
    }

    /// The lake paths of the files, for messages.
    pub fn paths(&self) -> String {
        let paths: Vec<&str> = self
            .manifest
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        paths.join(", ")
    }
}

/// Reads and checks a partition. Any problem becomes a failure naming the file at fault.
pub async fn fetch_partition(
    lake: &Lake,
    table: Table,
    hour: PartitionHour,
) -> Result<VerifiedPartition, PartitionFailure> {
    let fail = |path: String, reason: PartitionReason| PartitionFailure {
        hour,
        table,
        path,
        reason,
    };
    let (manifest, contents) = lake.read_verified(table, hour).await.map_err(|e| match e {
        LakeError::Corrupt { path, reason, .. } => fail(path, PartitionReason::Corrupt(reason)),
        LakeError::Store(StoreError::NotFound(path)) => {
            fail(path.to_string(), PartitionReason::Missing)
        }
        other => fail(
            crate::lake::layout::manifest(table, hour),
            PartitionReason::Lake(std::sync::Arc::new(other)),
        ),
    })?;
    if manifest.table != table.name()
        || manifest.date != hour.date_string()
        || manifest.hour != hour.hour()
    {
        return Err(fail(
            crate::lake::layout::manifest(table, hour),
            PartitionReason::WrongManifest {
                table: manifest.table.clone(),
                date: manifest.date.clone(),
                hour: manifest.hour,
            },
        ));
    }
    let header = table.columns().join(",");
    for (file, bytes) in manifest.files.iter().zip(&contents) {
        // A Parquet file's columns are checked by its reader, which selects each by name.
        if LakeFormat::of_path(&file.path) == Some(LakeFormat::Parquet) {
            continue;
        }
        let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        if first != header.as_bytes() {
            return Err(fail(
                file.path.clone(),
                PartitionReason::Header {
                    found: String::from_utf8_lossy(&first[..first.len().min(200)]).into_owned(),
                    expected: header.clone(),
                },
            ));
        }
    }
    Ok(VerifiedPartition {
        table,
        hour,
        manifest,
        contents,
    })
}
