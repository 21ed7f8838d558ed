//! The lake on Cloud Storage, over its JSON API (the API every emulator here speaks).
//!
//! Object `a/b/c` of a store with prefix `lake` is the object `lake/a/b/c` of the bucket.
//! Every request goes through `GcpHttp`: credentials, Google's error text, and bounded
//! jittered retries on transient failures. Every call below is safe to repeat.

use super::store::{BlobPath, BlobStore, ObjectMeta, StoreError};
use crate::gcp::{encode, http::read_json, GcpError, GcpHttp};
use async_trait::async_trait;
use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;

const GOOGLE_ENDPOINT: &str = "https://storage.googleapis.com";
/// The most objects Cloud Storage returns in one page of a listing.
const MAX_PAGE: u32 = 1000;

/// A `BlobStore` in a Cloud Storage bucket, below an optional prefix.
#[derive(Debug, Clone)]
pub struct GcsStore {
    http: GcpHttp,
    /// `https://storage.googleapis.com` or the emulator's base URL, without a trailing `/`.
    base: String,
    emulator: bool,
    bucket: String,
    /// Without leading or trailing `/`; `None` for the bucket's root.
    prefix: Option<String>,
    page_size: u32,
}

/// The fields of an object resource this store reads.
#[derive(Debug, Deserialize)]
struct Object {
    name: String,
    /// Cloud Storage sends 64-bit integers as JSON strings.
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    crc32c: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectList {
    #[serde(default)]
    items: Vec<Object>,
    /// With a `/` delimiter: the "directories" just below the prefix, `<prefix>name/`.
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl GcsStore {
    /// `endpoint`: None = the real service; Some("http://127.0.0.1:4443") = an emulator (a
    /// bare `host:port`, as `STORAGE_EMULATOR_HOST` usually holds, means `http://host:port`).
    /// `prefix` is put before every object name; surrounding `/` are ignored.
    pub fn new(
        http: GcpHttp,
        endpoint: Option<String>,
        bucket: impl Into<String>,
        prefix: Option<String>,
    ) -> Self {
        let emulator = endpoint.is_some();
        let base = match endpoint {
            None => GOOGLE_ENDPOINT.to_string(),
            Some(e) if e.contains("://") => e.trim_end_matches('/').to_string(),
            Some(e) => format!("http://{}", e.trim_end_matches('/')),
        };
        let prefix = prefix
            .map(|p| p.trim_matches('/').to_string())
            .filter(|p| !p.is_empty());
        Self {
            http,
            base,
            emulator,
            bucket: bucket.into(),
            prefix,
            page_size: MAX_PAGE,
        }
    }

    /// Objects per page when listing (1..=1000; default 1000, the service's maximum).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Creates the bucket in `project` if it does not exist (emulators, first runs).
    /// Idempotent: a bucket that already exists (409) is fine. A 409 also answers for a bucket
    /// someone else owns; the first object call then fails with Google's 403.
    pub async fn ensure_bucket(&self, project: &str) -> Result<(), StoreError> {
        let url = format!("{}/storage/v1/b?project={}", self.base, encode(project));
        let body = Bytes::from(serde_json::json!({ "name": self.bucket }).to_string());
        match self
            .http
            .send("creating the bucket", |c| {
                c.post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await
        {
            Ok(_) => {
                tracing::info!(bucket = %self.bucket, "gcs bucket created");
                Ok(())
            }
            Err(e) if e.status() == Some(409) => Ok(()),
            Err(e) => Err(self.error(&format!("gs://{}", self.bucket), e)),
        }
    }

    /// The object name of a lake path: the prefix, then the path.
    fn name(&self, path: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{path}"),
            None => path.to_string(),
        }
    }

    /// The lake path of an object name: the name without the prefix, if it lies below it.
    fn relative<'a>(&self, name: &'a str) -> Option<&'a str> {
        match &self.prefix {
            Some(prefix) => name.strip_prefix(prefix.as_str())?.strip_prefix('/'),
            None => Some(name),
        }
    }

    /// Every page of the listing of the objects below `prefix`: their names and sizes or,
    /// `directories`, only the prefixes one segment below it (`delimiter=/`).
    async fn list_pages(
        &self,
        prefix: &BlobPath,
        directories: bool,
    ) -> Result<Vec<ObjectList>, StoreError> {
        let dir = format!("{}/", self.name(prefix.as_str()));
        let (delimiter, fields) = if directories {
            ("&delimiter=%2F", "prefixes,nextPageToken")
        } else {
            ("", "items(name,size),nextPageToken")
        };
        let first = format!(
            "{}/storage/v1/b/{}/o?prefix={}{delimiter}&maxResults={}&fields={}",
            self.base,
            encode(&self.bucket),
            encode(&dir),
            self.page_size,
            encode(fields)
        );
        let mut pages = Vec::new();
        let mut url = first.clone();
        loop {
            let page: ObjectList = self
                .http
                .json("listing", |c| c.get(&url))
                .await
                .map_err(|e| self.error(&self.location(&dir), e))?;
            let next = page.next_page_token.clone().filter(|t| !t.is_empty());
            pages.push(page);
            match next {
                Some(token) => url = format!("{first}&pageToken={}", encode(&token)),
                None => return Ok(pages),
            }
        }
    }

    fn object_url(&self, name: &str) -> String {
        format!(
            "{}/storage/v1/b/{}/o/{}",
            self.base,
            encode(&self.bucket),
            encode(name)
        )
    }

    fn location(&self, name: &str) -> String {
        format!("gs://{}/{name}", self.bucket)
    }

    /// Google's error at `location`. A transient error that reaches here has used every try.
    fn error(&self, location: &str, e: GcpError) -> StoreError {
        let message = if e.is_transient() {
            format!("{e} (gave up after {} tries)", self.http.retry.attempts)
        } else {
            e.to_string()
        };
        StoreError::Backend {
            location: location.to_string(),
            message,
        }
    }
}

/// The body of a multipart upload: the JSON metadata, then the bytes. Returns the content
/// type (which names the boundary) and the body. The boundary never occurs in the bytes.
fn multipart(metadata: &serde_json::Value, bytes: &[u8]) -> (String, Bytes) {
    let mut n = 0u32;
    let boundary = loop {
        let candidate = format!("rp-part-boundary-{n}");
        if !contains(bytes, candidate.as_bytes()) {
            break candidate;
        }
        n += 1;
    };
    let json = metadata.to_string();
    let mut body = BytesMut::with_capacity(bytes.len() + json.len() + 200);
    body.put_slice(format!("--{boundary}\r\n").as_bytes());
    body.put_slice(b"Content-Type: application/json; charset=UTF-8\r\n\r\n");
    body.put_slice(json.as_bytes());
    body.put_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    body.put_slice(b"Content-Type: application/octet-stream\r\n\r\n");
    body.put_slice(bytes);
    body.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/related; boundary={boundary}"),
        body.freeze(),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The CRC32C the service keeps for a downloaded object, from `x-goog-hash: crc32c=..,md5=..`;
/// `None` when absent or when the body is transcoded (stored compressed), as it then differs.
fn kept_crc32c(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let encoding = headers
        .get("x-goog-stored-content-encoding")
        .and_then(|v| v.to_str().ok());
    if encoding.is_some_and(|e| e != "identity") {
        return None;
    }
    headers
        .get_all("x-goog-hash")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|kv| kv.trim().strip_prefix("crc32c=").map(str::to_owned))
}

/// Cloud Storage's form of a CRC32C: base64 of its four big-endian bytes.
fn crc32c_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc32c::crc32c(bytes).to_be_bytes())
}

