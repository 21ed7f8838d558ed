//! The embedded lake: a local directory, written atomically by temp file and rename.

use super::store::{BlobPath, BlobStore, ObjectMeta, StoreError};
use async_trait::async_trait;
use bytes::Bytes;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A `BlobStore` in a directory. Object `a/b/c` is the file `<root>/a/b/c`.
///
/// Writes go to `.tmp-<name>-<pid>-<n>` in the target's directory and are renamed into
/// place, so a crash leaves at worst a temp file that is never listed or read. Data is not
/// fsynced: a process crash cannot tear an object, a power cut might, and everything in the lake
/// can be regenerated bit for bit.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    inner: Arc<Dir>,
}

#[derive(Debug)]
struct Dir {
    root: PathBuf,
    counter: AtomicU64,
    /// This process's id, for temp names; read once (each `process::id()` is a syscall).
    pid: u32,
}

impl LocalDirStore {
    /// Opens (and creates) the directory, and checks that it can be written to.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        let io = |source| StoreError::Io {
            location: root.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(io)?;
        let probe = root.join(format!(".tmp-probe-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(io)?;
        std::fs::remove_file(&probe).map_err(io)?;
        Ok(Self {
            inner: Arc::new(Dir {
                root,
                counter: AtomicU64::new(0),
                pid: std::process::id(),
            }),
        })
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }
}

impl Dir {
    fn file(&self, path: &BlobPath) -> PathBuf {
        self.root.join(path.as_str())
    }

    fn io_error(&self, path: &BlobPath, source: std::io::Error) -> StoreError {
        StoreError::Io {
            location: self.file(path).display().to_string(),
            source,
        }
    }

    fn put_blocking(&self, path: &BlobPath, bytes: &[u8]) -> Result<(), StoreError> {
        let target = self.file(path);
        let dir = target.parent().unwrap_or(&self.root);
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("blob");
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".tmp-{name}-{}-{n}", self.pid));
        // Most writes go to a directory that exists (an hour's manifests share a date's, a
        // batch's archive files a minute's): create first and make the directories only when
        // that says they are missing, instead of a mkdir and a stat before every file.
        let created = match std::fs::File::create(&tmp) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).and_then(|()| std::fs::File::create(&tmp))
            }
            other => other,
        };
        let result = created
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| std::fs::rename(&tmp, &target));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.io_error(path, e));
        }
        Ok(())
    }

    /// Every object below `prefix`, sorted; with `sizes` false each size is 0 and no file is
    /// `stat`ed.
    fn list_blocking(&self, prefix: &BlobPath, sizes: bool) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut out = Vec::new();
        let mut dirs = vec![(self.file(prefix), prefix.as_str().to_string())];
        while let Some((dir, rel)) = dirs.pop() {
            for (name, entry, is_dir) in self.entries(&dir, prefix)? {
                let child = format!("{rel}/{name}");
                if is_dir {
                    dirs.push((entry.path(), child));
                } else if let Ok(path) = BlobPath::new(child) {
                    let size = if sizes {
                        entry
                            .metadata()
                            .map_err(|e| self.io_error(prefix, e))?
                            .len()
                    } else {
                        0
                    };
                    out.push(ObjectMeta { path, size });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The directories directly in `prefix`'s directory, sorted; none if it is absent.
    fn list_dirs_blocking(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        let mut dirs: Vec<String> = self
            .entries(&self.file(prefix), prefix)?
            .into_iter()
            .filter(|(_, _, is_dir)| *is_dir)
            .map(|(name, _, _)| name)
            .collect();
        dirs.sort();
        Ok(dirs)
    }

    /// The entries of `dir` this store could have made (names in UTF-8, no temp names), each
    /// with whether it is a directory, told by the entry's own type (no `stat`). None if `dir`
    /// is absent or not a directory. `prefix` names the listing in errors.
    fn entries(
        &self,
        dir: &Path,
        prefix: &BlobPath,
    ) -> Result<Vec<(String, std::fs::DirEntry, bool)>, StoreError> {
        let read = match std::fs::read_dir(dir) {
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(self.io_error(prefix, e)),
        };
        let mut out = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| self.io_error(prefix, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue; // not a name this store could have written
            };
            if name.starts_with(".tmp") {
                continue;
            }
            let is_dir = entry
                .file_type()
                .map_err(|e| self.io_error(prefix, e))?
                .is_dir();
            out.push((name, entry, is_dir));
        }
        Ok(out)
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(StoreError::Backend {
            location: "local".into(),
            message: format!("file task failed: {e}"),
        })
    })
}

#[async_trait]
impl BlobStore for LocalDirStore {
    async fn put(&self, path: &BlobPath, bytes: Bytes) -> Result<(), StoreError> {
        let (this, path) = (self.inner.clone(), path.clone());
        blocking(move || this.put_blocking(&path, &bytes)).await
    }

    async fn put_many(&self, objects: Vec<(BlobPath, Bytes)>) -> Result<(), StoreError> {
        self.put_stages(vec![objects]).await
    }

    async fn put_stages(&self, stages: Vec<Vec<(BlobPath, Bytes)>>) -> Result<(), StoreError> {
        let this = self.inner.clone();
        blocking(move || {
            stages
                .iter()
                .flatten()
                .try_for_each(|(path, bytes)| this.put_blocking(path, bytes))
        })
        .await
    }

    async fn get(&self, path: &BlobPath) -> Result<Bytes, StoreError> {
        let (this, path) = (self.inner.clone(), path.clone());
        blocking(move || match std::fs::read(this.file(&path)) {
            Ok(data) => Ok(Bytes::from(data)),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::NotFound(path)),
            Err(e) => Err(this.io_error(&path, e)),
        })
        .await
    }

    async fn exists(&self, path: &BlobPath) -> Result<bool, StoreError> {
        let (this, path) = (self.inner.clone(), path.clone());
        blocking(move || match std::fs::metadata(this.file(&path)) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(false)
            }
            Err(e) => Err(this.io_error(&path, e)),
        })
        .await
    }

    async fn list(&self, prefix: &BlobPath) -> Result<Vec<ObjectMeta>, StoreError> {
        let (this, prefix) = (self.inner.clone(), prefix.clone());
        blocking(move || this.list_blocking(&prefix, true)).await
    }

    async fn list_paths(&self, prefix: &BlobPath) -> Result<Vec<BlobPath>, StoreError> {
        let (this, prefix) = (self.inner.clone(), prefix.clone());
        let listed = blocking(move || this.list_blocking(&prefix, false)).await?;
        Ok(listed.into_iter().map(|o| o.path).collect())
    }

    async fn list_dirs(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        let (this, prefix) = (self.inner.clone(), prefix.clone());
        blocking(move || this.list_dirs_blocking(&prefix)).await
    }

    async fn delete(&self, path: &BlobPath) -> Result<(), StoreError> {
        let (this, path) = (self.inner.clone(), path.clone());
        blocking(move || match std::fs::remove_file(this.file(&path)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(this.io_error(&path, e)),
        })
        .await
    }

    fn describe(&self) -> String {
        format!("local directory {}", self.inner.root.display())
    }
}
