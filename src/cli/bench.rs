//! `bench`: rows per second per table (one thread and all cores) and lake-write speed against a
//! plain sequential write of the same bytes, measured in one run and written to a file.

use super::{default_jobs, Outcome};
use crate::config::Config;
use crate::generate::events::EventPools;
use crate::generate::{csv::encode_table, encode_hour, DaySim, TableFile, World};
use crate::jobs::scenario::bench::{
    bench_events, bench_rate_accuracy, EventBenchFigures, RateAccuracy,
};
use crate::jobs::scenario::{ScenarioSpec, SCENARIOS};
use crate::jobs::{run_hours, RunProgress, RunTarget};
use crate::lake::{Lake, LocalDirStore};
use crate::model::{HourRange, PartitionHour, Table};
use anyhow::Context;
use futures::StreamExt;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Hours generated per measurement.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=24 * 31))]
    pub hours: u32,
    /// Where the figures go (JSON).
    #[arg(long, default_value = "bench-results/generator.json")]
    pub out: PathBuf,
    /// Events for the unthrottled event-stream measurement (0 skips it).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub events: u64,
    /// Seconds of real time to run each named scenario at its rate and measure its accuracy
    /// (0 skips it; 20 is a good value, about 4 minutes in all).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub rate_seconds: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    machine: Machine,
    seed: u64,
    scale: crate::model::Scale,
    hours: u32,
    world_build_secs: f64,
    single_thread: SingleThread,
    all_cores: AllCores,
    lake_write: LakeWrite,
    /// Order, inventory and user-activity events, unthrottled.
    events: Option<EventBenchFigures>,
    /// Each named scenario at its own rate on the real clock.
    rate_accuracy: Vec<RateAccuracy>,
}

#[derive(Debug, Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    os: &'static str,
}

#[derive(Debug, Serialize)]
struct SingleThread {
    /// Time to simulate the hours (stock, baskets), shared by the fact tables.
    simulate_secs: f64,
    tables: Vec<TableFigures>,
    /// Sales rows per second including the simulation they need.
    sales_rows_per_sec: f64,
    /// All rows of all tables per second, simulation and encoding included.
    all_rows_per_sec: f64,
}

#[derive(Debug, Serialize)]
struct TableFigures {
    table: Table,
    rows: u64,
    bytes: u64,
    encode_secs: f64,
    /// Rows per second of producing this table alone: its encoding plus, for the fact tables,
    /// the simulation behind it.
    rows_per_sec: f64,
}

#[derive(Debug, Serialize)]
struct AllCores {
    threads: usize,
    rows: u64,
    secs: f64,
    rows_per_sec: f64,
    speedup_over_one_thread: f64,
}

#[derive(Debug, Serialize)]
struct LakeWrite {
    bytes: u64,
    /// Generating the hours and writing them to the lake, as `generate` does: the two overlap,
    /// and generation is most of it.
    secs: f64,
    bytes_per_sec: f64,
    plain_write_secs: f64,
    plain_write_bytes_per_sec: f64,
    /// `secs` over plain sequential write time of the same bytes. Generation included: its
    /// floor is `all_cores.secs` over `plain_write_secs`, not 1.0.
    slowdown_vs_plain_write: f64,
    /// Writing the same hours' files, generated beforehand, the way `generate` writes them
    /// (data files, then manifests; temp file and rename; hours in parallel): the lake's own
    /// cost.
    io_only_secs: f64,
    /// `io_only_secs` over `plain_write_secs` (1.0 is the ceiling).
    io_only_slowdown_vs_plain_write: f64,
    /// The filesystem's own floor for the lake's shape: the same files (and one small file
    /// per hour for its manifest) made by a bare loop of create, write and rename on one
    /// thread, with nothing of the lake's code. On a disk where making a file costs far more
    /// than writing its bytes, this, not the plain write, is what the lake can approach.
    bare_files_secs: f64,
    bare_files_slowdown_vs_plain_write: f64,
    /// `io_only_secs` over `bare_files_secs`: the lake's code's own overhead.
    io_only_over_bare_files: f64,
}

const BENCH_DATE: &str = "2026-11-16";

