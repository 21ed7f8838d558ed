//! The lake: hourly tables in Hive partitions on a `BlobStore`, each partition sealed by a
//! manifest written after its data.

pub mod contract;
#[cfg(feature = "gcp")]
mod gcs;
mod local;
mod manifest;
mod outbox;
mod store;

#[cfg(feature = "gcp")]
pub use gcs::GcsStore;
pub use local::LocalDirStore;
pub use manifest::{crc32c_hex, layout, LakeIdentity, Manifest, ManifestFile};
pub use store::{BlobPath, BlobStore, ObjectMeta, StoreError};

use crate::generate::TableFile;
use crate::model::{LakeFormat, PartitionHour, Table};
use bytes::Bytes;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lake at {location} was generated with {found}; this run uses {wanted}. Use another data directory or the same settings")]
    IdentityMismatch {
        location: String,
        found: String,
        wanted: String,
    },
    #[error("the lake at {location} holds {found} files; this run writes {wanted} (--lake-format, RP_LAKE_FORMAT). Use --lake-format {found} or another data directory")]
    FormatMismatch {
        location: String,
        found: LakeFormat,
        wanted: LakeFormat,
    },
    #[error("corrupt {what} at {path}: {reason}")]
    Corrupt {
        what: &'static str,
        path: String,
        reason: String,
    },
}

/// Figures of one written hour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourWritten {
    pub rows: [u64; Table::COUNT],
    pub bytes: u64,
}

/// The lake on top of any `BlobStore`.
#[derive(Debug, Clone)]
pub struct Lake {
    store: Arc<dyn BlobStore>,
}

impl Lake {
    pub fn new(store: Arc<dyn BlobStore>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.store
    }

    fn path(p: String) -> Result<BlobPath, LakeError> {
        Ok(BlobPath::new(p)?)
    }

