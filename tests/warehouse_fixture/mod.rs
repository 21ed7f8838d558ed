//! Shared fixtures of the warehouse tests: a real lake written by the real generator at
//! `--scale small` in a temp dir, a DuckDB warehouse next to it, and an independent reader
//! of the lake's CSV files (the `csv` crate, money as integer cents) to check results against.
#![allow(dead_code)] // each test binary uses its own part

use retail_pipeline::generate::{generate_hour_as, World};
use retail_pipeline::lake::{layout, Lake, LakeIdentity, LocalDirStore};
use retail_pipeline::model::{LakeFormat, PartitionHour, Scale, ScaleName, Table};
use retail_pipeline::warehouse::duckdb::DuckDbWarehouse;
use retail_pipeline::warehouse::{RefreshReport, Warehouse};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub const SEED: u64 = 42;

/// The tables a refresh merges the lake into (the managed copies of the lake's tables), which
/// a CSV and a Parquet lake must fill alike.
pub fn managed_tables() -> [&'static str; Table::COUNT] {
    Table::ALL.map(Table::managed)
}

pub fn scale() -> Scale {
    Scale::preset(ScaleName::Small)
}

pub fn world() -> Arc<World> {
    static WORLD: OnceLock<Arc<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| Arc::new(World::new(SEED, &scale())))
        .clone()
}

pub fn h(s: &str) -> PartitionHour {
    s.parse().expect("valid hour")
}

/// `count` hours starting at `first`.
pub fn hours(first: &str, count: i64) -> Vec<PartitionHour> {
    let first = h(first);
    (0..count)
        .map(|i| first.offset(i).expect("hour in range"))
        .collect()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub lake: Lake,
    /// The lake's file format (CSV unless made with `with_format`).
    pub format: LakeFormat,
}

impl Fixture {
    pub fn new() -> Self {
        Self::in_dir(tempfile::tempdir().expect("temp dir"))
    }

    /// A fixture whose lake holds `format` files.
    pub fn with_format(format: LakeFormat) -> Self {
        Self {
            format,
            ..Self::new()
        }
    }

    /// A fixture inside cargo's scratch directory, for fixtures that live in a static and so
    /// are never dropped: whatever they leave stays under the target directory.
    pub fn in_target_tmp() -> Self {
        Self::in_dir(tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir"))
    }

    fn in_dir(dir: tempfile::TempDir) -> Self {
        let store = LocalDirStore::open(dir.path().join("lake")).expect("lake dir");
        Self {
            dir,
            lake: Lake::new(Arc::new(store)),
            format: LakeFormat::Csv,
        }
    }

    pub fn lake_dir(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("warehouse.duckdb")
    }

    /// Generates and writes these hours (data first, then manifests, as the pipeline does).
    pub async fn write(&self, hours: &[PartitionHour]) {
        let identity =
            LakeIdentity::new(SEED, &scale(), retail_pipeline::generate::GENERATOR_VERSION)
                .with_format(self.format);
        self.lake
            .ensure_identity(&identity)
            .await
            .expect("lake identity");
        for &hour in hours {
            let (world, format) = (world(), self.format);
            let files = tokio::task::spawn_blocking(move || generate_hour_as(&world, hour, format))
                .await
                .expect("generate")
                .expect("encode");
            self.lake
                .write_hour(hour, files, &identity)
                .await
                .expect("write hour");
        }
    }

    pub async fn warehouse(&self) -> DuckDbWarehouse {
        DuckDbWarehouse::open(self.db_path(), self.lake_dir())
            .await
            .expect("open warehouse")
    }

    /// Writes `hours` to the lake and refreshes a fresh warehouse from it, which must load
    /// them without a failure: the warehouse and the refresh's report.
    pub async fn loaded_warehouse(
        &self,
        hours: &[PartitionHour],
    ) -> (DuckDbWarehouse, RefreshReport) {
        self.write(hours).await;
        let warehouse = self.warehouse().await;
        let report = warehouse.refresh(&self.lake).await.expect("refresh");
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        (warehouse, report)
    }

    /// The local file of a lake object.
    pub fn file(&self, table: Table, hour: PartitionHour) -> PathBuf {
        self.lake_dir()
            .join(layout::data_file(table, hour, self.format))
    }

    pub fn manifest_file(&self, table: Table, hour: PartitionHour) -> PathBuf {
        self.lake_dir().join(layout::manifest(table, hour))
    }
}

/// One CSV file's rows as string records keyed by the header.
pub struct CsvRows {
    pub header: csv::StringRecord,
    pub rows: Vec<csv::StringRecord>,
}

impl CsvRows {
    pub fn read(path: &Path) -> Self {
        let mut reader =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let header = reader.headers().expect("header").clone();
        let rows = reader.records().map(|r| r.expect("csv record")).collect();
        Self { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
}

/// Reads every complete hour's file of `table` from the lake.
pub fn read_table(
    fixture: &Fixture,
    table: Table,
    hours: &[PartitionHour],
) -> Vec<(PartitionHour, CsvRows)> {
    hours
        .iter()
        .map(|&hour| (hour, CsvRows::read(&fixture.file(table, hour))))
        .collect()
}

/// "12.34" or "-0.50" as cents, exactly.
pub fn cents(s: &str) -> i64 {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |rest| (true, rest));
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    assert_eq!(frac.len(), 2, "money has two decimals: {s}");
    let v = whole.parse::<i64>().expect("whole") * 100 + frac.parse::<i64>().expect("cents");
    if neg {
        -v
    } else {
        v
    }
}