pub async fn bench(config: &Config, args: BenchArgs) -> anyhow::Result<Outcome> {
    let start: PartitionHour = format!("{BENCH_DATE}T00").parse()?;
    let range = HourRange::new(start, start.offset(i64::from(args.hours) - 1)?)?;
    let (seed, scale) = (config.seed, config.scale.clone());

    let t = Instant::now();
    let world = Arc::new(World::new(seed, &scale));
    let world_build_secs = t.elapsed().as_secs_f64();

    let w = world.clone();
    let single = tokio::task::spawn_blocking(move || single_thread(&w, range)).await?;
    let threads = default_jobs();
    let w = world.clone();
    let all = tokio::task::spawn_blocking(move || all_cores(&w, range, threads)).await?;
    let all_cores = AllCores {
        threads,
        rows: all.0,
        secs: all.1,
        rows_per_sec: all.0 as f64 / all.1,
        speedup_over_one_thread: (all.0 as f64 / all.1) / single.all_rows_per_sec,
    };
    let lake_write = lake_write(config, world.clone(), range, threads).await?;

    let pools = {
        let world = world.clone();
        Arc::new(tokio::task::spawn_blocking(move || EventPools::new(world)).await?)
    };
    let events = if args.events > 0 {
        Some(bench_events(pools.clone(), args.events, None).await?)
    } else {
        None
    };
    let mut rate_accuracy = Vec::new();
    if args.rate_seconds > 0 {
        for s in SCENARIOS {
            let spec = ScenarioSpec::named(s.name)?;
            let limit = std::time::Duration::from_secs(args.rate_seconds);
            rate_accuracy.push(bench_rate_accuracy(pools.clone(), &spec, limit).await?);
        }
    }

    let report = Report {
        machine: machine(),
        seed,
        scale,
        hours: args.hours,
        world_build_secs,
        single_thread: single,
        all_cores,
        lake_write,
        events,
        rate_accuracy,
    };
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.out, &json).with_context(|| format!("writing {}", args.out.display()))?;
    print_report(&report);
    println!("figures written to {}", args.out.display());
    Ok(Outcome::Done)
}

fn single_thread(world: &World, range: HourRange) -> SingleThread {
    let mut simulate = 0.0;
    let mut figures: Vec<TableFigures> = Table::ALL
        .iter()
        .map(|&table| TableFigures {
            table,
            rows: 0,
            bytes: 0,
            encode_secs: 0.0,
            rows_per_sec: 0.0,
        })
        .collect();
    let mut sim: Option<DaySim<'_>> = None;
    for hour in range.hours() {
        let t = Instant::now();
        if sim.as_ref().and_then(DaySim::next_hour) != Some(hour.hour()) {
            sim = Some(DaySim::new(world, hour.date()));
        }
        let Some(s) = sim.as_mut() else { continue };
        let view = s.advance_to(hour.hour());
        simulate += t.elapsed().as_secs_f64();
        for f in figures.iter_mut() {
            let t = Instant::now();
            let file = encode_table(&view, f.table);
            f.encode_secs += t.elapsed().as_secs_f64();
            f.rows += file.rows;
            f.bytes += file.bytes.len() as u64;
        }
    }
    let mut total_rows = 0;
    let mut total_secs = simulate;
    let mut sales_rows_per_sec = 0.0;
    for f in figures.iter_mut() {
        let needs_simulation = !matches!(f.table, Table::ProductCatalog | Table::Stores);
        let secs = f.encode_secs + if needs_simulation { simulate } else { 0.0 };
        f.rows_per_sec = f.rows as f64 / secs.max(1e-9);
        total_rows += f.rows;
        total_secs += f.encode_secs;
        if f.table == Table::SalesData {
            sales_rows_per_sec = f.rows_per_sec;
        }
    }
    SingleThread {
        simulate_secs: simulate,
        tables: figures,
        sales_rows_per_sec,
        all_rows_per_sec: total_rows as f64 / total_secs.max(1e-9),
    }
}