    /// Records `wanted` as the lake's identity, or checks it against the one recorded.
    pub async fn ensure_identity(&self, wanted: &LakeIdentity) -> Result<(), LakeError> {
        let path = Self::path(layout::IDENTITY.into())?;
        match self.store.get(&path).await {
            Ok(bytes) => {
                let found: LakeIdentity =
                    serde_json::from_slice(&bytes).map_err(|e| LakeError::Corrupt {
                        what: "lake identity",
                        path: path.to_string(),
                        reason: e.to_string(),
                    })?;
                if found.format != wanted.format
                    && found == wanted.clone().with_format(found.format)
                {
                    return Err(LakeError::FormatMismatch {
                        location: self.store.describe(),
                        found: found.format,
                        wanted: wanted.format,
                    });
                }
                if &found != wanted {
                    return Err(LakeError::IdentityMismatch {
                        location: self.store.describe(),
                        found: found.summary(),
                        wanted: wanted.summary(),
                    });
                }
                Ok(())
            }
            Err(StoreError::NotFound(_)) => {
                let json = serde_json::to_vec_pretty(wanted).unwrap_or_default();
                self.store.put(&path, Bytes::from(json)).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes one hour: every table's data file first, then every manifest. Rewriting an hour
    /// with the same inputs writes the same bytes, so this is idempotent.
    pub async fn write_hour(
        &self,
        hour: PartitionHour,
        files: Vec<TableFile>,
        identity: &LakeIdentity,
    ) -> Result<HourWritten, LakeError> {
        let mut written = HourWritten::default();
        let mut manifests = Vec::with_capacity(files.len());
        let mut puts = Vec::with_capacity(files.len());
        for file in files {
            let data_path = layout::data_file(file.table, hour, identity.format);
            let manifest = Manifest {
                table: file.table.name().to_string(),
                date: hour.date_string(),
                hour: hour.hour(),
                rows: file.rows,
                files: vec![ManifestFile::describe(
                    data_path.clone(),
                    file.rows,
                    file.bytes.len() as u64,
                    file.crc32c,
                )],
                seed: identity.seed,
                generator_version: identity.generator_version,
            };
            written.rows[file.table.index()] = file.rows;
            written.bytes += file.bytes.len() as u64;
            manifests.push((Self::path(layout::manifest(file.table, hour))?, manifest));
            puts.push((Self::path(data_path)?, Bytes::from(file.bytes)));
        }
        let manifests = manifests
            .into_iter()
            .map(|(path, manifest)| {
                let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
                (path, Bytes::from(json))
            })
            .collect();
        // The data files first, then their manifests: a manifest is the hour's commit point.
        self.store.put_stages(vec![puts, manifests]).await?;
        Ok(written)
    }

    /// Hours of `date` whose partitions are complete in every table.
    pub async fn complete_hours(&self, date: NaiveDate) -> Result<BTreeSet<u8>, LakeError> {
        let date = date.format("%Y-%m-%d").to_string();
        let mut complete: Option<BTreeSet<u8>> = None;
        for table in Table::ALL {
            let dir = Self::path(layout::manifest_dir(table, &date))?;
            let hours: BTreeSet<u8> = self
                .store
                .list_paths(&dir)
                .await?
                .iter()
                .filter_map(|path| layout::manifest_hour(path.as_str()))
                .collect();
            complete = Some(match complete {
                None => hours,
                Some(prev) => prev.intersection(&hours).copied().collect(),
            });
        }
        Ok(complete.unwrap_or_default())
    }

    /// The hours, in order, that are not complete in the lake.
    pub async fn missing_hours(
        &self,
        hours: impl IntoIterator<Item = PartitionHour>,
    ) -> Result<Vec<PartitionHour>, LakeError> {
        let mut missing = Vec::new();
        let mut current: Option<(NaiveDate, BTreeSet<u8>)> = None;
        for hour in hours {
            let complete = match &current {
                Some((date, set)) if *date == hour.date() => set,
                _ => {
                    let set = self.complete_hours(hour.date()).await?;
                    &current.insert((hour.date(), set)).1
                }
            };
            if !complete.contains(&hour.hour()) {
                missing.push(hour);
            }
        }
        Ok(missing)
    }

    /// The manifest of a partition, or `None` if the partition is not complete.
    pub async fn manifest(
        &self,
        table: Table,
        hour: PartitionHour,
    ) -> Result<Option<Manifest>, LakeError> {
        let path = Self::path(layout::manifest(table, hour))?;
        match self.store.get(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| LakeError::Corrupt {
                    what: "manifest",
                    path: path.to_string(),
                    reason: e.to_string(),
                }),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a complete partition's files and checks them against the manifest.
    pub async fn verify(&self, table: Table, hour: PartitionHour) -> Result<Manifest, LakeError> {
        self.read_verified(table, hour).await.map(|(m, _)| m)
    }

    /// Reads a complete partition's files, checked against the manifest (size, crc32c, rows),
    /// and returns them in the manifest's order: readers that load the data use these very
    /// bytes, so nothing can change between the check and the load.
    pub async fn read_verified(
        &self,
        table: Table,
        hour: PartitionHour,
    ) -> Result<(Manifest, Vec<Bytes>), LakeError> {
        let manifest_path = layout::manifest(table, hour);
        let manifest = self
            .manifest(table, hour)
            .await?
            .ok_or_else(|| LakeError::Corrupt {
                what: "partition",
                path: manifest_path,
                reason: "no manifest: the partition is incomplete".into(),
            })?;
        let mut contents = Vec::with_capacity(manifest.files.len());
        for file in &manifest.files {
            let bytes = self.store.get(&Self::path(file.path.clone())?).await?;
            let crc = crc32c_hex(&bytes);
            let problem = if bytes.len() as u64 != file.bytes {
                Some(format!(
                    "{} bytes, manifest says {}",
                    bytes.len(),
                    file.bytes
                ))
            } else if crc != file.crc32c {
                Some(format!("crc32c {crc}, manifest says {}", file.crc32c))
            } else {
                match data_rows(&file.path, &bytes) {
                    Ok(rows) if rows == file.rows => None,
                    Ok(rows) => Some(format!("{rows} rows, manifest says {}", file.rows)),
                    Err(reason) => Some(reason),
                }
            };
            if let Some(reason) = problem {
                return Err(LakeError::Corrupt {
                    what: "data file",
                    path: file.path.clone(),
                    reason,
                });
            }
            contents.push(bytes);
        }
        Ok((manifest, contents))
    }
}

/// The data rows of a lake file, by its format (from the path's extension): CSV lines past
/// the header, or the row count of a Parquet footer (which also proves the footer readable).
fn data_rows(path: &str, bytes: &Bytes) -> Result<u64, String> {
    match LakeFormat::of_path(path) {
        Some(LakeFormat::Parquet) => {
            let meta = parquet::file::metadata::ParquetMetaDataReader::new()
                .parse_and_finish(bytes)
                .map_err(|e| format!("unreadable parquet footer: {e}"))?;
            u64::try_from(meta.file_metadata().num_rows())
                .map_err(|_| "negative row count in the parquet footer".to_string())
        }
        Some(LakeFormat::Csv) | None => {
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            Ok(lines.saturating_sub(1))
        }
    }
}
