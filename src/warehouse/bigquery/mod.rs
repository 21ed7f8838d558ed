//! BigQuery as the warehouse: the tables and analytics of `sql/bigquery/` in one dataset,
//! filled from the lake by load jobs of the verified partition bytes, over REST
//! (`crate::gcp::GcpHttp`). Same tables, columns and contract as the DuckDB warehouse.

mod client;
mod query;
mod refresh;
mod sql;
mod stream;

pub use sql::column_type;
pub use stream::BigQueryEventSink;

use super::analytics::{self, AnalyticsSql, Cell};
use super::{RefreshProgress, RefreshReport, Warehouse, WarehouseError};
use crate::gcp::GcpHttp;
use crate::lake::Lake;
use crate::model::{PartitionHour, Table};
use crate::warehouse::stream_tables;
use async_trait::async_trait;
use client::{BqClient, BqError, Param};

/// The public BigQuery API.
pub const DEFAULT_ENDPOINT: &str = "https://bigquery.googleapis.com";

/// The dataset the interface contract names as `--bq-dataset`'s default.
pub const DEFAULT_DATASET: &str = "retail_ds";

/// The dataset of the seeds' compatibility views (`sql/bigquery/08_seed_compat.sql`) is the
/// warehouse's dataset name followed by this: seed 000's table names are our managed tables'.
pub const SEED_COMPAT_SUFFIX: &str = "_seed_compat";

/// Staging tables (one per loaded partition, dropped after its load) start with this.
pub const STAGING_PREFIX: &str = "_staging_";

/// The stream tables, in the order `stream_rows` lists them.
pub const STREAM_TABLES: [&str; 4] = [
    stream_tables::ORDER_EVENTS.name,
    stream_tables::INVENTORY_EVENTS.name,
    stream_tables::USER_ACTIVITY_EVENTS.name,
    stream_tables::DEAD_LETTER_EVENTS.name,
];

/// One Pub/Sub BigQuery subscription's landing table and the view that reads it as a
/// warehouse table (`sql/bigquery/05_pubsub_raw_tables.sql`, `06_pubsub_views.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PubSubView {
    /// Written by the subscription (created by Terraform in deployment).
    pub raw: &'static str,
    /// The view: `table`'s columns, one row per `key`.
    pub view: &'static str,
    /// The warehouse table whose columns the view has.
    pub table: &'static str,
    pub key: &'static str,
}

/// The views over the Pub/Sub landing tables. BigQuery only: the DuckDB warehouse has no
/// Pub/Sub subscriptions writing into it. The events' subscriptions write their typed tables
/// directly (`stream_tables`); only the alerts land raw.
pub const PUBSUB_VIEWS: [PubSubView; 1] = [PubSubView {
    raw: "negative_inventory_alerts_pubsub",
    view: "negative_inventory_alerts_from_pubsub",
    table: "negative_inventory_alerts",
    key: "alert_id",
}];

#[derive(Debug)]
pub struct BigQueryWarehouse {
    client: BqClient,
    names: sql::Names,
    /// Refreshes run one at a time; two would load the same hours twice over.
    refresh_lock: tokio::sync::Mutex<()>,
}

impl BigQueryWarehouse {
    /// Connects to BigQuery (`endpoint` None = https://bigquery.googleapis.com; Some(url) = an
    /// emulator) and creates the dataset and every table and view of `sql/bigquery/` that is
    /// missing. Idempotent: nothing existing is dropped or changed.
    pub async fn open(
        http: GcpHttp,
        endpoint: Option<String>,
        project: String,
        dataset: String,
        location: String,
    ) -> Result<Self, WarehouseError> {
        let names =
            sql::Names::new(project, dataset, location).map_err(|e| WarehouseError::Query {
                query: "open".into(),
                source: Box::new(e),
            })?;
        let base = endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let client = BqClient::new(http, base, names.project.clone(), names.location.clone());
        let warehouse = Self {
            client,
            names,
            refresh_lock: tokio::sync::Mutex::new(()),
        };
        for (name, text) in sql::SETUP_TABLES {
            warehouse.run(name, text, &[]).await?;
        }
        warehouse.drop_empty_old_stream_tables().await?;
        for table in stream_tables::STREAM_TABLES {
            let ddl = table.bigquery_ddl(&warehouse.names.project, &warehouse.names.dataset);
            warehouse.run(table.name, &ddl, &[]).await?;
        }
        for (name, text) in sql::SETUP_VIEWS {
            warehouse.run(name, text, &[]).await?;
        }
        Ok(warehouse)
    }

    /// Stream tables of the shape before Pub/Sub's subscriptions filled them (an `event_date`
    /// and an `ingestion_time` column, or a `dead_letter_id`) cannot take a subscription's rows
    /// and are partitioned on a column the new shape lacks. Deployed they stayed empty (no
    /// subscription wrote them), so an empty one is dropped and made anew; one that holds rows
    /// (written on an emulator or by hand) is left alone and refused, naming the way out.
    async fn drop_empty_old_stream_tables(&self) -> Result<(), WarehouseError> {
        let old: std::collections::BTreeSet<String> = self
            .columns()
            .await?
            .into_iter()
            .filter(|(table, column, _)| {
                STREAM_TABLES.contains(&table.as_str())
                    && ["event_date", "ingestion_time", "dead_letter_id"].contains(&column.as_str())
            })
            .map(|(table, _, _)| table)
            .collect();
        for table in old {
            let (project, dataset) = (&self.names.project, &self.names.dataset);
            let rows = self
                .run(
                    &table,
                    &format!("SELECT COUNT(*) FROM `{project}.{dataset}.{table}`"),
                    &[],
                )
                .await?;
            let n = rows
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            if n != 0 {
                return Err(WarehouseError::Query {
                    query: table.clone(),
                    source: format!(
                        "{dataset}.{table} has the old stream shape (event_date, ingestion_time) \
                         and holds {n} rows: copy them elsewhere and drop the table, and the \
                         service makes it anew in the shape Pub/Sub's subscriptions write"
                    )
                    .into(),
                });
            }
            tracing::info!(table = %table, "dropping an empty stream table of the old shape");
            self.run(
                &table,
                &format!("DROP TABLE `{project}.{dataset}.{table}`"),
                &[],
            )
            .await?;
        }
        Ok(())
    }

