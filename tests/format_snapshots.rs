//! The exact bytes of the data contract: headers, number and date formats, ids, manifests.
//! A change here changes every lake: bump `GENERATOR_VERSION` with it.

mod common;

use retail_pipeline::generate::{generate_hour, World, GENERATOR_VERSION};
use retail_pipeline::lake::{Lake, LakeIdentity, LocalDirStore};
use retail_pipeline::model::{PartitionHour, Scale, ScaleName, Table};
use std::sync::Arc;

fn head(bytes: &[u8], lines: usize) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .take(lines)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn small_scale_hour_heads() {
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let hour: PartitionHour = "2026-11-20T18".parse().expect("hour");
    let files = generate_hour(&world, hour);
    let mut out = String::new();
    for f in &files {
        out += &format!(
            "== {} ({} rows, {} bytes)\n{}\n",
            f.table,
            f.rows,
            f.bytes.len(),
            head(&f.bytes, 4)
        );
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn manifest_and_identity_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(Arc::new(LocalDirStore::open(dir.path()).expect("open")));
    let scale = Scale::preset(ScaleName::Small);
    let identity = LakeIdentity::new(42, &scale, GENERATOR_VERSION);
    lake.ensure_identity(&identity).await.expect("identity");
    let hour: PartitionHour = "2026-11-20T18".parse().expect("hour");
    let files = generate_hour(&World::new(42, &scale), hour);
    lake.write_hour(hour, files, &identity)
        .await
        .expect("write");
    let manifest = std::fs::read_to_string(
        dir.path()
            .join("_manifests/negative_inventory_alerts/date=2026-11-20/hour=18.json"),
    )
    .expect("manifest");
    let lake_json = std::fs::read_to_string(dir.path().join("_lake.json")).expect("identity");
    insta::assert_snapshot!(format!("{manifest}\n{lake_json}"));
    for table in Table::ALL {
        lake.verify(table, hour)
            .await
            .expect("the manifest matches the data");
    }
}