#[async_trait]
impl BlobStore for GcsStore {
    /// One single-request (multipart) upload, which Cloud Storage applies atomically: the
    /// object appears whole or not at all, and of concurrent puts the last one wins whole.
    /// The metadata carries the bytes' CRC32C, so the service refuses bytes damaged on the
    /// way; the CRC32C the service reports back is checked too (emulators do not verify).
    /// Idempotent, hence retried on transient errors.
    async fn put(&self, path: &BlobPath, bytes: Bytes) -> Result<(), StoreError> {
        let name = self.name(path.as_str());
        let crc = crc32c_base64(&bytes);
        let metadata = serde_json::json!({ "name": name, "crc32c": crc });
        let (content_type, body) = multipart(&metadata, &bytes);
        let url = format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=multipart",
            self.base,
            encode(&self.bucket)
        );
        let what = "uploading";
        let response = self
            .http
            .send(what, |c| {
                c.post(&url)
                    .header(reqwest::header::CONTENT_TYPE, &content_type)
                    .body(body.clone())
            })
            .await
            .map_err(|e| self.error(&self.location(&name), e))?;
        let stored: Object = read_json(what, response)
            .await
            .map_err(|e| self.error(&self.location(&name), e))?;
        let size_ok = stored
            .size
            .as_deref()
            .is_none_or(|s| s == bytes.len().to_string());
        let crc_ok = stored.crc32c.as_deref().is_none_or(|c| c == crc);
        if !size_ok || !crc_ok {
            return Err(StoreError::Backend {
                location: self.location(&name),
                message: format!(
                    "the service stored {} bytes with crc32c {}; {} bytes with crc32c {crc} were sent",
                    stored.size.as_deref().unwrap_or("?"),
                    stored.crc32c.as_deref().unwrap_or("?"),
                    bytes.len()
                ),
            });
        }
        tracing::debug!(object = %name, bytes = bytes.len(), "gcs object written");
        Ok(())
    }

    /// Downloads the whole object; `NotFound` if there is none (an upload in flight is not
    /// an object yet). The bytes are checked against the CRC32C the service keeps
    /// (`x-goog-hash`); a damaged or cut-off body is fetched again, within the retry policy.
    async fn get(&self, path: &BlobPath) -> Result<Bytes, StoreError> {
        let name = self.name(path.as_str());
        let url = format!("{}?alt=media", self.object_url(&name));
        let what = "downloading";
        let policy = self.http.retry;
        let mut attempt = 1;
        loop {
            let response = match self.http.send(what, |c| c.get(&url)).await {
                Ok(response) => response,
                Err(e) if e.is_not_found() => return Err(StoreError::NotFound(path.clone())),
                Err(e) => return Err(self.error(&self.location(&name), e)),
            };
            let kept = kept_crc32c(response.headers());
            let problem = match response.bytes().await {
                Ok(bytes) => match kept {
                    Some(kept) if kept != crc32c_base64(&bytes) => format!(
                        "{what}: the bytes received have crc32c {}, the service keeps {kept}",
                        crc32c_base64(&bytes)
                    ),
                    _ => return Ok(bytes),
                },
                Err(e) => format!("{what}: reading the body: {e}"),
            };
            if attempt >= policy.attempts {
                return Err(StoreError::Backend {
                    location: self.location(&name),
                    message: format!("{problem} (gave up after {attempt} tries)"),
                });
            }
            tracing::debug!(object = %name, attempt, %problem, "gcs download retried");
            tokio::time::sleep(policy.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Reads the object's metadata: a 404 is `false`, never `NotFound`.
    async fn exists(&self, path: &BlobPath) -> Result<bool, StoreError> {
        let name = self.name(path.as_str());
        let url = format!("{}?fields=name", self.object_url(&name));
        match self.http.send("reading metadata", |c| c.get(&url)).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(self.error(&self.location(&name), e)),
        }
    }

    /// Lists the names that start with `<prefix>/` (so whole segments only), following every
    /// page, sorted by path. An absent prefix lists nothing. Names that are not valid lake
    /// paths (folder placeholders ending in `/`, say) are not the lake's and are skipped.
    async fn list(&self, prefix: &BlobPath) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut out = Vec::new();
        for page in self.list_pages(prefix, false).await? {
            for object in page.items {
                let Some(path) = self
                    .relative(&object.name)
                    .and_then(|rel| BlobPath::new(rel).ok())
                else {
                    tracing::debug!(object = %object.name, "gcs object skipped: not a lake path");
                    continue;
                };
                let size = object
                    .size
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| StoreError::Backend {
                        location: self.location(&object.name),
                        message: format!("listing: size {:?} is not a number", object.size),
                    })?;
                out.push(ObjectMeta { path, size });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// One request per 1,000 directories (`delimiter=/`, prefixes only), however many
    /// objects lie below them.
    async fn list_dirs(&self, prefix: &BlobPath) -> Result<Vec<String>, StoreError> {
        let dir = format!("{}/", self.name(prefix.as_str()));
        let mut out = Vec::new();
        for page in self.list_pages(prefix, true).await? {
            for found in page.prefixes {
                // `<dir><name>/`: a name this store could have made, or skipped.
                match found.strip_prefix(&dir).and_then(|n| n.strip_suffix('/')) {
                    Some(name) if BlobPath::new(name).is_ok() && !name.contains('/') => {
                        out.push(name.to_string());
                    }
                    _ => {
                        tracing::debug!(prefix = %found, "gcs prefix skipped: not a lake directory")
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Deletes the object. Idempotent: a 404 (never there, or a retried delete that already
    /// happened) is success.
    async fn delete(&self, path: &BlobPath) -> Result<(), StoreError> {
        let name = self.name(path.as_str());
        let url = self.object_url(&name);
        match self.http.send("deleting", |c| c.delete(&url)).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(self.error(&self.location(&name), e)),
        }
    }

    /// `gs://bucket/prefix`, and the emulator's URL when one is used.
    fn describe(&self) -> String {
        let mut s = format!("gs://{}", self.bucket);
        if let Some(prefix) = &self.prefix {
            s.push('/');
            s.push_str(prefix);
        }
        if self.emulator {
            s.push_str(&format!(" (emulator {})", self.base));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::Credentials;
    use std::time::Duration;

    fn store(endpoint: Option<&str>, prefix: Option<&str>) -> GcsStore {
        let http = GcpHttp::new(Credentials::Anonymous, Duration::from_secs(1)).unwrap();
        GcsStore::new(
            http,
            endpoint.map(str::to_owned),
            "bkt",
            prefix.map(str::to_owned),
        )
    }

    #[test]
    fn prefix_is_prepended_and_stripped_on_whole_segments() {
        let s = store(None, Some("/lake/v1/"));
        assert_eq!(s.prefix(), Some("lake/v1"));
        assert_eq!(s.name("a/b.csv"), "lake/v1/a/b.csv");
        assert_eq!(s.relative("lake/v1/a/b.csv"), Some("a/b.csv"));
        assert_eq!(
            s.relative("lake/v1x/a"),
            None,
            "lake/v1x is not below lake/v1"
        );
        assert_eq!(s.relative("other/a"), None);
        let root = store(None, Some("/"));
        assert_eq!(root.prefix(), None);
        assert_eq!(root.name("a"), "a");
        assert_eq!(root.relative("a/b"), Some("a/b"));
    }

    #[test]
    fn object_names_are_one_encoded_path_segment() {
        let s = store(Some("http://127.0.0.1:4443/"), Some("p q"));
        assert_eq!(
            s.object_url(&s.name("sales_data/date=2026-01-01/hour=05/part-00000.csv")),
            "http://127.0.0.1:4443/storage/v1/b/bkt/o/p%20q%2Fsales_data%2Fdate%3D2026-01-01%2Fhour%3D05%2Fpart-00000.csv"
        );
        assert_eq!(
            store(Some("localhost:9023"), None).object_url("x"),
            "http://localhost:9023/storage/v1/b/bkt/o/x"
        );
    }

    #[test]
    fn describe_names_bucket_prefix_and_emulator() {
        assert_eq!(store(None, None).describe(), "gs://bkt");
        assert_eq!(store(None, Some("lake")).describe(), "gs://bkt/lake");
        assert_eq!(
            store(Some("http://127.0.0.1:4443"), Some("lake")).describe(),
            "gs://bkt/lake (emulator http://127.0.0.1:4443)"
        );
    }

    #[test]
    fn multipart_boundary_never_occurs_in_the_bytes() {
        let meta = serde_json::json!({"name": "x"});
        let (_, first) = multipart(&meta, b"data");
        let text = String::from_utf8(first.to_vec()).unwrap();
        let boundary = text[2..text.find("\r\n").unwrap()].to_string();
        // Bytes that contain the boundary the first try would pick get another one.
        let tricky = format!("x{boundary}y");
        let (content_type, body) = multipart(&meta, tricky.as_bytes());
        let chosen = content_type.split("boundary=").nth(1).unwrap();
        assert_ne!(chosen, boundary);
        assert!(!contains(tricky.as_bytes(), chosen.as_bytes()));
        assert!(body.ends_with(format!("\r\n--{chosen}--\r\n").as_bytes()));
    }

    #[test]
    fn reads_the_kept_crc32c_from_x_goog_hash() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let mut h = HeaderMap::new();
        h.insert(
            "x-goog-hash",
            HeaderValue::from_static("crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg=="),
        );
        assert_eq!(kept_crc32c(&h).as_deref(), Some("mnG7TA=="));
        assert_eq!(crc32c_base64(b"hello"), "mnG7TA==");
        h.insert(
            "x-goog-stored-content-encoding",
            HeaderValue::from_static("gzip"),
        );
        assert_eq!(kept_crc32c(&h), None, "transcoded bodies are not checked");
        assert_eq!(kept_crc32c(&HeaderMap::new()), None);
    }

    #[test]
    fn crc32c_is_base64_of_big_endian_bytes() {
        // The standard check value e3069283.
        assert_eq!(crc32c_base64(b"123456789"), "4waSgw==");
    }
}
