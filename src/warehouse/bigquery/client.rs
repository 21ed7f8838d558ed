//! The BigQuery REST calls the warehouse makes: `jobs.query` (with named, typed parameters,
//! polled through `getQueryResults` and paged), CSV, Parquet and NDJSON load jobs by
//! multipart upload (polled through `jobs.get`), and `tables.delete`. Built on
//! `crate::gcp::GcpHttp`.

use crate::gcp::{encode, GcpError, GcpHttp};
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one query or load job may take before the warehouse gives up on it.
const JOB_DEADLINE: Duration = Duration::from_secs(300);
/// How long each `jobs.query` / `getQueryResults` call waits server-side.
const WAIT_MS: u64 = 10_000;
const PAGE_ROWS: u64 = 10_000;

/// A named query parameter; `value: None` is SQL NULL.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    /// A GoogleSQL scalar type: `STRING`, `INT64`, `DATE`.
    pub kind: &'static str,
    pub value: Option<String>,
}

impl Param {
    pub fn new(name: &'static str, kind: &'static str, value: Option<String>) -> Self {
        Self { name, kind, value }
    }

    fn to_json(&self) -> Value {
        let value = match &self.value {
            Some(v) => json!({ "value": v }),
            None => json!({}),
        };
        json!({ "name": self.name, "parameterType": { "type": self.kind }, "parameterValue": value })
    }
}

/// What a load job reads.
#[derive(Debug, Clone, Copy)]
pub enum LoadSource {
    /// CSV with one header line.
    Csv,
    /// One Parquet file, which carries its own column types (`schema` must accept them);
    /// `append` adds to the table, for a partition's later files.
    Parquet { append: bool },
    /// Newline-delimited JSON: one object per line, keys = column names; a nested object or
    /// array is taken whole by a `JSON` column.
    Ndjson,
}

impl LoadSource {
    /// The source-format keys of the load configuration, and the upload's media type.
    fn configuration(self) -> (Value, &'static str) {
        match self {
            LoadSource::Csv => (
                json!({ "sourceFormat": "CSV", "skipLeadingRows": 1, "allowQuotedNewlines": true }),
                "text/csv",
            ),
            LoadSource::Parquet { append } => {
                let mut format = json!({ "sourceFormat": "PARQUET" });
                if append {
                    format["writeDisposition"] = json!("WRITE_APPEND");
                }
                (format, "application/octet-stream")
            }
            LoadSource::Ndjson => (
                json!({ "sourceFormat": "NEWLINE_DELIMITED_JSON" }),
                "application/octet-stream",
            ),
        }
    }
}

/// One result row: each cell as BigQuery's JSON gives it (a string, or null).
pub type Row = Vec<Option<String>>;

/// Why a call failed: the HTTP call's error (kept as its source) or BigQuery's own message
/// about the job, never a credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BqError {
    #[error(transparent)]
    Http(#[from] GcpError),
    /// The job ran and failed: BigQuery's message (and its next one, for a load's detail).
    #[error("{0}")]
    Job(String),
    /// BigQuery's answer lacked what the protocol promises (a job reference, a row count).
    #[error("{0}")]
    Protocol(String),
    #[error("job {job_id} not complete after {}s", JOB_DEADLINE.as_secs())]
    Deadline { job_id: String },
}

#[derive(Debug, Clone)]
pub struct BqClient {
    http: GcpHttp,
    /// `https://bigquery.googleapis.com` or an emulator's URL, without a trailing slash.
    base: String,
    pub project: String,
    pub location: String,
}

