//! Query parameters: the filter's five every query takes, and the extra ones a query declares
//! (`AnalyticsParams`), as typed values each backend binds its way.

use super::AnalyticsParams;
use crate::warehouse::AnalyticsFilter;
use chrono::NaiveDate;

/// One parameter. DuckDB binds them in order (`$1`, `$2`, ...), BigQuery by name (`@name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub value: ParamValue,
}

/// A parameter's value; `None` is SQL NULL (an open bound, no restriction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Date(Option<NaiveDate>),
    Text(Option<String>),
    Int(i64),
}

/// The five leading parameters of every `analytics/*.sql`: dates, category, state, store.
pub(super) fn filter(filter: &AnalyticsFilter) -> Vec<Param> {
    let text = |name, value: &Option<String>| Param {
        name,
        value: ParamValue::Text(value.clone()),
    };
    vec![
        Param {
            name: "date_from",
            value: ParamValue::Date(filter.dates.from),
        },
        Param {
            name: "date_to",
            value: ParamValue::Date(filter.dates.to),
        },
        text("category", &filter.category),
        text("state", &filter.state),
        text("store_id", &filter.store_id),
    ]
}

/// What a request gives besides the filter, shared by every analytics route (each query reads
/// what it takes and ignores the rest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestParams {
    pub limit: Option<u32>,
    pub minutes: Option<u32>,
    pub days: Option<u32>,
}

/// A request's parameter out of range; the API answers 400 naming `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParam {
    pub field: &'static str,
    pub message: String,
}

/// No parameters beyond the filter's.
impl AnalyticsParams for () {
    const INVALID: &'static str = "Malformed date or unknown category, state or store";

    fn from_request(_: &RequestParams) -> Result<Self, InvalidParam> {
        Ok(())
    }

    fn bind(&self) -> Vec<Param> {
        Vec::new()
    }
}

/// Declares a one-number parameter: the newtype, and its `AnalyticsParams` reading request
/// field `$field` (`$default` when absent, a 400 naming it outside `$range`) and binding it
/// as `$6` in DuckDB, `@$name` in BigQuery.
macro_rules! bounded_param {
    ($(#[$meta:meta])* $param:ident: $field:ident, default $default:expr, $range:expr, bound as $name:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $param(pub u32);

        impl AnalyticsParams for $param {
            const INVALID: &'static str = concat!(
                "Malformed date or ",
                stringify!($field),
                ", or unknown category, state or store"
            );

            fn from_request(request: &RequestParams) -> Result<Self, InvalidParam> {
                let value = request.$field.unwrap_or($default);
                let range = $range;
                if !range.contains(&value) {
                    return Err(InvalidParam {
                        field: stringify!($field),
                        message: format!(
                            concat!(stringify!($field), " must be from {} to {}"),
                            range.start(),
                            range.end()
                        ),
                    });
                }
                Ok(Self(value))
            }

            fn bind(&self) -> Vec<Param> {
                vec![Param {
                    name: $name,
                    value: ParamValue::Int(i64::from(self.0)),
                }]
            }
        }
    };
}

bounded_param! {
    /// How many rows a top list returns: 1-1000, 10 when the request does not say.
    RowLimit: limit, default 10, 1..=1000, bound as "row_limit"
}

bounded_param! {
    /// How far back a stream query looks, in minutes before now: 1-1440, 10 when the request
    /// does not say.
    StreamWindow: minutes, default StreamWindow::DEFAULT.0, 1..=1440, bound as "minutes"
}

impl StreamWindow {
    pub const DEFAULT: StreamWindow = StreamWindow(10);
}

bounded_param! {
    /// The length of each compared period, in days: 1-90, 7 when the request does not say.
    PeriodDays: days, default 7, 1..=90, bound as "days"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `P` from a request giving `limit`, `minutes` and `days`, or the field its error names.
    fn read<P: AnalyticsParams>(
        limit: Option<u32>,
        minutes: Option<u32>,
        days: Option<u32>,
    ) -> Result<P, &'static str> {
        P::from_request(&RequestParams {
            limit,
            minutes,
            days,
        })
        .map_err(|e| e.field)
    }

    #[test]
    fn each_number_has_its_default_and_range_and_its_error_names_it() {
        assert_eq!(read(None, None, None), Ok(RowLimit(10)));
        assert_eq!(read(None, None, None), Ok(StreamWindow(10)));
        assert_eq!(read(None, None, None), Ok(PeriodDays(7)));
        let (top, day, quarter) = (Some(1000), Some(1440), Some(90));
        assert_eq!(read(top, day, quarter), Ok(RowLimit(1000)));
        assert_eq!(read(top, day, quarter), Ok(StreamWindow(1440)));
        assert_eq!(read(top, day, quarter), Ok(PeriodDays(90)));
        let zero = Some(0);
        assert_eq!(read::<RowLimit>(zero, None, None), Err("limit"));
        assert_eq!(read::<StreamWindow>(None, zero, None), Err("minutes"));
        assert_eq!(read::<PeriodDays>(None, None, zero), Err("days"));
        assert_eq!(read::<RowLimit>(Some(1001), None, None), Err("limit"));
        assert_eq!(read::<StreamWindow>(None, Some(1441), None), Err("minutes"));
        assert_eq!(read::<PeriodDays>(None, None, Some(91)), Err("days"));
        let request = RequestParams {
            limit: Some(0),
            ..Default::default()
        };
        let message = RowLimit::from_request(&request).map_err(|e| e.message);
        assert_eq!(message, Err("limit must be from 1 to 1000".to_string()));
    }
}
