//! `GcsStore` against fake-gcs-server (`RP_TEST_GCS_ENDPOINT`): the shared `BlobStore`
//! contract, paging, a lake identical to the local one, and retries through a faulty proxy.
#![cfg(feature = "gcp")]

mod common;

use bytes::Bytes;
use common::{gcp_test_http, gcs_store_for_test, gcs_test_endpoint, unique_gcs_bucket};
use futures::{StreamExt, TryStreamExt};
use retail_pipeline::gcp::RetryPolicy;
use retail_pipeline::generate::{generate_hour, World, GENERATOR_VERSION};
use retail_pipeline::lake::{
    contract, layout, BlobPath, BlobStore, GcsStore, Lake, LakeIdentity, LocalDirStore, StoreError,
};
use retail_pipeline::model::{PartitionHour, Scale, ScaleName, Table};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

fn p(s: &str) -> BlobPath {
    BlobPath::new(s).expect("valid path")
}

#[tokio::test]
async fn gcs_store_keeps_the_blob_store_contract() {
    let Some(store) = gcs_store_for_test(None).await else {
        return;
    };
    contract::run_all(&store, "suite").await;
}

#[tokio::test]
async fn gcs_store_keeps_the_contract_below_a_prefix() {
    let Some(store) = gcs_store_for_test(Some("lake/v1")).await else {
        return;
    };
    contract::run_all(&store, "suite").await;
    // The objects really live below the prefix, and a store without it sees them there.
    let root = GcsStore::new(
        gcp_test_http(RetryPolicy::default()),
        gcs_test_endpoint(),
        store.bucket(),
        None,
    );
    let listed = root.list(&p("lake/v1/suite/ls/b")).await.expect("list");
    let names: Vec<&str> = listed.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "lake/v1/suite/ls/b/1",
            "lake/v1/suite/ls/b/2",
            "lake/v1/suite/ls/b/deep/x/y"
        ]
    );
    assert!(root.list(&p("suite")).await.expect("list").is_empty());
    assert!(store.describe().starts_with("gs://rp-test-"));
    assert!(store
        .describe()
        .contains("/lake/v1 (emulator http://127.0.0.1:"));
}

