//! The analytics and state queries. BigQuery's JSON gives every cell as a string (or null);
//! the SQL casts to STRING, INT64 or FLOAT64, parsed where the cells are read.

use super::client::{Param, Row};
use super::{sql, BigQueryWarehouse};
use crate::model::{parse_date, PartitionHour};
use crate::warehouse::analytics::{self, AnalyticsSql, Cell, Cells, ParamValue};
use crate::warehouse::WarehouseError;
use std::collections::BTreeMap;

/// A `(date, hour)` pair of a state query's row.
fn partition(c: &Cells<'_>, date: usize, hour: usize) -> Result<PartitionHour, WarehouseError> {
    let d = parse_date(&c.text(date)?).map_err(|_| c.invalid(date, "a date"))?;
    PartitionHour::new(d, c.hour(hour)?).map_err(|_| c.invalid(hour, "a partition"))
}

impl BigQueryWarehouse {
    /// Runs a state query and maps each row.
    async fn mapped<T>(
        &self,
        name: &str,
        template: &str,
        map: impl Fn(&Cells<'_>) -> Result<T, WarehouseError>,
    ) -> Result<Vec<T>, WarehouseError> {
        let rows = self.run(name, template, &[]).await?;
        rows.into_iter()
            .map(|row| map(&Cells::new(name, &cells(row))))
            .collect()
    }

    /// A state query returning `(date, hour)` rows.
    pub(super) async fn hours(
        &self,
        name: &str,
        template: &str,
    ) -> Result<Vec<PartitionHour>, WarehouseError> {
        self.mapped(name, template, |c| partition(c, 0, 1)).await
    }

    /// Which partition each dimension's current state came from, by table name.
    pub(super) async fn dimension_sources(
        &self,
    ) -> Result<BTreeMap<String, PartitionHour>, WarehouseError> {
        let rows = self
            .mapped("state/dimension_sources.sql", sql::DIMENSION_SOURCES, |c| {
                Ok((c.text(0)?, partition(c, 1, 2)?))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// An analytics query's rows as cells (all `Text`, as BigQuery's JSON gives them), its
    /// parameters bound by name, typed.
    pub(super) async fn analytics_cells(
        &self,
        sql: AnalyticsSql,
        params: &[analytics::Param],
    ) -> Result<Vec<Vec<Cell>>, WarehouseError> {
        let params: Vec<Param> = params.iter().map(param).collect();
        let rows = self.run(sql.file, sql.bigquery, &params).await?;
        Ok(rows.into_iter().map(cells).collect())
    }
}

/// `@name`, typed: dates as `DATE`, text as `STRING`, integers as `INT64`.
fn param(p: &analytics::Param) -> Param {
    match &p.value {
        ParamValue::Date(d) => {
            Param::new(p.name, "DATE", d.map(|d| d.format("%Y-%m-%d").to_string()))
        }
        ParamValue::Text(t) => Param::new(p.name, "STRING", t.clone()),
        ParamValue::Int(n) => Param::new(p.name, "INT64", Some(n.to_string())),
    }
}

fn cells(row: Row) -> Vec<Cell> {
    row.into_iter()
        .map(|v| v.map_or(Cell::Null, Cell::Text))
        .collect()
}
