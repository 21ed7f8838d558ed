//! Running the analytics and state queries. The analytics SQL casts every value to VARCHAR,
//! BIGINT or DOUBLE, handed over as `Cell`s, so no DuckDB-specific type crosses over.

use super::{partition_hour, query_error};
use crate::model::PartitionHour;
use crate::warehouse::analytics::{Cell, Param, ParamValue};
use crate::warehouse::WarehouseError;
use duckdb::types::{Value, ValueRef};
use duckdb::{Connection, Params, Row};
use std::collections::BTreeMap;

/// Every row of `text`, each mapped; errors name the query `name`.
pub(super) fn rows<T, P: Params>(
    conn: &Connection,
    name: &str,
    text: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> duckdb::Result<T>,
) -> Result<Vec<T>, WarehouseError> {
    let mut stmt = conn.prepare(text).map_err(|e| query_error(name, e))?;
    let mapped = stmt
        .query_map(params, map)
        .map_err(|e| query_error(name, e))?;
    mapped
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| query_error(name, e))
}

/// A state query returning `(date, hour)` rows.
pub fn hours(
    conn: &Connection,
    name: &str,
    text: &str,
) -> Result<Vec<PartitionHour>, WarehouseError> {
    let raw = rows(conn, name, text, [], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?))
    })?;
    raw.into_iter()
        .map(|(date, hour)| {
            partition_hour(&date, hour).ok_or_else(|| WarehouseError::Query {
                query: name.to_string(),
                source: format!("invalid partition {date} hour {hour} in the state tables").into(),
            })
        })
        .collect()
}

/// Which partition each dimension's current state came from, by table name.
pub fn dimension_sources(
    conn: &Connection,
    text: &str,
) -> Result<BTreeMap<String, PartitionHour>, WarehouseError> {
    let name = "state/dimension_sources.sql";
    let raw = rows(conn, name, text, [], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i32>(2)?,
        ))
    })?;
    let mut sources = BTreeMap::new();
    for (table, date, hour) in raw {
        let hour = partition_hour(&date, hour).ok_or_else(|| WarehouseError::Query {
            query: name.to_string(),
            source: format!("invalid partition {date} hour {hour} for {table}").into(),
        })?;
        sources.insert(table, hour);
    }
    Ok(sources)
}

/// Every row of an analytics query as cells, `params` bound in order (`$1`, `$2`, ...).
pub fn analytics(
    conn: &Connection,
    name: &str,
    text: &str,
    params: &[Param],
) -> Result<Vec<Vec<Cell>>, WarehouseError> {
    let values: Vec<Value> = params.iter().map(|p| value(&p.value)).collect();
    let mut stmt = conn.prepare(text).map_err(|e| query_error(name, e))?;
    let mut rows = stmt
        .query(duckdb::params_from_iter(values))
        .map_err(|e| query_error(name, e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| query_error(name, e))? {
        let width = row.as_ref().column_count();
        let cells = (0..width)
            .map(|i| {
                let value = row.get_ref(i).map_err(|e| query_error(name, e))?;
                cell(value).ok_or_else(|| WarehouseError::Query {
                    query: name.to_string(),
                    source: format!("column {i} is not text or a number: {value:?}").into(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(cells);
    }
    Ok(out)
}

/// Dates go in as `YYYY-MM-DD` text: the SQL tests `$1::VARCHAR IS NULL` and casts.
fn value(value: &ParamValue) -> Value {
    match value {
        ParamValue::Date(d) => d.map_or(Value::Null, |d| {
            Value::Text(d.format("%Y-%m-%d").to_string())
        }),
        ParamValue::Text(t) => t.clone().map_or(Value::Null, Value::Text),
        ParamValue::Int(n) => Value::BigInt(*n),
    }
}

/// The SQL casts every column to VARCHAR, BIGINT or DOUBLE; `None` for any other type.
fn cell(value: ValueRef<'_>) -> Option<Cell> {
    Some(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::TinyInt(n) => Cell::Int(n.into()),
        ValueRef::SmallInt(n) => Cell::Int(n.into()),
        ValueRef::Int(n) => Cell::Int(n.into()),
        ValueRef::BigInt(n) => Cell::Int(n),
        ValueRef::UTinyInt(n) => Cell::Int(n.into()),
        ValueRef::USmallInt(n) => Cell::Int(n.into()),
        ValueRef::UInt(n) => Cell::Int(n.into()),
        ValueRef::UBigInt(n) => Cell::Int(i64::try_from(n).ok()?),
        ValueRef::HugeInt(n) => Cell::Int(i64::try_from(n).ok()?),
        ValueRef::Float(f) => Cell::Float(f.into()),
        ValueRef::Double(f) => Cell::Float(f),
        ValueRef::Text(bytes) => Cell::Text(std::str::from_utf8(bytes).ok()?.to_string()),
        _ => return None,
    })
}
