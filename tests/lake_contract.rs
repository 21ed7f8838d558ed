//! The `BlobStore` contract suite on the local-directory backend.

use retail_pipeline::lake::{contract, BlobPath, BlobStore, LocalDirStore};

#[tokio::test]
async fn local_dir_store_keeps_the_blob_store_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalDirStore::open(dir.path()).expect("open");
    contract::run_all(&store, "suite").await;
}

#[tokio::test]
async fn a_crashed_write_leaves_nothing_visible() {
    // A temp file is what a write killed before its rename leaves behind.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalDirStore::open(dir.path()).expect("open");
    std::fs::create_dir_all(dir.path().join("t/date=2026-01-01/hour=00")).expect("mkdir");
    std::fs::write(
        dir.path()
            .join("t/date=2026-01-01/hour=00/.tmp-part-00000.csv-1-0"),
        b"half a fi",
    )
    .expect("write");
    let prefix = BlobPath::new("t").expect("path");
    assert!(store.list(&prefix).await.expect("list").is_empty());
    let target = BlobPath::new("t/date=2026-01-01/hour=00/part-00000.csv").expect("path");
    assert!(!store.exists(&target).await.expect("exists"));
}

#[test]
fn opening_an_unwritable_directory_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let err = LocalDirStore::open(file.join("lake")).expect_err("a file is not a directory");
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[tokio::test]
async fn a_failed_stage_stops_the_stages_after_it() {
    // A path below an existing file cannot be written: the data stage fails, and the manifest
    // stage, which would declare the hour complete, must not be written at all.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalDirStore::open(dir.path()).expect("open");
    std::fs::write(dir.path().join("blocker"), b"x").expect("write");
    let path = |p: &str| BlobPath::new(p).expect("path");
    let data = vec![
        (path("t/part.csv"), bytes::Bytes::from_static(b"a,b\n")),
        (
            path("blocker/part.csv"),
            bytes::Bytes::from_static(b"a,b\n"),
        ),
    ];
    let manifest = vec![(path("_manifests/t.json"), bytes::Bytes::from_static(b"{}"))];
    let err = store
        .put_stages(vec![data, manifest])
        .await
        .expect_err("a path below a file fails");
    assert!(err.to_string().contains("blocker"), "{err}");
    assert!(
        !store
            .exists(&path("_manifests/t.json"))
            .await
            .expect("exists"),
        "no stage after the failed one is written"
    );
}