/// Every thread generates the same number of hours, each on its own dates, all at once.
fn all_cores(world: &World, range: HourRange, threads: usize) -> (u64, f64) {
    let t = Instant::now();
    let rows: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                scope.spawn(move || {
                    let shift = i as i64 * 24 * 40;
                    let mut rows = 0;
                    let mut sim: Option<DaySim<'_>> = None;
                    for hour in range.hours().filter_map(|h| h.offset(shift).ok()) {
                        if sim.as_ref().and_then(DaySim::next_hour) != Some(hour.hour()) {
                            sim = Some(DaySim::new(world, hour.date()));
                        }
                        let Some(s) = sim.as_mut() else { continue };
                        let view = s.advance_to(hour.hour());
                        rows += Table::ALL
                            .iter()
                            .map(|&table| encode_table(&view, table).rows)
                            .sum::<u64>();
                    }
                    rows
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    (rows, t.elapsed().as_secs_f64())
}

/// Flushes what earlier measurements (or earlier runs) left for the disk to write back, so no
/// timed write pays for the one before it. Best effort: without `sync` the figures are only
/// noisier. (On this project's VM the lake's figure still drifts run to run, 4x to 35x plain
/// for the same files, with the disk's own state; compare runs made together.)
async fn settle_disk() {
    let _ = tokio::task::spawn_blocking(|| std::process::Command::new("sync").status()).await;
}

async fn lake_write(
    config: &Config,
    world: Arc<World>,
    range: HourRange,
    jobs: usize,
) -> anyhow::Result<LakeWrite> {
    let dir = config
        .data_dir
        .join(format!("bench-{}", std::process::id()));
    let store = LocalDirStore::open(dir.join("lake"))
        .with_context(|| format!("opening {}", dir.display()))?;
    let lake = Lake::new(Arc::new(store));
    settle_disk().await;
    let t = Instant::now();
    let identity = config.identity();
    let target_world = world.clone();
    let target = RunTarget {
        lake: &lake,
        world,
        identity: &identity,
        jobs,
        alerts: None,
    };
    let summary = run_hours(
        target,
        range.hours().collect(),
        RunProgress::new(),
        CancellationToken::new(),
    )
    .await?;
    let secs = t.elapsed().as_secs_f64();

    // The lake's own cost: the same files, generated first, then written and timed alone.
    let files = {
        let world = target_world;
        tokio::task::spawn_blocking(move || generate_files(&world, range)).await?
    };
    let io_lake = Lake::new(Arc::new(
        LocalDirStore::open(dir.join("lake-io"))
            .with_context(|| format!("opening {}", dir.display()))?,
    ));
    settle_disk().await;
    let t = Instant::now();
    let bare_files = files.clone();
    let writes = futures::stream::iter(files)
        .map(|(hour, files)| io_lake.write_hour(hour, files, &identity))
        .buffer_unordered(jobs);
    futures::pin_mut!(writes);
    while let Some(written) = writes.next().await {
        written?;
    }
    let io_only_secs = t.elapsed().as_secs_f64();

    let bare_dir = dir.join("lake-bare");
    settle_disk().await;
    let bare_files_secs =
        tokio::task::spawn_blocking(move || write_bare_files(&bare_dir, &bare_files))
            .await?
            .context("writing the bare files")?;

    // The physical ceiling: the same number of bytes written to one file, 1 MiB at a time.
    let plain_path = dir.join("plain.bin");
    let bytes = summary.bytes;
    settle_disk().await;
    let plain_write_secs = tokio::task::spawn_blocking(move || -> std::io::Result<f64> {
        let chunk = vec![b'x'; 1 << 20];
        let t = Instant::now();
        let mut f = std::fs::File::create(&plain_path)?;
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            f.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        drop(f);
        Ok(t.elapsed().as_secs_f64())
    })
    .await??;
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(LakeWrite {
        bytes,
        secs,
        bytes_per_sec: bytes as f64 / secs,
        plain_write_secs,
        plain_write_bytes_per_sec: bytes as f64 / plain_write_secs,
        slowdown_vs_plain_write: secs / plain_write_secs,
        io_only_secs,
        io_only_slowdown_vs_plain_write: io_only_secs / plain_write_secs,
        bare_files_secs,
        bare_files_slowdown_vs_plain_write: bare_files_secs / plain_write_secs,
        io_only_over_bare_files: io_only_secs / bare_files_secs,
    })
}

/// Makes the lake's files under `dir` with plain `std::fs` calls: a directory per table and
/// hour, each file written to a temporary name and renamed, and a 256-byte file per hour in
/// place of the manifest. Returns the seconds it took.
fn write_bare_files(
    dir: &std::path::Path,
    hours: &[(PartitionHour, Vec<TableFile>)],
) -> std::io::Result<f64> {
    let manifest = [b'm'; 256];
    let t = Instant::now();
    for (hour, files) in hours {
        let leaf = format!("date={}/hour={:02}", hour.date(), hour.hour());
        for file in files {
            let sub = dir.join(file.table.name()).join(&leaf);
            std::fs::create_dir_all(&sub)?;
            let tmp = sub.join(".part.csv.tmp");
            std::fs::write(&tmp, &file.bytes)?;
            std::fs::rename(&tmp, sub.join("part.csv"))?;
        }
        let sub = dir.join("_manifests").join(&leaf);
        std::fs::create_dir_all(&sub)?;
        std::fs::write(sub.join("manifest.json"), manifest)?;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Every hour's encoded files, in order, as `generate` would write them.
fn generate_files(world: &World, range: HourRange) -> Vec<(PartitionHour, Vec<TableFile>)> {
    let mut out = Vec::new();
    let mut sim: Option<DaySim<'_>> = None;
    for hour in range.hours() {
        if sim.as_ref().and_then(DaySim::next_hour) != Some(hour.hour()) {
            sim = Some(DaySim::new(world, hour.date()));
        }
        let Some(s) = sim.as_mut() else { continue };
        out.push((hour, encode_hour(&s.advance_to(hour.hour()))));
    }
    out
}

fn machine() -> Machine {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpus: default_jobs(),
        cpu_model,
        os: std::env::consts::OS,
    }
}

fn print_report(r: &Report) {
    println!(
        "bench: scale {} ({} products, {} stores, {} pairs), {} hours, {} cpus ({})",
        r.scale.name,
        r.scale.products,
        r.scale.stores,
        r.single_thread
            .tables
            .iter()
            .find(|t| t.table == Table::InventoryData)
            .map_or(0, |t| t.rows / u64::from(r.hours)),
        r.hours,
        r.machine.cpus,
        r.machine.cpu_model
    );
    println!(
        "{:<28} {:>12} {:>14} {:>16}",
        "table (one thread)", "rows", "MB", "rows/s"
    );
    for t in &r.single_thread.tables {
        println!(
            "{:<28} {:>12} {:>14.1} {:>16.0}",
            t.table.name(),
            t.rows,
            t.bytes as f64 / 1e6,
            t.rows_per_sec
        );
    }
    println!(
        "all tables, one thread: {:.0} rows/s; all {} cores: {:.0} rows/s ({:.2}x)",
        r.single_thread.all_rows_per_sec,
        r.all_cores.threads,
        r.all_cores.rows_per_sec,
        r.all_cores.speedup_over_one_thread
    );
    println!(
        "lake write: {:.1} MB/s generated and written; plain sequential write: {:.1} MB/s; lake/plain time {:.2}x ({:.2}x writing pre-generated files)",
        r.lake_write.bytes_per_sec / 1e6,
        r.lake_write.plain_write_bytes_per_sec / 1e6,
        r.lake_write.slowdown_vs_plain_write,
        r.lake_write.io_only_slowdown_vs_plain_write
    );
    println!(
        "lake files: a bare create/write/rename loop over the same files takes {:.2}x the plain write; the lake's writes take {:.2}x the bare loop",
        r.lake_write.bare_files_slowdown_vs_plain_write, r.lake_write.io_only_over_bare_files
    );
    if let Some(e) = &r.events {
        println!(
            "events: generate+JSON {:.0}/s on one thread; unthrottled runner to the bus {:.0}/s",
            e.generate_one_thread.events_per_sec, e.runner_to_bus.events_per_sec
        );
    }
    for a in &r.rate_accuracy {
        println!(
            "rate {:<20} target {:>4}/min measured {:>9.3}/min error {:+.4}% ({} events, latest {:.1} ms late)",
            a.scenario, a.target_per_minute, a.measured_per_minute, a.error_pct, a.events, a.max_late_ms
        );
    }
}
