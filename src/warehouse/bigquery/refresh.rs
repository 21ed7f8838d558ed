//! BigQuery's steps of the one refresh loop (`warehouse::refresh`): per pending hour, the
//! verified bytes staged with load jobs and one transaction; a dimension staged and merged.

use super::client::{request_id, LoadSource};
use super::{sql, BigQueryWarehouse, STAGING_PREFIX};
use crate::lake::layout;
use crate::model::{LakeFormat, PartitionHour, Table};
use crate::warehouse::refresh::{HourOutcome, HourParts, LoadState, RefreshSteps};
use crate::warehouse::{
    PartitionFailure, PartitionReason, VerifiedPartition, Warehouse, WarehouseError,
};
use async_trait::async_trait;
use bytes::Bytes;

/// `refresh/load_hour.sql`'s placeholders for each of `refresh::FACT_TABLES`, in its order.
const HOUR_KEYS: [[&str; 3]; 3] = [
    ["sales_stage", "sales_rows", "sales_crc32c"],
    ["inventory_stage", "inventory_rows", "inventory_crc32c"],
    ["alerts_stage", "alerts_rows", "alerts_crc32c"],
];

/// The partition's files as one CSV: the first file whole, the others without their header
/// line (each file's header was checked to be the contract's by `fetch_partition`). These are
/// the verified bytes, loaded as they are.
fn one_csv(part: &VerifiedPartition) -> Bytes {
    if part.contents.len() == 1 {
        return part.contents[0].clone();
    }
    let mut out = Vec::with_capacity(part.contents.iter().map(Bytes::len).sum());
    for (i, bytes) in part.contents.iter().enumerate() {
        let body = if i == 0 {
            &bytes[..]
        } else {
            bytes
                .iter()
                .position(|&b| b == b'\n')
                .map_or(&[][..], |at| &bytes[at + 1..])
        };
        out.extend_from_slice(body);
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

fn failure(part: &VerifiedPartition, reason: PartitionReason) -> PartitionFailure {
    PartitionFailure {
        hour: part.hour,
        table: part.table,
        path: part.paths(),
        reason,
    }
}

impl BigQueryWarehouse {
    /// Loads one partition's bytes into a new staging table and checks the rows loaded
    /// against the manifest. Returns the staging table's name.
    async fn stage(&self, part: &VerifiedPartition) -> Result<String, PartitionFailure> {
        let stage = format!(
            "{STAGING_PREFIX}{}_{}_{:02}_{}",
            part.table,
            part.hour.date().format("%Y%m%d"),
            part.hour.hour(),
            request_id()
        );
        let what = format!("loading {} {}", part.table, part.hour);
        let schema = sql::staging_schema(part.table);
        let dataset = &self.names.dataset;
        let result = match part.format() {
            LakeFormat::Csv => {
                self.client
                    .load(
                        &what,
                        dataset,
                        &stage,
                        &schema,
                        LoadSource::Csv,
                        one_csv(part),
                    )
                    .await
            }
            // Parquet files cannot be joined end to end: one load job per file, the first
            // replacing the staging table, the others appending to it.
            LakeFormat::Parquet => {
                let mut total = Ok(0);
                for (i, bytes) in part.contents.iter().enumerate() {
                    let source = LoadSource::Parquet { append: i > 0 };
                    let loaded = self
                        .client
                        .load(&what, dataset, &stage, &schema, source, bytes.clone())
                        .await;
                    match loaded {
                        Ok(rows) => total = total.map(|sum| sum + rows),
                        Err(e) => {
                            total = Err(e);
                            break;
                        }
                    }
                }
                total
            }
        };
        let checked = match result {
            Ok(rows) if rows == part.manifest.rows => Ok(()),
            Ok(rows) => Err(PartitionReason::RowCount {
                loaded: rows,
                expected: part.manifest.rows,
            }),
            Err(e) => Err(PartitionReason::load(e)),
        };
        match checked {
            Ok(()) => Ok(stage),
            Err(reason) => {
                self.drop_staging(std::slice::from_ref(&stage)).await;
                Err(failure(part, reason))
            }
        }
    }

    /// Drops staging tables; a failure is logged, never fatal (their names are unique).
    pub(super) async fn drop_staging(&self, stages: &[String]) {
        for stage in stages {
            if let Err(e) = self
                .client
                .delete_table("dropping a staging table", &self.names.dataset, stage)
                .await
            {
                tracing::warn!(table = %stage, error = %crate::error_chain(&e), "staging table not dropped");
            }
        }
    }

    /// Stages the hour's fact partitions, then replaces the hour in one transaction
    /// (`refresh/load_hour.sql`). On any failure nothing of the hour is loaded.
    async fn load_hour(
        &self,
        hour: PartitionHour,
        parts: &[VerifiedPartition],
    ) -> Result<(), PartitionFailure> {
        let mut stages = Vec::with_capacity(parts.len());
        for part in parts {
            match self.stage(part).await {
                Ok(stage) => stages.push(stage),
                Err(failure) => {
                    self.drop_staging(&stages).await;
                    return Err(failure);
                }
            }
        }
        let ingested_at = sql::timestamp(chrono::Utc::now());
        let mut vars = vec![
            ("date", sql::date(hour.date())),
            ("hour", hour.hour().to_string()),
            ("ingested_at", ingested_at),
        ];
        for ((part, stage), [stage_key, rows_key, crc_key]) in
            parts.iter().zip(&stages).zip(HOUR_KEYS)
        {
            vars.push((stage_key, stage.clone()));
            vars.push((rows_key, part.manifest.rows.to_string()));
            vars.push((crc_key, sql::string(&part.crc32c())));
        }
        let script = sql::render(sql::LOAD_HOUR, &vars);
        let result = self.run("refresh/load_hour.sql", &script, &[]).await;
        self.drop_staging(&stages).await;
        result.map(|_| ()).map_err(|e| PartitionFailure {
            hour,
            table: Table::SalesData,
            path: layout::partition(hour),
            reason: e.into(),
        })
    }

    /// Stages one dimension partition and merges it by id (`refresh/dimension.sql`).
    async fn merge_dimension_partition(
        &self,
        part: &VerifiedPartition,
    ) -> Result<(), PartitionFailure> {
        let Some(table_vars) = sql::merge_dimension_vars(part.table) else {
            return Err(failure(part, PartitionReason::NotDimension));
        };
        let stage = self.stage(part).await?;
        let mut vars = vec![
            ("date", sql::date(part.hour.date())),
            ("hour", part.hour.hour().to_string()),
            ("ingested_at", sql::timestamp(chrono::Utc::now())),
            ("stage", stage.clone()),
            ("rows", part.manifest.rows.to_string()),
            ("crc32c", sql::string(&part.crc32c())),
        ];
        vars.extend(table_vars);
        let script = sql::render(sql::MERGE_DIMENSION, &vars);
        let result = self.run("refresh/dimension.sql", &script, &[]).await;
        self.drop_staging(std::slice::from_ref(&stage)).await;
        result.map(|_| ()).map_err(|e| failure(part, e.into()))
    }
}

#[async_trait]
impl RefreshSteps for BigQueryWarehouse {
    /// One hour per transaction: each is its own load jobs and script already.
    fn batch_hours(&self) -> usize {
        1
    }

    fn refresh_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.refresh_lock
    }

    async fn load_state(&self) -> Result<LoadState, WarehouseError> {
        let loaded = self
            .hours("state/loaded_hours.sql", sql::LOADED_HOURS)
            .await?;
        Ok(LoadState {
            loaded: loaded.into_iter().collect(),
            watermark: self.watermark().await?,
            dimension_sources: self.dimension_sources().await?,
        })
    }

    async fn load_hours(&self, hours: Vec<HourParts>) -> Result<Vec<HourOutcome>, WarehouseError> {
        let mut outcomes = Vec::with_capacity(hours.len());
        for (hour, parts) in hours {
            let rows = parts.iter().map(|p| (p.table, p.manifest.rows)).collect();
            let loaded = self.load_hour(hour, &parts).await.map(|()| rows);
            outcomes.push((hour, loaded));
        }
        Ok(outcomes)
    }

    async fn merge_dimension(
        &self,
        part: VerifiedPartition,
    ) -> Result<Result<u64, PartitionFailure>, WarehouseError> {
        let merged = self.merge_dimension_partition(&part).await;
        Ok(merged.map(|()| part.manifest.rows))
    }
}