#[tokio::test]
async fn listing_follows_every_page() {
    let Some(store) = gcs_store_for_test(Some("paging")).await else {
        return;
    };
    let names: Vec<String> = (0..1234)
        .map(|i| format!("many/{}", i * 7 % 1234))
        .collect();
    futures::stream::iter(names.iter())
        .map(|n| {
            let store = &store;
            async move { store.put(&p(n), Bytes::from(n.clone())).await }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<()>>()
        .await
        .expect("put 1,234 objects");
    store
        .put(&p("manyx/outside"), Bytes::from_static(b"x"))
        .await
        .expect("put");
    let mut want: Vec<(String, u64)> = names.iter().map(|n| (n.clone(), n.len() as u64)).collect();
    want.sort();
    for page_size in [1000, 100] {
        let started = Instant::now();
        let listed: Vec<(String, u64)> = store
            .clone()
            .with_page_size(page_size)
            .list(&p("many"))
            .await
            .expect("list")
            .into_iter()
            .map(|o| (o.path.to_string(), o.size))
            .collect();
        eprintln!(
            "listed {} objects in pages of {page_size} in {:?}",
            listed.len(),
            started.elapsed()
        );
        assert_eq!(listed.len(), 1234, "pages of {page_size}");
        assert_eq!(
            listed, want,
            "every object once, sorted, pages of {page_size}"
        );
    }
}

#[tokio::test]
async fn a_lake_on_gcs_is_byte_identical_to_a_local_one() {
    let Some(gcs) = gcs_store_for_test(Some("lake")).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let local = LocalDirStore::open(dir.path()).expect("open");
    let scale = Scale::preset(ScaleName::Small);
    let world = Arc::new(World::new(42, &scale));
    let identity = LakeIdentity::new(42, &scale, GENERATOR_VERSION);
    let hours: Vec<PartitionHour> = ["2026-03-01T23", "2026-03-02T00"]
        .iter()
        .map(|h| h.parse().expect("hour"))
        .collect();
    let lakes = [Lake::new(Arc::new(gcs)), Lake::new(Arc::new(local))];
    for lake in &lakes {
        lake.ensure_identity(&identity).await.expect("identity");
        for &hour in &hours {
            let world = world.clone();
            let files = tokio::task::spawn_blocking(move || generate_hour(&world, hour))
                .await
                .expect("generate");
            lake.write_hour(hour, files, &identity)
                .await
                .expect("write hour");
        }
    }
    let mut dirs: Vec<String> = Table::ALL.iter().map(|t| t.name().to_string()).collect();
    dirs.push(layout::MANIFESTS.into());
    let mut compared = 0;
    for dir in &dirs {
        let [on_gcs, on_disk] = [&lakes[0], &lakes[1]].map(|l| l.store().clone());
        let gcs_list = on_gcs.list(&p(dir)).await.expect("list gcs");
        let local_list = on_disk.list(&p(dir)).await.expect("list local");
        assert_eq!(gcs_list, local_list, "same objects and sizes below {dir}");
        assert!(!gcs_list.is_empty(), "{dir} has objects");
        for object in &gcs_list {
            let a = on_gcs.get(&object.path).await.expect("get gcs");
            let b = on_disk.get(&object.path).await.expect("get local");
            assert!(a == b, "{} differs", object.path);
            compared += 1;
        }
    }
    let identity_path = p(layout::IDENTITY);
    assert_eq!(
        lakes[0]
            .store()
            .get(&identity_path)
            .await
            .expect("identity"),
        lakes[1]
            .store()
            .get(&identity_path)
            .await
            .expect("identity")
    );
    // Five tables, two hours: a data file and a manifest each.
    assert_eq!(compared, 20);
    for &hour in &hours {
        for table in Table::ALL {
            lakes[0].verify(table, hour).await.expect("verified on gcs");
        }
    }
    assert_eq!(
        lakes[0]
            .missing_hours(hours.iter().copied())
            .await
            .expect("missing"),
        Vec::<PartitionHour>::new()
    );
}

/// A TCP proxy to `target` that closes the first `drop_first` connections at once and
/// applies its corruptions to what passes.
struct FaultyProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

/// The first occurrence of `.0` in each read is replaced by `.1` (same length).
type Corruption = Option<(&'static [u8], &'static [u8])>;

#[derive(Clone, Copy, Default)]
struct Faults {
    drop_first: usize,
    /// In what the client sends.
    corrupt_up: Corruption,
    /// In what the server answers.
    corrupt_down: Corruption,
}

async fn faulty_proxy(target: SocketAddr, faults: Faults) -> FaultyProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            if seen.fetch_add(1, Ordering::SeqCst) < faults.drop_first {
                drop(inbound);
                continue;
            }
            let Ok(outbound) = TcpStream::connect(target).await else {
                continue;
            };
            let (from_client, to_client) = inbound.into_split();
            let (from_server, to_server) = outbound.into_split();
            tokio::spawn(pump(from_client, to_server, faults.corrupt_up));
            tokio::spawn(pump(from_server, to_client, faults.corrupt_down));
        }
    });
    FaultyProxy { addr, connections }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    corrupt: Corruption,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Some((find, replace)) = corrupt {
            if let Some(at) = buf[..n].windows(find.len()).position(|w| w == find) {
                buf[at..at + replace.len()].copy_from_slice(replace);
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

fn emulator_addr(endpoint: &str) -> SocketAddr {
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the emulator endpoint is http://127.0.0.1:PORT")
}

#[tokio::test]
async fn puts_are_retried_through_dropped_connections_and_fail_cleanly() {
    let Some(direct) = gcs_store_for_test(None).await else {
        return;
    };
    let target = emulator_addr(&gcs_test_endpoint().expect("endpoint"));
    let retry = RetryPolicy {
        attempts: 4,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    };
    let through = |proxy: &FaultyProxy| {
        GcsStore::new(
            gcp_test_http(retry),
            Some(format!("http://{}", proxy.addr)),
            direct.bucket(),
            None,
        )
    };

    let flaky = faulty_proxy(
        target,
        Faults {
            drop_first: 2,
            ..Faults::default()
        },
    )
    .await;
    let path = p("faults/retried.csv");
    through(&flaky)
        .put(&path, Bytes::from_static(b"a,b\n1,2\n"))
        .await
        .expect("the third try succeeds");
    assert_eq!(
        flaky.connections.load(Ordering::SeqCst),
        3,
        "two drops, then one success"
    );
    assert_eq!(&direct.get(&path).await.expect("get")[..], b"a,b\n1,2\n");

    let dead = faulty_proxy(
        target,
        Faults {
            drop_first: usize::MAX,
            ..Faults::default()
        },
    )
    .await;
    let lost = p("faults/lost.csv");
    let err = through(&dead)
        .put(&lost, Bytes::from_static(b"never\n"))
        .await
        .expect_err("every try is dropped");
    eprintln!("put through a dead proxy: {err}");
    assert_eq!(
        dead.connections.load(Ordering::SeqCst),
        4,
        "exactly `attempts` tries"
    );
    let StoreError::Backend { location, message } = &err else {
        panic!("a backend error, got {err:?}");
    };
    assert_eq!(
        location,
        &format!("gs://{}/faults/lost.csv", direct.bucket())
    );
    assert!(
        message.contains("uploading") && message.contains("gave up after 4 tries"),
        "{message}"
    );
    assert!(
        !direct.exists(&lost).await.expect("exists"),
        "nothing was written"
    );
    assert_eq!(
        direct.list(&p("faults")).await.expect("list").len(),
        1,
        "only the retried object is there"
    );
}

#[tokio::test]
async fn a_missing_bucket_is_a_backend_error_naming_it() {
    let Some(endpoint) = gcs_test_endpoint() else {
        return;
    };
    let bucket = unique_gcs_bucket();
    let store = GcsStore::new(
        gcp_test_http(RetryPolicy::NONE),
        Some(endpoint),
        bucket.clone(),
        Some("pre".into()),
    );
    match store.list(&p("x")).await {
        Err(StoreError::Backend { location, message }) => {
            assert_eq!(location, format!("gs://{bucket}/pre/x/"));
            assert!(message.contains("HTTP 404"), "{message}");
        }
        other => panic!("listing a missing bucket must fail, got {other:?}"),
    }
    store.ensure_bucket("rp-test").await.expect("create");
    store.ensure_bucket("rp-test").await.expect("409 is fine");
    assert!(store.list(&p("x")).await.expect("list").is_empty());
}

#[tokio::test]
async fn bytes_damaged_on_the_way_fail_the_put() {
    // Google refuses an upload whose bytes do not match the crc32c in its metadata; the
    // emulator does not check, so the store checks the crc32c the service reports back.
    let Some(direct) = gcs_store_for_test(None).await else {
        return;
    };
    let target = emulator_addr(&gcs_test_endpoint().expect("endpoint"));
    let proxy = faulty_proxy(
        target,
        Faults {
            corrupt_up: Some((&b"precious"[..], &b"PRECIOUS"[..])),
            ..Faults::default()
        },
    )
    .await;
    let store = GcsStore::new(
        gcp_test_http(RetryPolicy::NONE),
        Some(format!("http://{}", proxy.addr)),
        direct.bucket(),
        None,
    );
    let path = p("damaged/x.csv");
    let err = store
        .put(&path, Bytes::from_static(b"id\nprecious\n"))
        .await
        .expect_err("a damaged upload is an error");
    eprintln!("damaged put: {err}");
    let StoreError::Backend { location, message } = &err else {
        panic!("a backend error, got {err:?}");
    };
    assert_eq!(location, &format!("gs://{}/damaged/x.csv", direct.bucket()));
    assert!(message.contains("crc32c"), "{message}");
    // Proof the bytes were damaged on the way, not by the store.
    assert_eq!(
        &direct.get(&path).await.expect("get")[..],
        b"id\nPRECIOUS\n"
    );
}

#[tokio::test]
async fn bytes_damaged_on_the_way_back_fail_the_get_after_every_try() {
    let Some(direct) = gcs_store_for_test(None).await else {
        return;
    };
    let path = p("damaged/y.csv");
    direct
        .put(&path, Bytes::from_static(b"id\nprecious\n"))
        .await
        .expect("put");
    let target = emulator_addr(&gcs_test_endpoint().expect("endpoint"));
    let proxy = faulty_proxy(
        target,
        Faults {
            corrupt_down: Some((&b"precious"[..], &b"PRECIOUS"[..])),
            ..Faults::default()
        },
    )
    .await;
    let retry = RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    };
    let store = GcsStore::new(
        gcp_test_http(retry),
        Some(format!("http://{}", proxy.addr)),
        direct.bucket(),
        None,
    );
    let err = store
        .get(&path)
        .await
        .expect_err("damaged downloads are refused");
    eprintln!("damaged get: {err}");
    assert!(
        err.to_string().contains("crc32c") && err.to_string().contains("gave up after 3 tries"),
        "{err}"
    );
    // Through a clean connection the same object reads fine.
    assert_eq!(
        &direct.get(&path).await.expect("get")[..],
        b"id\nprecious\n"
    );
}

#[tokio::test]
async fn directories_are_listed_across_pages() {
    let Some(store) = gcs_store_for_test(Some("dirs")).await else {
        return;
    };
    for name in [
        "d/a/1", "d/a/2", "d/b/1", "d/c/x/1", "d/e/1", "d/f/1", "d/g/1", "d/file",
    ] {
        store
            .put(&p(name), Bytes::from_static(b"x"))
            .await
            .expect("put");
    }
    for page_size in [1000, 2] {
        let dirs = store
            .clone()
            .with_page_size(page_size)
            .list_dirs(&p("d"))
            .await
            .expect("list_dirs");
        assert_eq!(
            dirs,
            ["a", "b", "c", "e", "f", "g"],
            "each directory once, no objects, pages of {page_size}"
        );
    }
}
