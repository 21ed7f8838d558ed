//! Demo incidents a scenario can carry: a flash sale, a store gone dark, a price error, a fraud
//! burst, a storm of malformed messages and late events, each within a window of the run.
//!
//! What each one sends, exactly (the base schedule is event `i` at `offset(i)`, `N` events):
//! - `flash_sale`: every base order in the window whose first line is of the category (by
//!   default the one most of the window's orders start with) is followed by `factor - 1` extra
//!   orders of that category, spread evenly before the next base slot: the category's orders
//!   are `factor` times the base, and the run has `(factor - 1) x` that many more events.
//! - `store_dark`: base (and extra) orders and inventory events in the window that would come
//!   from the store are re-drawn from the other stores, keeping their ids and times: the
//!   store sends nothing, the count and the rate are unchanged.
//! - `price_error`: the product's unit price is x0.01 (rounded to the cent) in every order line
//!   in the window, totals following; the count is unchanged.
//! - `fraud_burst`: `count` extra orders from the customer, evenly spread over the window (at
//!   most a minute).
//! - `malformed_storm`: `floor(n x share)` of the `n` base events in the window (spread evenly)
//!   are sent invalid, in turn not JSON, missing `event_id`, a mistyped `schema_version` and an
//!   unknown `schema_version`; the subscriber dead-letters them with those four reasons.
//! - `late_events`: the event time of every event sent in the window is `minutes` earlier.
//!
//! Validation here needs only the request; the ids are checked against the world when the run
//! is planned (`plan.rs`).

use super::ScenarioError;
use crate::generate::events::EventType;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

/// The kinds an incident can be, as requests name them.
pub const KINDS: [&str; 6] = [
    "flash_sale",
    "store_dark",
    "price_error",
    "fraud_burst",
    "malformed_storm",
    "late_events",
];
/// Most incidents in one run.
pub const MAX_INCIDENTS: usize = 32;
/// Largest flash sale factor.
pub const MAX_FACTOR: u32 = 100;
/// Most orders in one fraud burst.
pub const MAX_BURST: u32 = 10_000;
/// Longest shift of late events: a day.
pub const MAX_LATE_MINUTES: u32 = 24 * 60;
/// A fraud burst lasts at most a minute.
pub const BURST_SECONDS: u64 = 60;

/// One incident as a request gives it. `kind` says which parameters apply; the others must be
/// absent. Ids left out are chosen from the run's seed and reported in the start response and
/// the job's `detail.incidents`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentRequest {
    /// `flash_sale`, `store_dark`, `price_error`, `fraud_burst`, `malformed_storm` or
    /// `late_events`.
    #[schema(example = "flash_sale")]
    pub kind: String,
    /// When the window opens, in seconds from the start of the run (default 0).
    #[serde(default)]
    #[schema(example = 60)]
    pub start_second: u64,
    /// How long the window lasts; it must end within the run. Default: to the end of the run
    /// (a fraud burst: 60, its most).
    #[serde(default)]
    #[schema(example = 60)]
    pub duration_seconds: Option<u64>,
    /// `flash_sale`: a category name (`Grocery`, ...); default: the one most orders in the
    /// window start with.
    #[serde(default)]
    pub category: Option<String>,
    /// `flash_sale`: how many times the category's orders (2 to 100, default 10).
    #[serde(default)]
    pub factor: Option<u32>,
    /// `store_dark`: a store id (`S0003`); default: the first event's store in the window.
    #[serde(default)]
    pub store_id: Option<String>,
    /// `price_error`: a product id (`P00042`); default: the first order line's in the window.
    #[serde(default)]
    pub product_id: Option<String>,
    /// `fraud_burst`: a customer id (`C0000042`); default: one drawn from the seed.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// `fraud_burst`: how many orders (1 to 10000).
    #[serde(default)]
    pub count: Option<u32>,
    /// `malformed_storm`: the share of the window's events sent invalid, above 0 and at most 1.
    #[serde(default)]
    pub share: Option<f64>,
    /// `late_events`: how many minutes in the past event times are (1 to 1440).
    #[serde(default)]
    pub minutes: Option<u32>,
}

/// A valid incident of a run; ids not yet checked against the world.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub start_second: u64,
    pub duration_seconds: u64,
    pub kind: IncidentKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentKind {
    FlashSale {
        category: Option<String>,
        factor: u32,
    },
    StoreDark {
        store_id: Option<String>,
    },
    PriceError {
        product_id: Option<String>,
    },
    FraudBurst {
        customer_id: Option<String>,
        count: u32,
    },
    MalformedStorm {
        share: f64,
    },
    LateEvents {
        minutes: u32,
    },
}

impl IncidentKind {
    pub fn name(&self) -> &'static str {
        match self {
            IncidentKind::FlashSale { .. } => "flash_sale",
            IncidentKind::StoreDark { .. } => "store_dark",
            IncidentKind::PriceError { .. } => "price_error",
            IncidentKind::FraudBurst { .. } => "fraud_burst",
            IncidentKind::MalformedStorm { .. } => "malformed_storm",
            IncidentKind::LateEvents { .. } => "late_events",
        }
    }
}

/// `incidents[i].name`: the field of incident `i` at fault.
pub(crate) fn field(i: usize, name: &str) -> Cow<'static, str> {
    Cow::Owned(format!("incidents[{i}].{name}"))
}

fn invalid(i: usize, name: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::InvalidField {
        field: field(i, name),
        message: message.into(),
    }
}

