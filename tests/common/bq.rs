//! A BigQuery warehouse on bqemulator for a test: a dataset of its own in project `rp-test`,
//! anonymous credentials, and the dataset dropped at the end.

use retail_pipeline::gcp::{Credentials, GcpHttp};
use retail_pipeline::warehouse::bigquery::{
    BigQueryEventSink, BigQueryWarehouse, SEED_COMPAT_SUFFIX,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The emulator's project (`scripts/emulators.sh` starts it with this one).
pub const PROJECT: &str = "rp-test";

/// An anonymous client with room for the emulator's slower load jobs.
pub fn http() -> GcpHttp {
    GcpHttp::new(Credentials::Anonymous, Duration::from_secs(120)).expect("client")
}

/// A dataset no other test (or test process) uses, named `{prefix}_{pid}_{n}`.
pub fn unique_dataset(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn open(endpoint: &str, dataset: &str) -> BigQueryWarehouse {
    BigQueryWarehouse::open(
        http(),
        Some(endpoint.to_string()),
        PROJECT.into(),
        dataset.to_string(),
        "US".into(),
    )
    .await
    .expect("open the BigQuery warehouse")
}

/// A dataset of its own on bqemulator (named from `prefix`), a warehouse open in it and the
/// stream sink writing there: `(endpoint, dataset, warehouse, sink)`, or `None` after the
/// SKIPPED line when the emulator is not running.
pub async fn stream_dataset(
    prefix: &str,
) -> Option<(String, String, Arc<BigQueryWarehouse>, BigQueryEventSink)> {
    let endpoint = super::bq_test_endpoint()?;
    let dataset = unique_dataset(prefix);
    let warehouse = Arc::new(open(&endpoint, &dataset).await);
    let sink = BigQueryEventSink::new(warehouse.clone());
    Some((endpoint, dataset, warehouse, sink))
}

/// Drops a test's dataset and everything in it, and the seeds' compatibility dataset `open`
/// made beside it (there only if the test opened a warehouse in it).
pub async fn drop_dataset(endpoint: &str, dataset: &str) {
    let url = |d: &str| {
        format!("{endpoint}/bigquery/v2/projects/{PROJECT}/datasets/{d}?deleteContents=true")
    };
    let compat = url(&format!("{dataset}{SEED_COMPAT_SUFFIX}"));
    // Views first, then the tables they read. Absent when no warehouse was opened: ignored.
    let _ = http()
        .send("drop seed_compat dataset", |c| c.delete(&compat))
        .await;
    let main = url(dataset);
    http()
        .send("drop test dataset", |c| c.delete(&main))
        .await
        .expect("drop dataset");
}

/// POSTs `body` as JSON to `url` on the emulator (`what` names the call in an error): the
/// JSON reply.
pub async fn post_json(
    what: &str,
    url: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, retail_pipeline::gcp::GcpError> {
    let body = serde_json::to_vec(body).expect("body");
    http()
        .json(what, |c| {
            c.post(url)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await
}

/// Runs `sql` with jobs.query and returns its one page of results, asserting that the query
/// finished without errors. `max_results` bounds the page (a test's results fit one page).
pub async fn query_page(endpoint: &str, sql: &str, max_results: u64) -> serde_json::Value {
    let url = format!("{endpoint}/bigquery/v2/projects/{PROJECT}/queries");
    let body = serde_json::json!({
        "query": sql, "useLegacySql": false, "timeoutMs": 120_000, "maxResults": max_results,
    });
    let page = post_json("test query", &url, &body)
        .await
        .unwrap_or_else(|e| panic!("{sql}\n{e}"));
    assert_eq!(page["jobComplete"], true, "query finished: {sql}\n{page}");
    assert!(page["errors"].is_null(), "query failed: {sql}\n{page}");
    page
}

/// The rows of a query page, each cell as the REST API gives it (a string, or None for NULL).
pub fn page_rows(page: &serde_json::Value) -> Vec<Vec<Option<String>>> {
    page["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row["f"]
                .as_array()
                .expect("cells")
                .iter()
                .map(|c| c["v"].as_str().map(str::to_owned))
                .collect()
        })
        .collect()
}