    pub fn project(&self) -> &str {
        &self.names.project
    }

    pub fn dataset(&self) -> &str {
        &self.names.dataset
    }

    /// The dataset `open` makes for the seeds' compatibility views.
    pub fn seed_compat_dataset(&self) -> String {
        format!("{}{SEED_COMPAT_SUFFIX}", self.names.dataset)
    }

    /// `sql/bigquery/01_external_tables.sql` (or `01_external_tables_parquet.sql` for a
    /// Parquet lake) for this dataset over `gs://bucket`, for console users (the warehouse
    /// itself never creates or reads the external tables).
    pub fn external_tables_ddl(&self, bucket: &str, format: crate::model::LakeFormat) -> String {
        let ddl = match format {
            crate::model::LakeFormat::Csv => sql::EXTERNAL_TABLES,
            crate::model::LakeFormat::Parquet => sql::EXTERNAL_TABLES_PARQUET,
        };
        self.names.fill(ddl).replace("${bucket}", bucket)
    }

    /// Rows in each managed table (`Table::managed`), in `Table::ALL` order.
    pub async fn table_rows(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        let order = Table::ALL.map(Table::managed);
        self.counts("state/table_rows.sql", sql::TABLE_ROWS, &order)
            .await
    }

    /// Every column of the dataset's tables and views as `(table, column, type)`, ordered by
    /// table then position (staging tables left out).
    pub async fn columns(&self) -> Result<Vec<(String, String, String)>, WarehouseError> {
        let name = "state/columns.sql";
        let rows = self.run(name, sql::COLUMNS, &[]).await?;
        let mut columns = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = row.into_iter();
            let mut next = || cells.next().flatten().unwrap_or_default();
            let (table, column, kind) = (next(), next(), next());
            if !table.starts_with(STAGING_PREFIX) {
                columns.push((table, column, kind));
            }
        }
        Ok(columns)
    }

    /// Fills `${project}`/`${dataset}` into `template` and runs it with `params`.
    async fn run(
        &self,
        name: &str,
        template: &str,
        params: &[Param],
    ) -> Result<Vec<client::Row>, WarehouseError> {
        self.client
            .query(name, &self.names.fill(template), params)
            .await
            .map_err(|e| query_error(name, e))
    }

    /// `(table, count)` rows ordered as `order` lists the tables.
    async fn counts(
        &self,
        name: &str,
        template: &str,
        order: &[&str],
    ) -> Result<Vec<(String, u64)>, WarehouseError> {
        let rows = self.run(name, template, &[]).await?;
        let mut counts = Vec::with_capacity(order.len());
        for table in order {
            let n = rows
                .iter()
                .find(|r| r.first().and_then(|c| c.as_deref()) == Some(table))
                .and_then(|r| r.get(1).cloned().flatten())
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| WarehouseError::Query {
                    query: name.to_string(),
                    source: format!("no row count for {table}").into(),
                })?;
            counts.push(((*table).to_string(), n));
        }
        Ok(counts)
    }
}

fn query_error(name: &str, e: BqError) -> WarehouseError {
    WarehouseError::Query {
        query: name.to_string(),
        source: Box::new(e),
    }
}

#[async_trait]
impl Warehouse for BigQueryWarehouse {
    /// The trait's contract, in BigQuery: each pending hour's verified bytes are staged by load
    /// jobs, then one multi-statement transaction replaces the hour and records it in
    /// `partition_state` (atomic per hour; a failed hour leaves nothing). Idempotent; the
    /// watermark lives in `refresh_watermark`.
    async fn refresh_with_progress(
        &self,
        lake: &Lake,
        progress: &dyn RefreshProgress,
    ) -> Result<RefreshReport, WarehouseError> {
        super::refresh::refresh(self, lake, progress).await
    }

    /// The newest fact hour in `refresh_watermark`; `None` before the first load.
    async fn watermark(&self) -> Result<Option<PartitionHour>, WarehouseError> {
        Ok(self
            .hours("state/watermark.sql", sql::WATERMARK)
            .await?
            .into_iter()
            .next())
    }

    /// The query's BigQuery SQL, the filter and extras as typed query parameters. Read-only.
    async fn run_analytics(
        &self,
        sql: AnalyticsSql,
        params: Vec<analytics::Param>,
    ) -> Result<Vec<Vec<Cell>>, WarehouseError> {
        self.analytics_cells(sql, &params).await
    }

    /// Rows in each stream table (`STREAM_TABLES` order). Read-only.
    async fn stream_rows(&self) -> Result<Vec<(String, u64)>, WarehouseError> {
        self.counts("state/stream_rows.sql", sql::STREAM_ROWS, &STREAM_TABLES)
            .await
    }

    /// `bigquery:<project>.<dataset>` and the endpoint when it is not Google's.
    fn describe(&self) -> String {
        let base = self.client.base();
        if base == DEFAULT_ENDPOINT {
            format!("bigquery:{}.{}", self.names.project, self.names.dataset)
        } else {
            format!(
                "bigquery:{}.{} at {base}",
                self.names.project, self.names.dataset
            )
        }
    }
}
