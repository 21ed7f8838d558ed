//! Configuration: read once at start from flags with `RP_*` environment fallbacks, validated,
//! and printable (it holds no secrets yet; any added later must be redacted in `Serialize`).

mod error;
mod gcp;

pub use crate::telemetry::LogFormat;
pub use error::ConfigError;
pub use gcp::{Backend, GcpArgs, GcpConfig};

use crate::lake::LakeIdentity;
use crate::model::{LakeFormat, Scale, ScaleName};
use serde::Serialize;
use std::path::PathBuf;

/// Flags shared by every subcommand.
#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    /// Where the embedded backends live: the lake in DIR/lake, the warehouse in
    /// DIR/warehouse.duckdb.
    #[arg(long, env = "RP_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Seed of the generated world; the same seed gives the same bytes.
    #[arg(long, env = "RP_SEED", default_value_t = 42, global = true)]
    pub seed: u64,
    /// Size of the shop: small, default or large.
    #[arg(long, env = "RP_SCALE", default_value = "default", global = true)]
    pub scale: ScaleName,
    /// Override the number of products of the scale.
    #[arg(long, env = "RP_PRODUCTS", global = true)]
    pub products: Option<u32>,
    /// Override the number of stores of the scale.
    #[arg(long, env = "RP_STORES", global = true)]
    pub stores: Option<u32>,
    /// Override the probability (0-1) that a sale goes through on insufficient stock, which
    /// tunes how many negative-stock alerts appear.
    #[arg(long, env = "RP_OVERSELL_RATE", global = true)]
    pub oversell_rate: Option<f64>,
    /// Format of the lake's data files: csv (what the seeds read) or parquet. A lake keeps
    /// the format it was first written with (`_lake.json`).
    #[arg(long, env = "RP_LAKE_FORMAT", default_value = "csv", global = true)]
    pub lake_format: LakeFormat,
    /// Log format: auto (JSON on Cloud Run, text elsewhere), text or json.
    #[arg(long, env = "RP_LOG_FORMAT", default_value = "auto", global = true)]
    pub log_format: LogFormat,
    /// Where the pipeline runs: local (embedded parts under --data-dir) or gcp.
    #[arg(long, env = "RP_BACKEND", default_value = "local", global = true)]
    pub backend: Backend,
    /// OpenTelemetry collector (OTLP/HTTP, `http://host:4318` or https) that receives a span
    /// per request and per job, at `/v1/traces`; also read from OTEL_EXPORTER_OTLP_ENDPOINT.
    /// Unset: no spans are exported.
    #[arg(long, env = "RP_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
    /// Share (0-1) of the traces that start here (no sampled caller) that are exported; a
    /// caller's `traceparent` decides for its own. Probes and scrapes never start one.
    #[arg(
        long,
        env = "RP_OTLP_SAMPLE_RATIO",
        default_value_t = 1.0,
        global = true
    )]
    pub otlp_sample_ratio: f64,
    /// Most memory, in MiB, the embedded DuckDB warehouse keeps for its buffer pool (its cache
    /// of table blocks, which fills up to this as tables grow); past it DuckDB evicts and
    /// spills. The process's memory settles at about this plus 100-150 MiB. Default: 64 plus
    /// 32 per core (128 on two cores).
    #[arg(long, env = "RP_WAREHOUSE_MEMORY_MIB",
          value_parser = clap::value_parser!(u32).range(16..=1_048_576), global = true)]
    pub warehouse_memory_mib: Option<u32>,
    #[command(flatten)]
    pub gcp: GcpArgs,
}

/// The DuckDB buffer pool's default cap. DuckDB's own default is 80% of the machine's memory,
/// which in a long-running service reads as a leak: the pool keeps every block it touched
/// until it is full, and the stream tables grow by 60,000 rows a minute under a stress run. It
/// follows DuckDB's threads (one per core) because each thread's readers take buffers of their
/// own: the JSON reader that lands streamed events needs 32 MiB, and 64 MiB in all fails at two
/// threads. 64 MiB plus 32 per thread leaves room for that and keeps the pool small enough to
/// fill, and stop growing, within minutes (measured on two cores: flat from minute 5 at 128,
/// still climbing after 20 minutes at 256).
pub fn default_warehouse_memory_mib() -> u32 {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    64 + 32 * u32::try_from(threads).unwrap_or(64).min(64)
}

