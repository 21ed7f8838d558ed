//! `bench`: rows per second per table (one thread and all cores) and lake-write speed against a
//! plain sequential write of the same bytes, measured in one run and written to a file.

mod lake_write;

use super::{default_jobs, Outcome};
use crate::config::Config;
use crate::generate::events::EventPools;
use crate::generate::{encode::encode_table_as, ShopSim, World};
use crate::jobs::scenario::bench::{
    bench_events, bench_rate_accuracy, EventBenchFigures, RateAccuracy,
};
use crate::jobs::scenario::{ScenarioSpec, SCENARIOS};
use crate::model::{HourRange, LakeFormat, PartitionHour, Table};
use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
    /// CSV, the default format: encoding on one thread, on all cores, and the lake writes.
    single_thread: SingleThread,
    all_cores: AllCores,
    lake_write: lake_write::LakeWrite,
    /// The same hours as Parquet, beside CSV.
    parquet: ParquetFigures,
    /// Order, inventory and user-activity events, unthrottled.
    events: Option<EventBenchFigures>,
    /// Each named scenario at its own rate on the real clock.
    rate_accuracy: Vec<RateAccuracy>,
}

/// Parquet's figures, measured in the same run as CSV's, and the two side by side.
#[derive(Debug, Serialize)]
struct ParquetFigures {
    single_thread: SingleThread,
    lake_write: lake_write::LakeWrite,
    side_by_side: Vec<SideBySide>,
}

#[derive(Debug, Serialize)]
struct SideBySide {
    figure: &'static str,
    csv: f64,
    parquet: f64,
    /// parquet / csv.
    ratio: f64,
}

