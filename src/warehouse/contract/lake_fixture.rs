//! The suite's lake: hours written by the generator (CSV, `--scale small`), damaged through the
//! lake's `BlobStore`, counted from their manifests, and a store that notes what is read.

use crate::generate::{generate_hour_as, World, GENERATOR_VERSION};
use crate::lake::{
    crc32c_hex, layout, BlobPath, BlobStore, Lake, LakeIdentity, Manifest, ObjectMeta, StoreError,
};
use crate::model::{LakeFormat, PartitionHour, Scale, ScaleName, Table};
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::{Arc, Mutex, OnceLock};

pub(super) const SEED: u64 = 42;

pub(super) fn scale() -> Scale {
    Scale::preset(ScaleName::Small)
}

pub(super) fn world() -> Arc<World> {
    static WORLD: OnceLock<Arc<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| Arc::new(World::new(SEED, &scale())))
        .clone()
}

/// `count` hours from `first`, across a day boundary when `first` is late in the day.
pub fn hours(first: &str, count: i64) -> Vec<PartitionHour> {
    let first: PartitionHour = first.parse().expect("valid hour");
    (0..count)
        .map(|i| first.offset(i).expect("hour in range"))
        .collect()
}

/// Generates and writes these hours as the pipeline does (data, then manifests).
pub async fn write(lake: &Lake, hours: &[PartitionHour]) {
    let identity = LakeIdentity::new(SEED, &scale(), GENERATOR_VERSION);
    lake.ensure_identity(&identity)
        .await
        .expect("lake identity");
    for &hour in hours {
        let world = world();
        let files =
            tokio::task::spawn_blocking(move || generate_hour_as(&world, hour, LakeFormat::Csv))
                .await
                .expect("generate")
                .expect("encode");
        lake.write_hour(hour, files, &identity)
            .await
            .expect("write hour");
    }
}

pub(super) fn path(s: String) -> BlobPath {
    BlobPath::new(s).expect("lake path")
}

pub(super) fn data_path(table: Table, hour: PartitionHour) -> String {
    layout::data_file(table, hour, LakeFormat::Csv)
}

pub(super) async fn read(lake: &Lake, table: Table, hour: PartitionHour) -> Vec<u8> {
    let at = path(data_path(table, hour));
    let bytes = lake.store().get(&at).await;
    bytes.expect("read a data file").to_vec()
}

/// Replaces a data file, leaving its manifest as it is (so the manifest no longer matches).
pub(super) async fn replace(lake: &Lake, table: Table, hour: PartitionHour, bytes: Vec<u8>) {
    let at = path(data_path(table, hour));
    let put = lake.store().put(&at, Bytes::from(bytes));
    put.await.expect("replace a data file");
}

/// Replaces a data file and its manifest's size and checksum to match: bad content only the
/// warehouse's own loading can catch.
pub(super) async fn replace_with_valid_manifest(
    lake: &Lake,
    table: Table,
    hour: PartitionHour,
    text: String,
) {
    let manifest_path = path(layout::manifest(table, hour));
    let json = lake.store().get(&manifest_path).await.expect("manifest");
    let mut manifest: Manifest = serde_json::from_slice(&json).expect("manifest json");
    manifest.files[0].bytes = text.len() as u64;
    manifest.files[0].crc32c = crc32c_hex(text.as_bytes());
    replace(lake, table, hour, text.into_bytes()).await;
    let json = serde_json::to_vec(&manifest).expect("json");
    let put = lake.store().put(&manifest_path, Bytes::from(json));
    put.await.expect("write manifest");
}

pub(super) async fn remove_manifest(lake: &Lake, table: Table, hour: PartitionHour) {
    let at = path(layout::manifest(table, hour));
    let deleted = lake.store().delete(&at);
    deleted.await.expect("delete a manifest");
}

/// Rows the lake's manifests declare for `table` over `hours`.
pub(super) async fn lake_rows(lake: &Lake, table: Table, hours: &[PartitionHour]) -> u64 {
    let mut rows = 0;
    for &hour in hours {
        let manifest = lake.manifest(table, hour).await.expect("manifest");
        rows += manifest.expect("a written hour has manifests").rows;
    }
    rows
}

/// What the managed tables hold once exactly `hours` are loaded, in `Table::ALL` order.
pub(super) async fn expected(lake: &Lake, hours: &[PartitionHour]) -> Vec<u64> {
    let scale = scale();
    vec![
        u64::from(scale.products),
        u64::from(scale.stores),
        lake_rows(lake, Table::SalesData, hours).await,
        lake_rows(lake, Table::InventoryData, hours).await,
        lake_rows(lake, Table::NegativeInventoryAlerts, hours).await,
    ]
}

/// A lake store that notes every object read, to see what a refresh costs.
#[derive(Debug)]
pub(super) struct ReadLog {
    pub(super) store: Arc<dyn BlobStore>,
    pub(super) reads: Mutex<Vec<String>>,
}

impl ReadLog {
    /// The data files read since the last call (manifests and `_lake.json` left out), sorted.
    pub(super) fn data_files_read(&self) -> Vec<String> {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let mut data: Vec<String> = reads.drain(..).filter(|p| !p.starts_with('_')).collect();
        data.sort();
        data
    }
}

#[async_trait]
impl BlobStore for ReadLog {
    async fn put(&self, path: &BlobPath, bytes: Bytes) -> Result<(), StoreError> {
        self.store.put(path, bytes).await
    }
    async fn put_many(&self, objects: Vec<(BlobPath, Bytes)>) -> Result<(), StoreError> {
        self.store.put_many(objects).await
    }
    async fn put_stages(&self, stages: Vec<Vec<(BlobPath, Bytes)>>) -> Result<(), StoreError> {
        self.store.put_stages(stages).await
    }
    async fn get(&self, path: &BlobPath) -> Result<Bytes, StoreError> {
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.as_str().to_string());
        self.store.get(path).await
    }
    async fn exists(&self, path: &BlobPath) -> Result<bool, StoreError> {
        self.store.exists(path).await
    }
    async fn list(&self, prefix: &BlobPath) -> Result<Vec<ObjectMeta>, StoreError> {
        self.store.list(prefix).await
    }
    async fn list_paths(&self, prefix: &BlobPath) -> Result<Vec<BlobPath>, StoreError> {
        self.store.list_paths(prefix).await
    }
    async fn list_dirs(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        self.store.list_dirs(prefix).await
    }
    async fn delete(&self, path: &BlobPath) -> Result<(), StoreError> {
        self.store.delete(path).await
    }
    fn describe(&self) -> String {
        self.store.describe()
    }
}
