//! Loading verified partitions: a batch of fact hours in one transaction (falling back to one
//! transaction per hour when the batch fails), one transaction per dimension merge.
//!
//! A batch stores each of its big fact tables with one DELETE and one INSERT that reads every
//! staged file of the batch at once, and lets DuckDB store rows out of insertion order while
//! it loads, so that both threads store. Per hour, the INSERT's pipeline and the commit's
//! write were most of a first refresh (see the refresh figures in benches/PERFORMANCE.md).
//! Blocking DuckDB calls; the async side runs them on `spawn_blocking`.

use super::{readers, sql};
use crate::model::{PartitionHour, Table};
use crate::warehouse::refresh::{HourOutcome, HourParts, FACT_TABLES};
use crate::warehouse::{PartitionFailure, PartitionReason, VerifiedPartition, WarehouseError};
use duckdb::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Verified bytes copied to files DuckDB reads, removed when dropped. DuckDB reads these
/// copies rather than the lake, so what it loads is exactly what was checked, whatever the
/// lake's backend. They are laid out as in the lake (`<table>/date=<d>/hour=<hh>/`): the
/// readers take each row's partition from its path.
struct Staged {
    root: PathBuf,
    /// Each staged copy, and the lake file it copies (for messages).
    files: Vec<(PathBuf, String)>,
}

impl Staged {
    /// A directory of its own under `staging`: refreshes of one warehouse run one at a time,
    /// but nothing here needs to rely on it.
    fn new(staging: &Path) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Staged {
            root: staging.join(format!("load-{n}")),
            files: Vec::new(),
        }
    }

    /// Stages `part`'s files; returns their paths.
    fn add(&mut self, part: &VerifiedPartition) -> Result<Vec<PathBuf>, WarehouseError> {
        let dir = self
            .root
            .join(part.table.name())
            .join(format!("date={}", part.hour.date_string()))
            .join(format!("hour={:02}", part.hour.hour()));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WarehouseError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut paths = Vec::with_capacity(part.contents.len());
        for (i, (bytes, file)) in part.contents.iter().zip(&part.manifest.files).enumerate() {
            let path = dir.join(format!("part-{i}.{}", part.format().extension()));
            std::fs::write(&path, bytes).map_err(io(&path))?;
            self.files.push((path.clone(), file.path.clone()));
            paths.push(path);
        }
        Ok(paths)
    }

    /// DuckDB's messages name the staged copy; the user knows the lake's file. The error is
    /// kept as is where it names no staged file.
    fn explain(&self, e: duckdb::Error) -> PartitionReason {
        let text = e.to_string();
        let mut message = text.clone();
        for (staged, file) in &self.files {
            message = message.replace(&*staged.to_string_lossy(), file);
        }
        match message == text {
            true => PartitionReason::load(e),
            false => PartitionReason::Load(std::sync::Arc::from(Box::<
                dyn std::error::Error + Send + Sync,
            >::from(message))),
        }
    }
}

impl Drop for Staged {
    /// Removes its directory whole (nothing staged outlives its transaction), then the
    /// staging directory if no other load is using it.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some(staging) = self.root.parent() {
            let _ = std::fs::remove_dir(staging);
        }
    }
}