impl IncidentRequest {
    /// Checks incident `i` of a run of `run_seconds` sending `types`.
    pub fn validate(
        &self,
        i: usize,
        run_seconds: u64,
        types: &[EventType],
    ) -> Result<Incident, ScenarioError> {
        let kind = self.builder(i)?(self, i)?;
        if matches!(
            kind,
            IncidentKind::FlashSale { .. }
                | IncidentKind::PriceError { .. }
                | IncidentKind::FraudBurst { .. }
        ) && !types.contains(&EventType::Order)
        {
            return Err(invalid(
                i,
                "kind",
                format!("{} needs order events in the run", kind.name()),
            ));
        }
        if self.start_second >= run_seconds {
            return Err(invalid(
                i,
                "start_second",
                format!(
                    "must be within the run of {run_seconds} s, got {}",
                    self.start_second
                ),
            ));
        }
        let left = run_seconds - self.start_second;
        let burst = matches!(kind, IncidentKind::FraudBurst { .. });
        let duration =
            self.duration_seconds
                .unwrap_or(if burst { BURST_SECONDS.min(left) } else { left });
        if duration == 0 || duration > left {
            return Err(invalid(
                i,
                "duration_seconds",
                format!(
                    "must be from 1 to {left} (the window ends within the run of {run_seconds} s), got {duration}"
                ),
            ));
        }
        if burst && duration > BURST_SECONDS {
            return Err(invalid(
                i,
                "duration_seconds",
                format!("a fraud burst lasts at most {BURST_SECONDS} s, got {duration}"),
            ));
        }
        Ok(Incident {
            start_second: self.start_second,
            duration_seconds: duration,
            kind,
        })
    }

    /// The kind's builder, after refusing parameters that belong to other kinds.
    fn builder(&self, i: usize) -> Result<KindBuilder, ScenarioError> {
        let idx = KINDS.iter().position(|k| *k == self.kind).ok_or_else(|| {
            invalid(
                i,
                "kind",
                format!(
                    "unknown incident kind '{}'; valid kinds: {}",
                    self.kind,
                    KINDS.join(", ")
                ),
            )
        })?;
        Ok(BUILDERS[idx])
    }
}

type KindBuilder = fn(&IncidentRequest, usize) -> Result<IncidentKind, ScenarioError>;

/// One builder per entry of `KINDS`, in its order.
const BUILDERS: [KindBuilder; 6] = [
    flash_sale,
    store_dark,
    price_error,
    fraud_burst,
    malformed_storm,
    late_events,
];

/// Refuses any parameter given that is not one of `allowed`.
fn only(r: &IncidentRequest, i: usize, allowed: &[&str]) -> Result<(), ScenarioError> {
    let params = [
        ("category", r.category.is_some()),
        ("factor", r.factor.is_some()),
        ("store_id", r.store_id.is_some()),
        ("product_id", r.product_id.is_some()),
        ("customer_id", r.customer_id.is_some()),
        ("count", r.count.is_some()),
        ("share", r.share.is_some()),
        ("minutes", r.minutes.is_some()),
    ];
    match params
        .iter()
        .find(|(name, given)| *given && !allowed.contains(name))
    {
        Some((name, _)) => Err(invalid(
            i,
            name,
            format!("does not apply to a {} incident", r.kind),
        )),
        None => Ok(()),
    }
}

fn flash_sale(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["category", "factor"])?;
    let factor = r.factor.unwrap_or(10);
    if !(2..=MAX_FACTOR).contains(&factor) {
        return Err(invalid(
            i,
            "factor",
            format!("must be from 2 to {MAX_FACTOR}, got {factor}"),
        ));
    }
    Ok(IncidentKind::FlashSale {
        category: r.category.clone(),
        factor,
    })
}

fn store_dark(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["store_id"])?;
    Ok(IncidentKind::StoreDark {
        store_id: r.store_id.clone(),
    })
}

fn price_error(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["product_id"])?;
    Ok(IncidentKind::PriceError {
        product_id: r.product_id.clone(),
    })
}

fn fraud_burst(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["customer_id", "count"])?;
    let count = r
        .count
        .ok_or_else(|| invalid(i, "count", "give how many orders the burst sends"))?;
    if !(1..=MAX_BURST).contains(&count) {
        return Err(invalid(
            i,
            "count",
            format!("must be from 1 to {MAX_BURST}, got {count}"),
        ));
    }
    Ok(IncidentKind::FraudBurst {
        customer_id: r.customer_id.clone(),
        count,
    })
}

fn malformed_storm(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["share"])?;
    let share = r
        .share
        .ok_or_else(|| invalid(i, "share", "give the share of invalid payloads"))?;
    if !(share > 0.0 && share <= 1.0) {
        return Err(invalid(
            i,
            "share",
            format!("must be above 0 and at most 1, got {share}"),
        ));
    }
    Ok(IncidentKind::MalformedStorm { share })
}

fn late_events(r: &IncidentRequest, i: usize) -> Result<IncidentKind, ScenarioError> {
    only(r, i, &["minutes"])?;
    let minutes = r
        .minutes
        .ok_or_else(|| invalid(i, "minutes", "give how many minutes late"))?;
    if !(1..=MAX_LATE_MINUTES).contains(&minutes) {
        return Err(invalid(
            i,
            "minutes",
            format!("must be from 1 to {MAX_LATE_MINUTES}, got {minutes}"),
        ));
    }
    Ok(IncidentKind::LateEvents { minutes })
}
