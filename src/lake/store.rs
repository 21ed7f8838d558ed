//! `BlobStore`: the one interface the lake needs from a storage system.

use async_trait::async_trait;
use bytes::Bytes;
use std::fmt;

/// A validated object path: `/`-separated, relative, no empty, `.` or `..` segments, and no
/// segment starting with `.tmp` (reserved for in-flight writes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobPath(String);

impl BlobPath {
    pub fn new(path: impl Into<String>) -> Result<Self, StoreError> {
        let path = path.into();
        let ok = !path.is_empty()
            && path.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && !seg.starts_with(".tmp")
                    && !seg.contains('\\')
                    && !seg.chars().any(char::is_control)
            });
        if ok {
            Ok(Self(path))
        } else {
            Err(StoreError::InvalidPath(path))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path below this one (`self/child`).
    pub fn join(&self, child: &str) -> Result<Self, StoreError> {
        Self::new(format!("{}/{child}", self.0))
    }
}

impl fmt::Display for BlobPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object found by `list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub path: BlobPath,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object not found: {0}")]
    NotFound(BlobPath),
    #[error("invalid object path '{0}'")]
    InvalidPath(String),
    #[error("storage error at {location}: {source}")]
    Io {
        location: String,
        #[source]
        source: std::io::Error,
    },
    #[error("storage backend error at {location}: {message}")]
    Backend { location: String, message: String },
}

/// Object storage for the lake: a flat namespace of paths holding immutable byte blobs.
///
/// Every backend passes the shared suite in `lake::contract`.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Writes `bytes` at `path`, replacing any object there.
    ///
    /// Atomic: a reader sees either the previous object (or none) or the whole new one, never
    /// a prefix, even if the process dies mid-write. Idempotent: putting the same bytes again
    /// changes nothing. Concurrent puts to one path: one of them wins, whole.
    async fn put(&self, path: &BlobPath, bytes: Bytes) -> Result<(), StoreError>;

    /// Writes each object as `put` does, in any order or at once. Each object is atomic on its
    /// own, not the set: after an error any of them may have been written, whole. Ordering
    /// between sets is the caller's: a set's call returns only after all of it is written.
    ///
    /// The default issues the puts concurrently, which suits a network store; a local one
    /// writes them in one blocking task, one after another, sparing a thread hand-off per file.
    async fn put_many(&self, objects: Vec<(BlobPath, Bytes)>) -> Result<(), StoreError> {
        futures::future::try_join_all(
            objects
                .iter()
                .map(|(path, bytes)| self.put(path, bytes.clone())),
        )
        .await
        .map(|_| ())
    }

    /// Writes each stage as `put_many` does, the stages one after another: no object of a
    /// stage is written before every object of the stages before it is. After an error no
    /// later stage is written. For a commit point: data files in the first stage, the
    /// manifest that declares them complete in the second.
    ///
    /// The default calls `put_many` per stage; a local store writes every stage in one
    /// blocking task.
    async fn put_stages(&self, stages: Vec<Vec<(BlobPath, Bytes)>>) -> Result<(), StoreError> {
        for stage in stages {
            self.put_many(stage).await?;
        }
        Ok(())
    }

    /// Reads the whole object. `NotFound` if there is none (including a write still in flight).
    async fn get(&self, path: &BlobPath) -> Result<Bytes, StoreError>;

    /// Whether an object exists at `path`. Never `NotFound`.
    async fn exists(&self, path: &BlobPath) -> Result<bool, StoreError>;

    /// Every object whose path lies below the directory `prefix` (whole segments: `a/b` lists
    /// `a/b/c`, never `a/bc`), at any depth, sorted by path. An absent prefix lists nothing
    /// (not `NotFound`). Writes in flight are never listed.
    async fn list(&self, prefix: &BlobPath) -> Result<Vec<ObjectMeta>, StoreError>;

    /// The paths `list` would return, without their sizes. For listings read on every run
    /// (the refresh lists every manifest of the lake's history): a local store then needs no
    /// `stat` per file, which was most of that listing's cost. The default calls `list`.
    async fn list_paths(&self, prefix: &BlobPath) -> Result<Vec<BlobPath>, StoreError> {
        Ok(self
            .list(prefix)
            .await?
            .into_iter()
            .map(|o| o.path)
            .collect())
    }

    /// The names of the directories directly below `prefix`: with objects `a/b/c/x` and
    /// `a/b/d`, `list_dirs("a/b")` is `["c"]`. Sorted; empty for an absent prefix. Lets the
    /// refresh skip whole dates of history instead of listing every manifest in them. The
    /// default derives them from `list_paths`; the local store reads one directory, Cloud
    /// Storage asks for prefixes with a `/` delimiter.
    async fn list_dirs(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        let base = format!("{}/", prefix.as_str());
        let mut dirs: Vec<String> = self
            .list_paths(prefix)
            .await?
            .iter()
            .filter_map(|path| {
                let rest = path.as_str().strip_prefix(&base)?;
                let (dir, _) = rest.split_once('/')?;
                Some(dir.to_string())
            })
            .collect();
        dirs.dedup(); // sorted paths keep each directory's together
        Ok(dirs)
    }

    /// Removes the object. Idempotent: deleting an absent object succeeds.
    async fn delete(&self, path: &BlobPath) -> Result<(), StoreError>;

    /// Where the store lives, for logs and status (never a secret).
    fn describe(&self) -> String;
}