fn run(tx: &Connection, template: &str, vars: &[(&'static str, String)]) -> duckdb::Result<()> {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tx.execute_batch(&sql::render(template, &vars))
}

/// Loads `parts` of one table inside the caller's transaction, replacing their rows: one read
/// of all their staged files, each row's partition taken from its path. `partitions` is
/// their hours as `sql::partitions` gives them.
fn load_table(
    tx: &Connection,
    staged: &mut Staged,
    parts: &[&VerifiedPartition],
    partitions: &str,
    ingested_at: &str,
) -> Result<(), PartitionFailure> {
    let Some(&first) = parts.first() else {
        return Ok(());
    };
    let mut files = Vec::new();
    for &part in parts {
        files.extend(staged.add(part).map_err(|e| failure(part)(e.into()))?);
    }
    let vars = [
        ("partitions", partitions.to_string()),
        ("files", sql::files(&files)),
        ("reader", readers::reader_name(first.format(), first.table)),
        ("ingested_at", ingested_at.to_string()),
        ("managed", first.table.managed().to_string()),
    ];
    run(tx, sql::merge(first.table), &vars).map_err(|e| failure(first)(staged.explain(e)))
}

/// Holds the rows now in the managed table for each of `parts` to its manifest's count.
fn check_counts(
    tx: &Connection,
    parts: &[&VerifiedPartition],
    partitions: &str,
) -> Result<(), PartitionFailure> {
    let Some(&first) = parts.first() else {
        return Ok(());
    };
    let query = format!(
        "SELECT strftime(date, '%Y-%m-%d'), hour, count(*) FROM {} WHERE {partitions} GROUP BY ALL",
        first.table.managed(),
    );
    let counted = (|| {
        let mut statement = tx.prepare(&query)?;
        let rows = statement.query_map([], |row| {
            Ok((
                (row.get::<_, String>(0)?, row.get::<_, i32>(1)?),
                row.get::<_, i64>(2)?,
            ))
        })?;
        rows.collect::<duckdb::Result<HashMap<_, _>>>()
    })()
    .map_err(|e| failure(first)(PartitionReason::load(e)))?;
    for &part in parts {
        let key = (part.hour.date_string(), i32::from(part.hour.hour()));
        let loaded = counted.get(&key).copied().unwrap_or(0);
        if loaded as u64 != part.manifest.rows {
            return Err(failure(part)(PartitionReason::RowCount {
                loaded: loaded as u64,
                expected: part.manifest.rows,
            }));
        }
    }
    Ok(())
}

/// Records `parts` in partition_state, with their manifests' counts and checksums.
fn record(
    tx: &Connection,
    parts: &[&VerifiedPartition],
    ingested_at: &str,
) -> Result<(), PartitionFailure> {
    let Some(&first) = parts.first() else {
        return Ok(());
    };
    let loaded: Vec<String> = parts
        .iter()
        .map(|p| {
            format!(
                "({}, {}, {}, {}, {}, {ingested_at})",
                sql::string(p.table.name()),
                sql::date(p.hour.date()),
                p.hour.hour(),
                p.manifest.rows,
                sql::string(&p.crc32c())
            )
        })
        .collect();
    run(tx, sql::RECORD_PARTITION, &[("loaded", loaded.join(",\n"))])
        .map_err(|e| failure(first)(PartitionReason::load(e)))
}

/// Loads `hours` in one transaction: one commit for all of them (a commit per hour made a long
/// first refresh wait on the disk most of its time). If any hour fails the whole transaction
/// rolls back and the hours are loaded again one per transaction, so only the bad hour fails
/// and every other one loads.
pub fn load_batch(
    conn: &mut Connection,
    staging: &Path,
    hours: &[HourParts],
    ingested_at: &str,
) -> Vec<HourOutcome> {
    // Rows of one batch need no order among themselves: a partition's delete finds its rows
    // through the zone maps of date, which a batch (at most a week of hours, usually
    // consecutive) keeps narrow either way; correctness never depends on them. Kept in
    // order, DuckDB stores an INSERT's rows on one thread.
    let unordered = conn.execute_batch("SET preserve_insertion_order = false");
    let outcomes = load_each(conn, staging, hours, ingested_at);
    if unordered.is_ok() {
        if let Err(e) = conn.execute_batch("RESET preserve_insertion_order") {
            tracing::warn!(error = %crate::error_chain(&e), "insertion order not restored");
        }
    }
    outcomes
}

fn load_each(
    conn: &mut Connection,
    staging: &Path,
    hours: &[HourParts],
    ingested_at: &str,
) -> Vec<HourOutcome> {
    if hours.len() > 1 {
        if let Ok(rows) = load_hours(conn, staging, hours, ingested_at) {
            return hours
                .iter()
                .map(|(h, _)| *h)
                .zip(rows.into_iter().map(Ok))
                .collect();
        }
    }
    hours
        .iter()
        .map(|one| {
            let outcome = load_hours(conn, staging, std::slice::from_ref(one), ingested_at)
                .map(|mut rows| rows.remove(0));
            (one.0, outcome)
        })
        .collect()
}

/// Loads fact hours in one transaction and moves the watermark. On any failure the
/// transaction rolls back: nothing of any of the hours is loaded.
fn load_hours(
    conn: &mut Connection,
    staging: &Path,
    hours: &[HourParts],
    ingested_at: &str,
) -> Result<Vec<Vec<(Table, u64)>>, PartitionFailure> {
    let whole_hour = |hour: PartitionHour, e: duckdb::Error| PartitionFailure {
        hour,
        table: Table::SalesData,
        path: crate::lake::layout::partition(hour),
        reason: PartitionReason::load(e),
    };
    let Some(newest) = hours.iter().map(|(hour, _)| *hour).max() else {
        return Ok(Vec::new());
    };
    let tx = conn.transaction().map_err(|e| whole_hour(newest, e))?;
    let mut staged = Staged::new(staging);
    let all: Vec<&VerifiedPartition> = hours.iter().flat_map(|(_, parts)| parts).collect();
    // Every fact table of the batch has the same hours.
    let partitions = sql::partitions(hours.iter().map(|(hour, _)| *hour));
    for table in FACT_TABLES {
        let parts: Vec<&VerifiedPartition> =
            all.iter().copied().filter(|p| p.table == table).collect();
        load_table(&tx, &mut staged, &parts, &partitions, ingested_at)?;
        check_counts(&tx, &parts, &partitions)?;
    }
    record(&tx, &all, ingested_at)?;
    let vars = [
        ("date", sql::date(newest.date())),
        ("hour", newest.hour().to_string()),
        ("ingested_at", ingested_at.to_string()),
    ];
    run(&tx, sql::ADVANCE_WATERMARK, &vars).map_err(|e| whole_hour(newest, e))?;
    tx.commit().map_err(|e| whole_hour(newest, e))?;
    Ok(hours
        .iter()
        .map(|(_, parts)| parts.iter().map(|p| (p.table, p.manifest.rows)).collect())
        .collect())
}

/// The failure of `part`, for the reason given.
fn failure(part: &VerifiedPartition) -> impl Fn(PartitionReason) -> PartitionFailure + Copy + '_ {
    |reason| PartitionFailure {
        hour: part.hour,
        table: part.table,
        path: part.paths(),
        reason,
    }
}

/// Merges one dimension partition into its current-state table, in one transaction.
pub fn merge_dimension(
    conn: &mut Connection,
    staging: &Path,
    part: &VerifiedPartition,
    ingested_at: &str,
) -> Result<u64, PartitionFailure> {
    let fail = failure(part);
    let tx = conn
        .transaction()
        .map_err(|e| fail(PartitionReason::load(e)))?;
    let mut staged = Staged::new(staging);
    // No count check: the table holds every id ever seen, not one partition's rows.
    let partitions = sql::partitions([part.hour]);
    load_table(&tx, &mut staged, &[part], &partitions, ingested_at)?;
    record(&tx, &[part], ingested_at)?;
    tx.commit().map_err(|e| fail(PartitionReason::load(e)))?;
    Ok(part.manifest.rows)
}
