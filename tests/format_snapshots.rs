//! The exact bytes of the data contract: headers, number and date formats, ids, manifests.
//! A change here changes every lake: bump `GENERATOR_VERSION` with it.

mod common;

use retail_pipeline::generate::{generate_hour, generate_hour_as, World, GENERATOR_VERSION};
use retail_pipeline::lake::{Lake, LakeIdentity, LocalDirStore};
use retail_pipeline::model::{LakeFormat, PartitionHour, Scale, ScaleName, Table};
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

/// The small scale's hour 2026-11-20T18 (seed 42) written as `format` to a fresh local lake,
/// every table verified against its manifest. Returns the lake (and the directory that holds
/// it) with the text to snapshot: the manifest at `manifest` (below `_manifests/`), then
/// `_lake.json`.
async fn written_hour(format: LakeFormat, manifest: &str) -> (tempfile::TempDir, Lake, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(Arc::new(LocalDirStore::open(dir.path()).expect("open")));
    let scale = Scale::preset(ScaleName::Small);
    let identity = LakeIdentity::new(42, &scale, GENERATOR_VERSION).with_format(format);
    lake.ensure_identity(&identity).await.expect("identity");
    let hour: PartitionHour = "2026-11-20T18".parse().expect("hour");
    let files = generate_hour_as(&World::new(42, &scale), hour, format).expect("encode");
    lake.write_hour(hour, files, &identity)
        .await
        .expect("write");
    for table in Table::ALL {
        lake.verify(table, hour)
            .await
            .expect("the manifest matches the data");
    }
    let manifest =
        std::fs::read_to_string(dir.path().join("_manifests").join(manifest)).expect("manifest");
    let lake_json = std::fs::read_to_string(dir.path().join("_lake.json")).expect("identity");
    (dir, lake, format!("{manifest}\n{lake_json}"))
}

#[tokio::test]
async fn manifest_and_identity_format() {
    let (_dir, _lake, text) = written_hour(
        LakeFormat::Csv,
        "negative_inventory_alerts/date=2026-11-20/hour=18.json",
    )
    .await;
    insta::assert_snapshot!(text);
}

/// A Parquet hour: each file's size and CRC-32C (so any change of the writer's bytes, such as
/// a `parquet` update that encodes differently, fails here and bumps `GENERATOR_VERSION`),
/// its pinned writer name, row groups and schema, and its first rows.
#[test]
fn small_scale_parquet_hour() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::schema::printer::print_schema;
    let world = World::new(42, &Scale::preset(ScaleName::Small));
    let hour: PartitionHour = "2026-11-20T18".parse().expect("hour");
    let files = generate_hour_as(&world, hour, LakeFormat::Parquet).expect("encode");
    let mut out = String::new();
    for f in &files {
        let reader =
            SerializedFileReader::new(bytes::Bytes::from(f.bytes.clone())).expect("footer");
        let meta = reader.metadata();
        let mut schema = Vec::new();
        print_schema(&mut schema, meta.file_metadata().schema());
        let rows = common::rows(f);
        let mut first: Vec<String> = rows
            .iter()
            .take(2)
            .map(|r| {
                f.table
                    .columns()
                    .iter()
                    .map(|c| r[*c].as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        first.insert(0, String::new());
        out += &format!(
            "== {} ({} rows, {} bytes, crc32c {:08x}, {} row groups, created by {:?})\n{}{}\n",
            f.table,
            f.rows,
            f.bytes.len(),
            f.crc32c,
            meta.num_row_groups(),
            meta.file_metadata().created_by(),
            String::from_utf8_lossy(&schema),
            first.join("\n"),
        );
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn a_parquet_lake_names_its_format_and_verifies() {
    let (_dir, lake, text) =
        written_hour(LakeFormat::Parquet, "stores/date=2026-11-20/hour=18.json").await;
    insta::assert_snapshot!(text);
    // The same lake opened for CSV is refused, naming both formats.
    let scale = Scale::preset(ScaleName::Small);
    let csv = LakeIdentity::new(42, &scale, GENERATOR_VERSION);
    let err = lake.ensure_identity(&csv).await.expect_err("mismatch");
    let message = err.to_string();
    assert!(
        message.contains("holds parquet files") && message.contains("this run writes csv"),
        "{message}"
    );
}
