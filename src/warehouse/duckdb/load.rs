//! Loading verified partitions: fact hours in batches of one transaction each (falling back
//! to one per hour when a batch fails), one transaction per dimension merge.
//! Blocking DuckDB calls; the async side runs them on `spawn_blocking`.

use super::sql;
use crate::model::{PartitionHour, Table};
use crate::warehouse::refresh::{HourOutcome, HourParts};
use crate::warehouse::{PartitionFailure, VerifiedPartition};
use duckdb::Connection;
use std::path::{Path, PathBuf};

/// The managed table a lake table loads into.
pub fn managed(table: Table) -> &'static str {
    match table {
        Table::ProductCatalog => "product_catalog_managed",
        Table::Stores => "stores_managed",
        Table::SalesData => "sales_data_managed",
        Table::InventoryData => "inventory_data_managed",
        Table::NegativeInventoryAlerts => "negative_inventory_alerts",
    }
}

/// Verified bytes copied to files DuckDB reads, removed when dropped. DuckDB reads these
/// copies rather than the lake, so what it loads is exactly what was checked, whatever the
/// lake's backend.
struct Staged {
    dir: PathBuf,
    paths: Vec<PathBuf>,
}

impl Staged {
    fn write(dir: &Path, part: &VerifiedPartition) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("staging in {}: {e}", dir.display()))?;
        let mut staged = Staged {
            dir: dir.to_path_buf(),
            paths: Vec::new(),
        };
        for (i, bytes) in part.contents.iter().enumerate() {
            let path = dir.join(format!(
                "{}-{}-{:02}-{i}.{}",
                part.table,
                part.hour.date_string(),
                part.hour.hour(),
                part.format().extension()
            ));
            std::fs::write(&path, bytes).map_err(|e| format!("staging {}: {e}", path.display()))?;
            staged.paths.push(path);
        }
        Ok(staged)
    }

    /// DuckDB's messages name the staged copy; the user knows the lake's file.
    fn explain(&self, part: &VerifiedPartition, e: &duckdb::Error) -> String {
        let mut message = e.to_string();
        for (staged, file) in self.paths.iter().zip(&part.manifest.files) {
            message = message.replace(&*staged.to_string_lossy(), &file.path);
        }
        message
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
        // Leaves no empty directory behind; fails harmlessly while other files remain.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn partition_vars(
    part: &VerifiedPartition,
    files: &str,
    ingested_at: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("date", sql::date(part.hour.date())),
        ("hour", part.hour.hour().to_string()),
        ("files", files.to_string()),
        (
            "reader",
            format!("{}_{}", part.table.name(), part.format().name()),
        ),
        ("ingested_at", ingested_at.to_string()),
        ("table", sql::string(part.table.name())),
        ("rows", part.manifest.rows.to_string()),
        ("crc32c", sql::string(&part.crc32c())),
    ]
}

fn run(tx: &Connection, template: &str, vars: &[(&'static str, String)]) -> duckdb::Result<()> {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tx.execute_batch(&sql::render(template, &vars))
}

/// Loads one partition inside the caller's transaction: replace its rows, check the count
/// against the manifest, record it in partition_state. Returns the rows loaded.
fn load_partition(
    tx: &Connection,
    staging: &Path,
    part: &VerifiedPartition,
    ingested_at: &str,
    count_check: bool,
) -> Result<u64, PartitionFailure> {
    let fail = failure(part);
    let staged = Staged::write(staging, part).map_err(fail)?;
    let vars = partition_vars(part, &sql::files(&staged.paths), ingested_at);
    run(tx, sql::merge(part.table), &vars).map_err(|e| fail(staged.explain(part, &e)))?;
    if count_check {
        let loaded: i64 = tx
            .query_row(
                &format!(
                    "SELECT count(*) FROM {} WHERE date = ? AND hour = ?",
                    managed(part.table)
                ),
                duckdb::params![part.hour.date_string(), i32::from(part.hour.hour())],
                |row| row.get(0),
            )
            .map_err(|e| fail(e.to_string()))?;
        if loaded as u64 != part.manifest.rows {
            return Err(fail(format!(
                "loaded {loaded} rows, the manifest says {}",
                part.manifest.rows
            )));
        }
    }
    run(tx, sql::RECORD_PARTITION, &vars).map_err(|e| fail(e.to_string()))?;
    Ok(part.manifest.rows)
}

/// Loads `hours` in one transaction: one commit, so one WAL sync, for all of them (a commit per
/// hour made a long first refresh wait on the disk most of its time). If any hour fails the
/// whole transaction rolls back and the hours are loaded again one per transaction, so only
/// the bad hour fails and every other one loads.
pub fn load_batch(
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
    let whole_hour = |hour: PartitionHour, reason: String| PartitionFailure {
        hour,
        table: Table::SalesData,
        path: crate::lake::layout::partition(hour),
        reason: reason.into(),
    };
    let Some(&(first, _)) = hours.first() else {
        return Ok(Vec::new());
    };
    let tx = conn
        .transaction()
        .map_err(|e| whole_hour(first, e.to_string()))?;
    let mut all = Vec::with_capacity(hours.len());
    for (hour, parts) in hours {
        let mut rows = Vec::with_capacity(parts.len());
        for part in parts {
            rows.push((
                part.table,
                load_partition(&tx, staging, part, ingested_at, true)?,
            ));
        }
        let vars = [
            ("date", sql::date(hour.date())),
            ("hour", hour.hour().to_string()),
            ("ingested_at", ingested_at.to_string()),
        ];
        run(&tx, sql::ADVANCE_WATERMARK, &vars).map_err(|e| whole_hour(*hour, e.to_string()))?;
        all.push(rows);
    }
    tx.commit().map_err(|e| whole_hour(first, e.to_string()))?;
    Ok(all)
}

/// The failure of `part`, for the reason given.
fn failure(part: &VerifiedPartition) -> impl Fn(String) -> PartitionFailure + Copy + '_ {
    |reason| PartitionFailure {
        hour: part.hour,
        table: part.table,
        path: part.paths(),
        reason: reason.into(),
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
    let tx = conn.transaction().map_err(|e| fail(e.to_string()))?;
    // No count check: the table holds every id ever seen, not one partition's rows.
    let rows = load_partition(&tx, staging, part, ingested_at, false)?;
    tx.commit().map_err(|e| fail(e.to_string()))?;
    Ok(rows)
}
