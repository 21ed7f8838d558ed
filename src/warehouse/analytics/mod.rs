//! The analytics queries, each declared once (`queries.rs`): its name and route, its SQL in
//! each dialect, its extra parameters, its typed row and how a row is read from cells. The
//! backends run any of them through one method (`Warehouse::run_analytics`), the API derives
//! its routes and OpenAPI entries from `for_each_query`, and callers get typed rows from
//! `run`.
//!
//! Both dialects' SQL casts every column to text, a 64-bit integer or a float, so a backend
//! hands back plain `Cell`s and nothing backend-specific crosses over.

mod batch_queries;
mod cells;
mod params;
mod queries;
mod stream_queries;

pub use cells::{Cell, Cells, Columns, FromCell};
pub use params::{
    InvalidParam, Param, ParamValue, PeriodDays, RequestParams, RowLimit, StreamWindow,
};
// Every query and its row, by name: a new one is exported with no line here.
pub use batch_queries::*;
pub use queries::*;
pub use stream_queries::*;

use super::{AnalyticsFilter, Warehouse, WarehouseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One query's SQL files (`sql/<dialect>/analytics/<name>.sql`), embedded.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsSql {
    /// `analytics/<name>.sql`, the name errors give.
    pub file: &'static str,
    pub duckdb: &'static str,
    pub bigquery: &'static str,
}

/// Embeds `sql/duckdb/analytics/$name.sql` and `sql/bigquery/analytics/$name.sql`.
macro_rules! analytics_sql {
    ($name:literal) => {
        $crate::warehouse::analytics::AnalyticsSql {
            file: concat!("analytics/", $name, ".sql"),
            duckdb: include_str!(concat!("../../../sql/duckdb/analytics/", $name, ".sql")),
            bigquery: include_str!(concat!("../../../sql/bigquery/analytics/", $name, ".sql")),
        }
    };
}
pub(crate) use analytics_sql;

/// Declares one analytics query: its marker type, its row and its `AnalyticsQuery`. The
/// attributes and doc comments of both types pass through (the row's are its OpenAPI schema);
/// the SQL is `analytics_sql!(name)`. Without a `read` block the row is read field by field,
/// in declaration order, one column each (`FromCell`); with one, that block reads it.
macro_rules! analytics_query {
    (
        $(#[$query_meta:meta])*
        pub struct $query:ident = $name:literal at $path:literal, params $params:ty,
            $description:literal;
        $(#[$row_meta:meta])*
        pub struct $row:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty, )*
        }
        $( read($cells:ident) $read:block )?
    ) => {
        $(#[$query_meta])*
        pub struct $query;

        $(#[$row_meta])*
        pub struct $row {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $crate::warehouse::analytics::AnalyticsQuery for $query {
            const NAME: &'static str = $name;
            const PATH: &'static str = $path;
            const DESCRIPTION: &'static str = $description;
            const SQL: $crate::warehouse::analytics::AnalyticsSql =
                $crate::warehouse::analytics::analytics_sql!($name);
            type Params = $params;
            type Row = $row;

            $crate::warehouse::analytics::analytics_query!(
                @read $row { $($field)* } $( $cells $read )?
            );
        }
    };
    (@read $row:ident { $($field:ident)* }) => {
        fn read(
            cells: &$crate::warehouse::analytics::Cells<'_>,
        ) -> Result<$row, $crate::warehouse::WarehouseError> {
            let mut columns = cells.columns();
            Ok($row { $( $field: columns.read()?, )* })
        }
    };
    (@read $row:ident { $($field:ident)* } $cells:ident $read:block) => {
        fn read(
            $cells: &$crate::warehouse::analytics::Cells<'_>,
        ) -> Result<$row, $crate::warehouse::WarehouseError> $read
    };
}
pub(crate) use analytics_query;

/// One analytics query. Every query takes the filter's five parameters first (dates,
/// category, state, store: `AnalyticsFilter`), then its own `Params`.
pub trait AnalyticsQuery: Send + Sync + 'static {
    /// The operation's name in the API docs (`sales_by_category`).
    const NAME: &'static str;
    /// Its route, `GET` (`/analytics/sales-by-category`).
    const PATH: &'static str;
    /// What the rows are, for the API docs' 200 response.
    const DESCRIPTION: &'static str;
    const SQL: AnalyticsSql;
    /// Its parameters after the filter's (`()` for none).
    type Params: AnalyticsParams;
    type Row: Serialize + ToSchema + Send + 'static;

    /// One result row, from its cells in the SQL's column order.
    fn read(cells: &Cells<'_>) -> Result<Self::Row, WarehouseError>;
}

/// The parameters a query takes after the filter's: how a request gives them, and how they
/// are bound.
pub trait AnalyticsParams: Sized + Send + Sync + 'static {
    /// For the API docs' 400 response: what makes a request invalid.
    const INVALID: &'static str;

    /// From the request's values; the error names the field at fault.
    fn from_request(request: &RequestParams) -> Result<Self, InvalidParam>;

    /// In the order the DuckDB SQL numbers them (after `$5`), named as BigQuery's takes them.
    fn bind(&self) -> Vec<Param>;
}

/// Runs `Q` on `warehouse`: its typed rows, in the SQL's order. Read-only.
pub async fn run<Q: AnalyticsQuery, W: Warehouse + ?Sized>(
    warehouse: &W,
    filter: &AnalyticsFilter,
    params: &Q::Params,
) -> Result<Vec<Q::Row>, WarehouseError> {
    let mut bound = params::filter(filter);
    bound.extend(params.bind());
    let rows = warehouse.run_analytics(Q::SQL, bound).await?;
    rows.iter()
        .map(|row| Q::read(&Cells::new(Q::SQL.file, row)))
        .collect()
}

/// [`run`] as a method of any warehouse (a backend, a `dyn Warehouse`, an `Arc` of one):
/// `w.analytics::<SalesByCategory>(&filter, &())`. The one way callers name a query.
pub trait RunAnalytics {
    fn analytics<Q: AnalyticsQuery>(
        &self,
        filter: &AnalyticsFilter,
        params: &Q::Params,
    ) -> impl std::future::Future<Output = Result<Vec<Q::Row>, WarehouseError>> + Send;
}

impl<W: Warehouse + ?Sized> RunAnalytics for W {
    fn analytics<Q: AnalyticsQuery>(
        &self,
        filter: &AnalyticsFilter,
        params: &Q::Params,
    ) -> impl std::future::Future<Output = Result<Vec<Q::Row>, WarehouseError>> + Send {
        run::<Q, W>(self, filter, params)
    }
}