/// The validated configuration of one process.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// True in `serve`: the process runs for days, so the warehouse hands freed memory back
    /// (at some cost in speed) instead of keeping it for the next task.
    #[serde(skip)]
    pub long_running: bool,
    pub data_dir: PathBuf,
    pub seed: u64,
    pub scale: Scale,
    pub lake_format: LakeFormat,
    pub log_format: LogFormat,
    pub backend: Backend,
    /// Set exactly when `backend` is `Gcp`.
    pub gcp: Option<GcpConfig>,
    /// Where request and job spans are exported, if anywhere (validated `http(s)://host`).
    pub otlp_endpoint: Option<String>,
    /// Share of root traces exported (`--otlp-sample-ratio`, validated 0-1).
    pub otlp_sample_ratio: f64,
    /// The embedded warehouse's buffer pool cap (`--warehouse-memory-mib`).
    pub warehouse_memory_mib: u32,
}

impl Config {
    pub fn from_args(args: &CommonArgs) -> Result<Self, ConfigError> {
        let mut scale = Scale::preset(args.scale);
        if let Some(p) = args.products {
            scale.products = p;
        }
        if let Some(s) = args.stores {
            scale.stores = s;
        }
        if let Some(r) = args.oversell_rate {
            scale.oversell_rate = r;
        }
        scale.validate()?;
        if args.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::EmptyDataDir);
        }
        let gcp = match args.backend {
            Backend::Local => None,
            Backend::Gcp => Some(GcpConfig::from_args(&args.gcp)?),
        };
        let otlp_endpoint = args
            .otlp_endpoint
            .clone()
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
            .filter(|e| !e.trim().is_empty());
        if let Some(endpoint) = &otlp_endpoint {
            crate::telemetry::otlp::traces_url(endpoint)?;
        }
        let otlp_sample_ratio = crate::telemetry::otlp::check_ratio(args.otlp_sample_ratio)?;
        Ok(Self {
            data_dir: args.data_dir.clone(),
            seed: args.seed,
            scale,
            lake_format: args.lake_format,
            log_format: args.log_format,
            backend: args.backend,
            gcp,
            otlp_endpoint,
            otlp_sample_ratio,
            warehouse_memory_mib: args
                .warehouse_memory_mib
                .unwrap_or_else(default_warehouse_memory_mib),
            long_running: false,
        })
    }

    /// The embedded backends under `data_dir`, text logs: what tests and examples build on.
    pub fn local(data_dir: impl Into<PathBuf>, seed: u64, scale: Scale) -> Self {
        Self {
            data_dir: data_dir.into(),
            seed,
            scale,
            lake_format: LakeFormat::Csv,
            log_format: LogFormat::Text,
            backend: Backend::Local,
            gcp: None,
            otlp_endpoint: None,
            otlp_sample_ratio: 1.0,
            warehouse_memory_mib: default_warehouse_memory_mib(),
            long_running: false,
        }
    }

    pub fn lake_dir(&self) -> PathBuf {
        self.data_dir.join("lake")
    }

    /// The embedded warehouse's file.
    pub fn warehouse_file(&self) -> PathBuf {
        self.data_dir.join(crate::warehouse::WAREHOUSE_FILE)
    }

    pub fn identity(&self) -> LakeIdentity {
        LakeIdentity::new(self.seed, &self.scale, crate::generate::GENERATOR_VERSION)
            .with_format(self.lake_format)
    }

    /// The Google Cloud project, which names traces in logs: the configured one, else
    /// `GOOGLE_CLOUD_PROJECT` (set by the deployment).
    pub fn trace_project(&self) -> Option<String> {
        self.gcp
            .as_ref()
            .map(|g| g.project.clone())
            .or_else(|| std::env::var("GOOGLE_CLOUD_PROJECT").ok())
            .filter(|p| !p.is_empty())
    }

    /// The scale name as given, for messages.
    pub fn scale_name(&self) -> ScaleName {
        self.scale.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn refused(args: &[&str]) -> ConfigError {
        let flags = Flags::try_parse_from([&["retail-pipeline"], args].concat()).expect("parse");
        Config::from_args(&flags.common).expect_err("refused")
    }

    #[test]
    fn every_refusal_names_its_flag() {
        let cases: [(&[&str], &str); 5] = [
            (&["--products", "0"], "--products"),
            (&["--stores", "100000000"], "--stores"),
            (&["--oversell-rate", "1.5"], "--oversell-rate"),
            (&["--otlp-sample-ratio", "2"], "--otlp-sample-ratio"),
            (
                &["--backend", "gcp", "--gcp-project", "proj-123"],
                "--gcs-bucket",
            ),
        ];
        for (args, flag) in cases {
            let err = refused(args);
            assert_eq!(err.flag(), flag, "{err}");
            assert!(err.to_string().contains(flag), "{err}");
        }
    }
}
