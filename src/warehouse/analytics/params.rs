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

/// How many rows a top list returns: 1-1000, 10 when the request does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLimit(pub u32);

impl AnalyticsParams for RowLimit {
    const INVALID: &'static str = "Malformed date or limit, or unknown category, state or store";

    fn from_request(request: &RequestParams) -> Result<Self, InvalidParam> {
        let limit = request.limit.unwrap_or(10);
        if !(1..=1000).contains(&limit) {
            return Err(InvalidParam {
                field: "limit",
                message: "limit must be from 1 to 1000".into(),
            });
        }
        Ok(Self(limit))
    }

    /// `$6` in DuckDB, `@row_limit` in BigQuery.
    fn bind(&self) -> Vec<Param> {
        vec![Param {
            name: "row_limit",
            value: ParamValue::Int(i64::from(self.0)),
        }]
    }
}

/// How far back a stream query looks, in minutes before now: 1-1440, 10 when the request
/// does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamWindow(pub u32);

impl StreamWindow {
    pub const DEFAULT: StreamWindow = StreamWindow(10);
}

impl AnalyticsParams for StreamWindow {
    const INVALID: &'static str = "Malformed date or minutes, or unknown category, state or store";

    fn from_request(request: &RequestParams) -> Result<Self, InvalidParam> {
        let minutes = request.minutes.unwrap_or(Self::DEFAULT.0);
        if !(1..=1440).contains(&minutes) {
            return Err(InvalidParam {
                field: "minutes",
                message: "minutes must be from 1 to 1440".into(),
            });
        }
        Ok(Self(minutes))
    }

    /// `$6` in DuckDB, `@minutes` in BigQuery.
    fn bind(&self) -> Vec<Param> {
        vec![Param {
            name: "minutes",
            value: ParamValue::Int(i64::from(self.0)),
        }]
    }
}

/// The length of each compared period, in days: 1-90, 7 when the request does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodDays(pub u32);

impl AnalyticsParams for PeriodDays {
    const INVALID: &'static str = "Malformed date or days, or unknown category, state or store";

    fn from_request(request: &RequestParams) -> Result<Self, InvalidParam> {
        let days = request.days.unwrap_or(7);
        if !(1..=90).contains(&days) {
            return Err(InvalidParam {
                field: "days",
                message: "days must be from 1 to 90".into(),
            });
        }
        Ok(Self(days))
    }

    /// `$6` in DuckDB, `@days` in BigQuery.
    fn bind(&self) -> Vec<Param> {
        vec![Param {
            name: "days",
            value: ParamValue::Int(i64::from(self.0)),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_limit_defaults_to_ten_and_stays_within_1_to_1000() {
        let limit = |limit| {
            RowLimit::from_request(&RequestParams {
                limit,
                ..RequestParams::default()
            })
        };
        assert_eq!(limit(None), Ok(RowLimit(10)));
        assert_eq!(limit(Some(1000)), Ok(RowLimit(1000)));
        for bad in [0, 1001] {
            assert_eq!(limit(Some(bad)).map_err(|e| e.field), Err("limit"));
        }
    }

    #[test]
    fn the_stream_window_defaults_to_ten_minutes_and_stays_within_a_day() {
        let window = |minutes| {
            StreamWindow::from_request(&RequestParams {
                minutes,
                ..RequestParams::default()
            })
        };
        assert_eq!(window(None), Ok(StreamWindow(10)));
        assert_eq!(window(Some(1440)), Ok(StreamWindow(1440)));
        for bad in [0, 1441] {
            assert_eq!(window(Some(bad)).map_err(|e| e.field), Err("minutes"));
        }
        let days = |days| {
            PeriodDays::from_request(&RequestParams {
                days,
                ..RequestParams::default()
            })
        };
        assert_eq!(days(None), Ok(PeriodDays(7)));
        assert_eq!(days(Some(91)).map_err(|e| e.field), Err("days"));
    }
}
