//! The shared test suite of the `BlobStore` contract. Every backend runs it: the local
//! directory in `tests/lake_contract.rs`, Cloud Storage against its emulator.
//!
//! Each check panics with a message naming the broken promise.

use super::store::{BlobPath, BlobStore, StoreError};
use bytes::Bytes;

fn p(s: &str) -> BlobPath {
    BlobPath::new(s).expect("test paths are valid")
}

/// Runs every check under `root`, a prefix the backend may use freely (and that starts empty).
pub async fn run_all(store: &dyn BlobStore, root: &str) {
    put_get_round_trip(store, root).await;
    put_overwrites_whole(store, root).await;
    get_and_exists_of_absent(store, root).await;
    list_is_recursive_sorted_and_segment_aligned(store, root).await;
    delete_is_idempotent(store, root).await;
    concurrent_puts_leave_one_whole_object(store, root).await;
    put_many_writes_each_whole(store, root).await;
    put_stages_writes_stage_after_stage(store, root).await;
    paths_are_validated();
}

pub async fn put_get_round_trip(store: &dyn BlobStore, root: &str) {
    let path = p(&format!("{root}/rt/a.csv"));
    let data = Bytes::from_static(b"id,name\n1,x\n");
    store.put(&path, data.clone()).await.expect("put");
    assert_eq!(
        store.get(&path).await.expect("get"),
        data,
        "get returns what put wrote"
    );
    assert!(
        store.exists(&path).await.expect("exists"),
        "exists after put"
    );
    let empty = p(&format!("{root}/rt/empty"));
    store.put(&empty, Bytes::new()).await.expect("put empty");
    assert_eq!(
        store.get(&empty).await.expect("get empty").len(),
        0,
        "empty objects are kept"
    );
}

pub async fn put_overwrites_whole(store: &dyn BlobStore, root: &str) {
    let path = p(&format!("{root}/ow/x"));
    store
        .put(&path, Bytes::from(vec![b'a'; 100_000]))
        .await
        .expect("put long");
    for (put, why) in [
        ("put short", "a put replaces the whole object"),
        ("put again", "a repeated put is idempotent"),
    ] {
        store
            .put(&path, Bytes::from_static(b"short"))
            .await
            .expect(put);
        let got = store.get(&path).await.expect("get");
        assert_eq!(&got[..], b"short", "{why}");
    }
}

pub async fn get_and_exists_of_absent(store: &dyn BlobStore, root: &str) {
    let path = p(&format!("{root}/absent/none"));
    assert!(
        !store.exists(&path).await.expect("exists"),
        "absent objects do not exist"
    );
    match store.get(&path).await {
        Err(StoreError::NotFound(found)) => assert_eq!(found, path, "NotFound names the path"),
        other => panic!("get of an absent object must be NotFound, got {other:?}"),
    }
    let below_file = p(&format!("{root}/rt/a.csv/child"));
    assert!(
        !store
            .exists(&below_file)
            .await
            .expect("exists below a file"),
        "nothing lives below an object"
    );
}

pub async fn list_is_recursive_sorted_and_segment_aligned(store: &dyn BlobStore, root: &str) {
    for name in ["b/2", "b/1", "b/deep/x/y", "bc/1", "a"] {
        store
            .put(&p(&format!("{root}/ls/{name}")), Bytes::from_static(b"12"))
            .await
            .expect("put");
    }
    let listed: Vec<String> = store
        .list(&p(&format!("{root}/ls/b")))
        .await
        .expect("list")
        .into_iter()
        .map(|o| {
            assert_eq!(o.size, 2, "list reports sizes");
            o.path.to_string()
        })
        .collect();
    let want: Vec<String> = ["b/1", "b/2", "b/deep/x/y"]
        .iter()
        .map(|n| format!("{root}/ls/{n}"))
        .collect();
    assert_eq!(
        listed, want,
        "list is recursive, sorted, and never crosses a segment (bc)"
    );
    let paths: Vec<String> = store
        .list_paths(&p(&format!("{root}/ls/b")))
        .await
        .expect("list_paths")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(paths, want, "list_paths lists what list does");
    assert_eq!(
        store
            .list_dirs(&p(&format!("{root}/ls")))
            .await
            .expect("list_dirs"),
        ["b", "bc"],
        "list_dirs: the directories directly below, sorted, no objects (a)"
    );
    assert_eq!(
        store
            .list_dirs(&p(&format!("{root}/ls/b")))
            .await
            .expect("list_dirs"),
        ["deep"]
    );
    assert!(store
        .list_dirs(&p(&format!("{root}/ls/nothing")))
        .await
        .expect("list_dirs absent")
        .is_empty());
    let none = store
        .list(&p(&format!("{root}/ls/nothing")))
        .await
        .expect("list absent");
    assert!(
        store
            .list_paths(&p(&format!("{root}/ls/nothing")))
            .await
            .expect("list_paths absent")
            .is_empty(),
        "list_paths of an absent prefix is empty too"
    );
    assert!(
        none.is_empty(),
        "listing an absent prefix is empty, not an error"
    );
}