impl BqClient {
    pub fn new(http: GcpHttp, base: String, project: String, location: String) -> Self {
        let base = base.trim_end_matches('/').to_string();
        Self {
            http,
            base,
            project,
            location,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn api(&self) -> String {
        format!(
            "{}/bigquery/v2/projects/{}",
            self.base,
            encode(&self.project)
        )
    }

    /// Runs one query or script and returns every row of its result. Every statement the
    /// warehouse runs is safe to repeat (DDL `IF NOT EXISTS`, delete-then-insert, MERGE), so
    /// transient failures are retried; `requestId` lets BigQuery drop a duplicate anyway.
    pub async fn query(
        &self,
        what: &str,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Row>, BqError> {
        let mut body = json!({
            "query": sql,
            "useLegacySql": false,
            "location": self.location,
            "timeoutMs": WAIT_MS,
            "maxResults": PAGE_ROWS,
            "requestId": request_id(),
        });
        if !params.is_empty() {
            body["parameterMode"] = json!("NAMED");
            body["queryParameters"] = Value::Array(params.iter().map(Param::to_json).collect());
        }
        let url = format!("{}/queries", self.api());
        let started = Instant::now();
        let (mut page, job_id) = self
            .post_job(what, &url, "application/json", body.to_string().into())
            .await?;
        let mut rows = Vec::new();
        loop {
            if page["jobComplete"].as_bool() == Some(true) {
                self.check_errors(what, &job_id, &page).await?;
                rows.extend(parse_rows(&page));
                match page["pageToken"].as_str() {
                    Some(token) if !token.is_empty() => {
                        let token = token.to_string();
                        page = self.results(what, &job_id, Some(&token)).await?;
                    }
                    _ => return Ok(rows),
                }
            } else {
                if started.elapsed() > JOB_DEADLINE {
                    return Err(BqError::Deadline { job_id });
                }
                page = self.results(what, &job_id, None).await?;
            }
        }
    }

    /// `jobs.getQueryResults`: waits up to `WAIT_MS` for the job, then returns a page.
    async fn results(
        &self,
        what: &str,
        job_id: &str,
        token: Option<&str>,
    ) -> Result<Value, BqError> {
        if job_id.is_empty() {
            return Err(BqError::Protocol(
                "BigQuery returned no job reference".into(),
            ));
        }
        let mut url = format!(
            "{}/queries/{}?location={}&timeoutMs={WAIT_MS}&maxResults={PAGE_ROWS}",
            self.api(),
            encode(job_id),
            encode(&self.location)
        );
        if let Some(token) = token {
            url.push_str(&format!("&pageToken={}", encode(token)));
        }
        Ok(self.http.json(what, |c| c.get(&url)).await?)
    }

    /// A complete response may still carry the job's failure in `errors`; the job's
    /// `status.errorResult` says whether it failed (`errors` may hold warnings only).
    async fn check_errors(&self, what: &str, job_id: &str, page: &Value) -> Result<(), BqError> {
        let Some(first) = page["errors"].as_array().and_then(|e| e.first()) else {
            return Ok(());
        };
        let reported = first["message"]
            .as_str()
            .unwrap_or("query failed")
            .to_string();
        if job_id.is_empty() {
            return Err(BqError::Job(reported));
        }
        match self.job(what, job_id).await {
            Ok(job) => match job["status"]["errorResult"]["message"].as_str() {
                Some(message) => Err(BqError::Job(message.to_string())),
                None => Ok(()),
            },
            Err(_) => Err(BqError::Job(reported)),
        }
    }

    /// Posts a job (`jobs.query`, or a load by upload) and returns BigQuery's first answer and
    /// the job's id (empty if BigQuery gave none; the caller says what that means).
    async fn post_job(
        &self,
        what: &str,
        url: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(Value, String), BqError> {
        let answer: Value = self
            .http
            .json(what, |c| {
                c.post(url)
                    .header("content-type", content_type)
                    .body(body.clone())
            })
            .await?;
        let job_id = answer["jobReference"]["jobId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok((answer, job_id))
    }

    /// `jobs.get`.
    async fn job(&self, what: &str, job_id: &str) -> Result<Value, BqError> {
        let url = format!(
            "{}/jobs/{}?location={}",
            self.api(),
            encode(job_id),
            encode(&self.location)
        );
        Ok(self.http.json(what, |c| c.get(&url)).await?)
    }

    /// Loads `data` into `dataset.table` by one multipart upload, replacing its contents (or,
    /// for `Parquet { append: true }`, adding to them) and creating it with `schema`
    /// (`(column, type)` pairs) if needed. Waits for the job and returns the rows it loaded.
    /// Replacing makes a retried upload harmless.
    pub async fn load(
        &self,
        what: &str,
        dataset: &str,
        table: &str,
        schema: &[(&str, &str)],
        source: LoadSource,
        data: Bytes,
    ) -> Result<u64, BqError> {
        let (format, media_type) = source.configuration();
        let fields: Vec<Value> = schema
            .iter()
            .map(|(name, kind)| json!({ "name": name, "type": kind, "mode": "NULLABLE" }))
            .collect();
        let mut load = json!({
            "destinationTable": { "projectId": self.project, "datasetId": dataset, "tableId": table },
            "writeDisposition": "WRITE_TRUNCATE",
            "createDisposition": "CREATE_IF_NEEDED",
            "schema": { "fields": fields },
        });
        if let (Some(load), Value::Object(format)) = (load.as_object_mut(), format) {
            load.extend(format);
        }
        let envelope = json!({
            "configuration": { "load": load },
            "jobReference": { "projectId": self.project, "location": self.location },
        });
        let boundary = format!("retail-pipeline-{}", request_id());
        let mut body = Vec::with_capacity(data.len() + 2048);
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(envelope.to_string().as_bytes());
        body.extend_from_slice(
            format!("\r\n--{boundary}\r\nContent-Type: {media_type}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let body = Bytes::from(body);
        let url = format!(
            "{}/upload/bigquery/v2/projects/{}/jobs?uploadType=multipart",
            self.base,
            encode(&self.project)
        );
        let content_type = format!("multipart/related; boundary={boundary}");
        let started = Instant::now();
        let (mut job, job_id) = self.post_job(what, &url, &content_type, body).await?;
        while job["status"]["state"].as_str() != Some("DONE") {
            if job_id.is_empty() || started.elapsed() > JOB_DEADLINE {
                return Err(BqError::Deadline { job_id });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            job = self.job(what, &job_id).await?;
        }
        if let Some(message) = job["status"]["errorResult"]["message"].as_str() {
            let detail = job["status"]["errors"]
                .as_array()
                .and_then(|e| e.iter().filter_map(|e| e["message"].as_str()).nth(1))
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            return Err(BqError::Job(format!("{message}{detail}")));
        }
        let rows = &job["statistics"]["load"]["outputRows"];
        rows.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| rows.as_u64())
            .ok_or_else(|| BqError::Protocol(format!("load job {job_id} reported no outputRows")))
    }

    /// `tables.delete`; a table already gone is fine.
    pub async fn delete_table(
        &self,
        what: &str,
        dataset: &str,
        table: &str,
    ) -> Result<(), BqError> {
        let url = format!(
            "{}/datasets/{}/tables/{}",
            self.api(),
            encode(dataset),
            encode(table)
        );
        match self.http.send(what, |c| c.delete(&url)).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn parse_rows(page: &Value) -> impl Iterator<Item = Row> + '_ {
    page["rows"].as_array().into_iter().flatten().map(|row| {
        row["f"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|cell| match &cell["v"] {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            })
            .collect()
    })
}

/// A string unique to this process and call: for `requestId`, boundaries and staging names.
pub fn request_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "{:x}{:x}{:x}",
        nanos,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
