//! The measurement behind the Parquet writer's choice (benches/PERFORMANCE.md): one
//! default-scale hour written as Parquet by this crate's writer (our own encoder fed by the
//! table encoders, `src/generate/parquet`; until writer revision 3 the `parquet` crate's
//! column writer, measured beside it in PERFORMANCE.md), and by DuckDB's own writer (the
//! prebuilt library's `COPY ... TO`, fed the hour's CSV, the cheapest way to hand it rows).
//! Best of 5 each, one thread.
//!
//! cargo run --release --example parquet_writer_choice

use retail_pipeline::generate::{csv, encode::encode_table_as, ShopSim, World};
use retail_pipeline::model::{LakeFormat, Scale, ScaleName, Table};
use std::time::Instant;

const ROUNDS: usize = 5;

fn best(mut f: impl FnMut() -> u64) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        bytes = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, bytes)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let world = World::new(42, &Scale::preset(ScaleName::Default));
    let hour: retail_pipeline::model::PartitionHour = "2026-11-16T12".parse()?;
    let mut sim = ShopSim::new(&world, hour.date());
    let view = sim.advance_to(hour);
    let rows: u64 = Table::ALL
        .iter()
        .map(|&t| csv::encode_table(&view, t).rows)
        .sum();

    let (csv_secs, csv_bytes) = best(|| {
        Table::ALL
            .iter()
            .map(|&t| csv::encode_table(&view, t).bytes.len() as u64)
            .sum()
    });
    let (ours_secs, ours_bytes) = best(|| {
        Table::ALL
            .iter()
            .map(|&t| {
                encode_table_as(&view, t, LakeFormat::Parquet).map_or(0, |f| f.bytes.len() as u64)
            })
            .sum()
    });

    let dir = tempfile::tempdir()?;
    let conn = duckdb::Connection::open_in_memory()?;
    conn.execute_batch("SET threads = 1;")?;
    conn.execute_batch(&retail_pipeline::warehouse::duckdb::reader_macros())?;
    // The readers take a partition's date and hour from a Hive path, as the refresh stages it.
    let partition = dir.path().join("date=2026-11-16").join("hour=12");
    std::fs::create_dir_all(&partition)?;
    let (duck_secs, duck_bytes) = best(|| {
        let mut bytes = 0;
        for &t in &Table::ALL {
            // Encoding the CSV is part of this path's cost: it is how the rows reach DuckDB.
            let file = csv::encode_table(&view, t);
            let src = partition.join(format!("{t}.csv"));
            let dst = dir.path().join(format!("{t}.parquet"));
            std::fs::write(&src, &file.bytes).expect("write csv");
            // Only the file's own columns, as the lake's Parquet file has them.
            let path_columns = if t.carries_partition() {
                "partition_date, partition_hour"
            } else {
                "date, hour"
            };
            conn.execute_batch(&format!(
                "COPY (SELECT * EXCLUDE ({path_columns}) FROM {t}_csv(['{}'])) \
                 TO '{}' (FORMAT parquet, COMPRESSION snappy)",
                src.display(),
                dst.display()
            ))
            .expect("copy to parquet");
            bytes += std::fs::read(&dst).expect("read parquet").len() as u64;
        }
        bytes
    });
    println!("one default-scale hour, {rows} rows, best of {ROUNDS}, one thread");
    for (name, secs, bytes) in [
        ("csv (today's encoder)", csv_secs, csv_bytes),
        ("parquet (our encoder, zstd 1)", ours_secs, ours_bytes),
        ("duckdb COPY TO parquet (from csv)", duck_secs, duck_bytes),
    ] {
        println!(
            "{name:<36} {:>8.1} ms {:>12.0} rows/s {:>10} bytes",
            secs * 1e3,
            rows as f64 / secs,
            bytes
        );
    }
    Ok(())
}