pub async fn delete_is_idempotent(store: &dyn BlobStore, root: &str) {
    let path = p(&format!("{root}/del/x"));
    store
        .put(&path, Bytes::from_static(b"x"))
        .await
        .expect("put");
    store.delete(&path).await.expect("delete");
    assert!(
        !store.exists(&path).await.expect("exists"),
        "deleted objects are gone"
    );
    store
        .delete(&path)
        .await
        .expect("deleting an absent object succeeds");
}

pub async fn concurrent_puts_leave_one_whole_object(store: &dyn BlobStore, root: &str) {
    let path = p(&format!("{root}/race/x"));
    let bodies: Vec<Bytes> = (0..8u8)
        .map(|i| Bytes::from(vec![b'a' + i; 64 * 1024]))
        .collect();
    let puts = bodies.iter().map(|b| store.put(&path, b.clone()));
    for result in futures::future::join_all(puts).await {
        result.expect("concurrent put");
    }
    let got = store.get(&path).await.expect("get");
    assert!(
        bodies.contains(&got),
        "one concurrent put wins whole, never a mix"
    );
    let listed = store.list(&p(&format!("{root}/race"))).await.expect("list");
    assert_eq!(
        listed.len(),
        1,
        "no temporary objects are visible: {listed:?}"
    );
}

pub async fn put_many_writes_each_whole(store: &dyn BlobStore, root: &str) {
    store
        .put_many(Vec::new())
        .await
        .expect("an empty set is written at once");
    let objects: Vec<(BlobPath, Bytes)> = (0..5u8)
        .map(|i| {
            let path = p(&format!(
                "{root}/many/t{i}/date=2026-01-01/hour=0{i}/part.csv"
            ));
            (path, Bytes::from(vec![b'a' + i; 1000 * usize::from(i)]))
        })
        .collect();
    store.put_many(objects.clone()).await.expect("put_many");
    for (path, bytes) in &objects {
        assert_eq!(
            &store.get(path).await.expect("get")[..],
            &bytes[..],
            "put_many writes each object whole, in new directories too: {path}"
        );
    }
    let again: Vec<(BlobPath, Bytes)> = objects
        .iter()
        .map(|(path, _)| (path.clone(), Bytes::from_static(b"v2")))
        .collect();
    store.put_many(again).await.expect("put_many again");
    for (path, _) in &objects {
        assert_eq!(
            &store.get(path).await.expect("get")[..],
            b"v2",
            "put_many replaces each object as put does: {path}"
        );
    }
    let listed = store.list(&p(&format!("{root}/many"))).await.expect("list");
    assert_eq!(
        listed.iter().map(|o| o.path.clone()).collect::<Vec<_>>(),
        objects
            .iter()
            .map(|(path, _)| path.clone())
            .collect::<Vec<_>>(),
        "exactly the objects written, no temporary ones"
    );
}

pub async fn put_stages_writes_stage_after_stage(store: &dyn BlobStore, root: &str) {
    store
        .put_stages(vec![Vec::new(), Vec::new()])
        .await
        .expect("empty stages are written at once");
    let data: Vec<(BlobPath, Bytes)> = (0..3u8)
        .map(|i| {
            let path = p(&format!(
                "{root}/stages/t{i}/date=2026-01-01/hour=00/part.csv"
            ));
            (path, Bytes::from(vec![b'a' + i; 500]))
        })
        .collect();
    let commit = p(&format!("{root}/stages/_manifests/hour=00.json"));
    // The same path in both stages: the later stage's bytes are what stays.
    let stages = vec![
        data.iter()
            .cloned()
            .chain([(commit.clone(), Bytes::from_static(b"first"))])
            .collect(),
        vec![(commit.clone(), Bytes::from_static(b"second"))],
    ];
    store.put_stages(stages).await.expect("put_stages");
    for (path, bytes) in &data {
        assert_eq!(
            &store.get(path).await.expect("get")[..],
            &bytes[..],
            "{path}"
        );
    }
    assert_eq!(
        &store.get(&commit).await.expect("get")[..],
        b"second",
        "a stage is written after the stage before it"
    );
}

pub fn paths_are_validated() {
    for bad in [
        "", "/abs", "a//b", "a/../b", "./a", "a/.tmp-x", "a\\b", "a/\nb",
    ] {
        assert!(BlobPath::new(bad).is_err(), "path {bad:?} must be refused");
    }
    assert!(BlobPath::new("sales_data/date=2026-01-01/hour=00/part-00000.csv").is_ok());
}