impl SideBySide {
    fn new(figure: &'static str, csv: f64, parquet: f64) -> Self {
        Self {
            figure,
            csv,
            parquet,
            ratio: parquet / csv.max(1e-12),
        }
    }
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

const BENCH_DATE: &str = "2026-11-16";

pub async fn bench(config: &Config, args: BenchArgs) -> anyhow::Result<Outcome> {
    let start: PartitionHour = format!("{BENCH_DATE}T00").parse()?;
    let range = HourRange::new(start, start.offset(i64::from(args.hours) - 1)?)?;
    let (seed, scale) = (config.seed, config.scale.clone());

    let t = Instant::now();
    let world = Arc::new(World::new(seed, &scale));
    let world_build_secs = t.elapsed().as_secs_f64();

    let w = world.clone();
    let single =
        tokio::task::spawn_blocking(move || single_thread(&w, range, LakeFormat::Csv)).await??;
    let w = world.clone();
    let single_parquet =
        tokio::task::spawn_blocking(move || single_thread(&w, range, LakeFormat::Parquet))
            .await??;
    let threads = default_jobs();
    let w = world.clone();
    let all = tokio::task::spawn_blocking(move || all_cores(&w, range, threads)).await??;
    let all_cores = AllCores {
        threads,
        rows: all.0,
        secs: all.1,
        rows_per_sec: all.0 as f64 / all.1,
        speedup_over_one_thread: (all.0 as f64 / all.1) / single.all_rows_per_sec,
    };
    let identity = config.identity().with_format(LakeFormat::Csv);
    let lake_write =
        lake_write::lake_write(&config.data_dir, &identity, world.clone(), range, threads).await?;
    let identity = identity.with_format(LakeFormat::Parquet);
    let lake_write_parquet =
        lake_write::lake_write(&config.data_dir, &identity, world.clone(), range, threads).await?;
    let rows: u64 = single.tables.iter().map(|t| t.rows).sum();
    let side_by_side = vec![
        SideBySide::new(
            "data bytes",
            lake_write.bytes as f64,
            lake_write_parquet.bytes as f64,
        ),
        SideBySide::new(
            "rows/s encoded, one thread (simulation included)",
            single.all_rows_per_sec,
            single_parquet.all_rows_per_sec,
        ),
        SideBySide::new(
            "rows/s generated and written, all cores (best round)",
            rows as f64 / lake_write.secs.max(1e-9),
            rows as f64 / lake_write_parquet.secs.max(1e-9),
        ),
        SideBySide::new(
            "rows/s generated and written, all cores (median round)",
            rows as f64 / lake_write.medians.secs.max(1e-9),
            rows as f64 / lake_write_parquet.medians.secs.max(1e-9),
        ),
    ];
    let parquet = ParquetFigures {
        single_thread: single_parquet,
        lake_write: lake_write_parquet,
        side_by_side,
    };

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
        parquet,
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

fn single_thread(
    world: &World,
    range: HourRange,
    format: LakeFormat,
) -> Result<SingleThread, crate::generate::EncodeError> {
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
    let mut sim: Option<ShopSim<'_>> = None;
    for hour in range.hours() {
        let t = Instant::now();
        if sim.as_ref().and_then(ShopSim::next_hour) != Some(hour) {
            sim = Some(ShopSim::new(world, hour.date()));
        }
        let Some(s) = sim.as_mut() else { continue };
        let view = s.advance_to(hour);
        simulate += t.elapsed().as_secs_f64();
        for f in figures.iter_mut() {
            let t = Instant::now();
            let file = encode_table_as(&view, f.table, format)?;
            f.encode_secs += t.elapsed().as_secs_f64();
            f.rows += file.rows;
            f.bytes += file.bytes.len() as u64;
        }
    }
    let mut total_rows = 0;
    let mut total_secs = simulate;
    let mut sales_rows_per_sec = 0.0;
    for f in figures.iter_mut() {
        let needs_simulation = !f.table.is_dimension();
        let secs = f.encode_secs + if needs_simulation { simulate } else { 0.0 };
        f.rows_per_sec = f.rows as f64 / secs.max(1e-9);
        total_rows += f.rows;
        total_secs += f.encode_secs;
        if f.table == Table::SalesData {
            sales_rows_per_sec = f.rows_per_sec;
        }
    }
    Ok(SingleThread {
        simulate_secs: simulate,
        tables: figures,
        sales_rows_per_sec,
        all_rows_per_sec: total_rows as f64 / total_secs.max(1e-9),
    })
}

/// Every thread generates the same number of hours as CSV, each on its own dates, all at once.
fn all_cores(
    world: &World,
    range: HourRange,
    threads: usize,
) -> Result<(u64, f64), crate::generate::EncodeError> {
    let t = Instant::now();
    let rows: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                scope.spawn(move || {
                    let shift = i as i64 * 24 * 40;
                    let mut rows = 0;
                    let mut sim: Option<ShopSim<'_>> = None;
                    for hour in range.hours().filter_map(|h| h.offset(shift).ok()) {
                        if sim.as_ref().and_then(ShopSim::next_hour) != Some(hour) {
                            sim = Some(ShopSim::new(world, hour.date()));
                        }
                        let Some(s) = sim.as_mut() else { continue };
                        let view = s.advance_to(hour);
                        rows += Table::ALL
                            .iter()
                            .map(|&table| crate::generate::csv::encode_table(&view, table).rows)
                            .sum::<u64>();
                    }
                    rows
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    Ok((rows, t.elapsed().as_secs_f64()))
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
        "lake write (best of {} rounds): {:.1} MB/s generated and written; plain sequential write: {:.1} MB/s; lake/plain time {:.2}x ({:.2}x writing pre-generated files)",
        r.lake_write.rounds,
        r.lake_write.bytes_per_sec / 1e6,
        r.lake_write.plain_write_bytes_per_sec / 1e6,
        r.lake_write.slowdown_vs_plain_write,
        r.lake_write.io_only_slowdown_vs_plain_write
    );
    println!(
        "lake files: a bare create/write/rename loop over the same files takes {:.2}x the plain write; the lake's writes take {:.2}x the bare loop",
        r.lake_write.bare_files_slowdown_vs_plain_write, r.lake_write.io_only_over_bare_files
    );
    println!(
        "{:<56} {:>16} {:>16} {:>8}",
        "csv and parquet", "csv", "parquet", "ratio"
    );
    for s in &r.parquet.side_by_side {
        println!(
            "{:<56} {:>16.0} {:>16.0} {:>8.3}",
            s.figure, s.csv, s.parquet, s.ratio
        );
    }
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
