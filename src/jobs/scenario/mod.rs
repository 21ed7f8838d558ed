//! Event scenarios (seed 003): the named catalogue, custom specs, and the exact-rate runner.
//!
//! A scenario sends exactly `events_per_minute x duration` events (rounded up to whole
//! events), event `i` scheduled at `start + i * 60 s / events_per_minute` on one monotonic clock.

pub mod bench;
pub mod incidents;
mod malformed;
mod plan;
mod runner;

pub use incidents::{Incident, IncidentKind, IncidentRequest};
pub use malformed::MALFORMED_REASONS;
pub use plan::{IncidentReport, RunPlan};

pub use runner::{
    Pacing, PlannedRun, ProgressSnapshot, RunOptions, ScenarioProgress, ScenarioRunError,
    ScenarioRunner, ScenarioSummary,
};

use crate::generate::events::EventType;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::time::Duration;

/// Highest rate accepted: a thousand events a second. The unthrottled mode exists for more.
pub const MAX_EVENTS_PER_MINUTE: u32 = 60_000;
/// Longest run accepted: one day.
pub const MAX_DURATION_SECS: u64 = 24 * 60 * 60;
/// Most events in one run: ten million (about 8 GB of JSON through the bus).
pub const MAX_EVENTS: u64 = 10_000_000;

/// A named scenario of the catalogue (what `GET /scenarios` lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedScenario {
    pub name: &'static str,
    pub description: &'static str,
    pub events_per_minute: u32,
    pub minutes: u32,
    pub event_types: &'static [EventType],
    /// Its demo incidents (none for most), their ids chosen from the run's seed.
    pub incidents: &'static [NamedIncident],
}

/// An incident of a named scenario: its kind, its window and the one number it takes (a flash
/// sale's factor, a burst's count, a storm's share in percent, late events' minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedIncident {
    pub kind: &'static str,
    pub start_second: u64,
    pub duration_seconds: u64,
    pub amount: u32,
}

impl NamedIncident {
    pub fn request(&self) -> IncidentRequest {
        let amount = Some(self.amount);
        let mut r = IncidentRequest {
            kind: self.kind.to_string(),
            start_second: self.start_second,
            duration_seconds: Some(self.duration_seconds),
            ..IncidentRequest::default()
        };
        match self.kind {
            "flash_sale" => r.factor = amount,
            "fraud_burst" => r.count = amount,
            "malformed_storm" => r.share = Some(f64::from(self.amount) / 100.0),
            "late_events" => r.minutes = amount,
            _ => {}
        }
        r
    }
}

const fn incident(
    kind: &'static str,
    start_second: u64,
    duration_seconds: u64,
    amount: u32,
) -> NamedIncident {
    NamedIncident {
        kind,
        start_second,
        duration_seconds,
        amount,
    }
}

impl NamedScenario {
    /// Events a run of it sends, before what its incidents add (the start response says
    /// exactly how many those are).
    pub fn total_events(&self) -> u64 {
        u64::from(self.events_per_minute) * u64::from(self.minutes)
    }
}

const ALL_TYPES: &[EventType] = &EventType::ALL;

/// The catalogue of seed 003, as README.md lists it ("The service").
pub const SCENARIOS: &[NamedScenario] = &[
    named(
        "quick_sample",
        "Pipeline check: a dozen events in a minute",
        12,
        1,
        ALL_TYPES,
    ),
    named("light_demo", "Basic demonstration", 30, 5, ALL_TYPES),
    named("moderate_load", "Standard demo", 60, 10, ALL_TYPES),
    named("heavy_load", "High-throughput test", 120, 15, ALL_TYPES),
    named("burst_test", "Traffic spike", 300, 3, ALL_TYPES),
    named(
        "sustained_demo",
        "Half an hour of steady traffic",
        90,
        30,
        ALL_TYPES,
    ),
    named("stress_test", "Maximum named load", 600, 10, ALL_TYPES),
    named(
        "orders_only",
        "Order events only",
        60,
        5,
        &[EventType::Order],
    ),
    named(
        "inventory_only",
        "Inventory events only",
        60,
        5,
        &[EventType::Inventory],
    ),
    named(
        "user_activity_only",
        "User activity events only",
        60,
        5,
        &[EventType::UserActivity],
    ),
    NamedScenario {
        incidents: &[
            incident("flash_sale", 60, 60, 10),
            incident("store_dark", 120, 60, 0),
            incident("price_error", 180, 60, 0),
            incident("fraud_burst", 210, 60, 25),
            incident("malformed_storm", 240, 60, 20),
            incident("late_events", 300, 60, 10),
        ],
        ..named(
            "incident_demo",
            "Demo incidents a minute apart: flash sale, dark store, price error, fraud burst, malformed storm, late events",
            120,
            6,
            ALL_TYPES,
        )
    },
];

const fn named(
    name: &'static str,
    description: &'static str,
    events_per_minute: u32,
    minutes: u32,
    event_types: &'static [EventType],
) -> NamedScenario {
    NamedScenario {
        name,
        description,
        events_per_minute,
        minutes,
        event_types,
        incidents: &[],
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario '{name}'; valid scenarios: {}", valid.join(", "))]
    UnknownScenario {
        name: String,
        valid: Vec<&'static str>,
    },
    #[error("invalid {field}: {message}")]
    InvalidField {
        /// `events_per_minute`, or an incident's `incidents[2].share`.
        field: Cow<'static, str>,
        message: String,
    },
}

impl ScenarioError {
    /// The request field at fault, for `{code, message, field}` error bodies.
    pub fn field(&self) -> Option<&str> {
        match self {
            ScenarioError::UnknownScenario { .. } => None,
            ScenarioError::InvalidField { field, .. } => Some(field),
        }
    }

    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: Cow::Borrowed(field),
            message: message.into(),
        }
    }
}

/// A validated scenario, named or custom: what a runner runs and `/status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSpec {
    /// The catalogue name, or `custom`.
    pub name: String,
    pub events_per_minute: u32,
    pub duration_seconds: u64,
    pub event_types: Vec<EventType>,
    /// Incidents within the run (`incidents.rs`); the plan (`RunPlan`) applies them.
    pub incidents: Vec<Incident>,
}

impl ScenarioSpec {
    /// The catalogue scenario called `name`.
    pub fn named(name: &str) -> Result<Self, ScenarioError> {
        let s = SCENARIOS.iter().find(|s| s.name == name).ok_or_else(|| {
            ScenarioError::UnknownScenario {
                name: name.to_string(),
                valid: SCENARIOS.iter().map(|s| s.name).collect(),
            }
        })?;
        Self {
            name: s.name.to_string(),
            events_per_minute: s.events_per_minute,
            duration_seconds: u64::from(s.minutes) * 60,
            event_types: s.event_types.to_vec(),
            incidents: Vec::new(),
        }
        .with_incidents(
            &s.incidents
                .iter()
                .map(NamedIncident::request)
                .collect::<Vec<_>>(),
        )
    }

    /// The spec with `incidents` (as a request gives them) checked and put before its own (a
    /// named scenario's), so that `incidents[i]` in an error is the request's `i`.
    pub fn with_incidents(mut self, incidents: &[IncidentRequest]) -> Result<Self, ScenarioError> {
        if self.incidents.len() + incidents.len() > incidents::MAX_INCIDENTS {
            return Err(ScenarioError::invalid(
                "incidents",
                format!("at most {} incidents in one run", incidents::MAX_INCIDENTS),
            ));
        }
        let checked = incidents
            .iter()
            .enumerate()
            .map(|(i, r)| r.validate(i, self.duration_seconds, &self.event_types))
            .collect::<Result<Vec<_>, _>>()?;
        self.incidents.splice(0..0, checked);
        Ok(self)
    }

    /// Base events the run sends (incidents may add some: `RunPlan::total_events`): every event whose slot starts within the duration, that is
    /// `ceil(events_per_minute * seconds / 60)`: 12/min for 60 s is 12 (the last at 55 s).
    pub fn total_events(&self) -> u64 {
        (u64::from(self.events_per_minute) * self.duration_seconds).div_ceil(60)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.duration_seconds)
    }

    /// When event `i` is due, from the start of the run. Computed from `i` each time (never
    /// by adding intervals), so no rounding accumulates.
    pub fn offset(&self, i: u64) -> Duration {
        let nanos = u128::from(i) * 60_000_000_000 / u128::from(self.events_per_minute.max(1));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// The run key of the run seeded `seed`. The event generator derives every event, order and
/// session id and every payload from it (and the world), so two runs with one seed send the same
/// events; only their times follow each start.
pub fn run_key(seed: u64) -> String {
    format!("seed-{seed:016x}")
}

/// A seed for a run that was given none: 64 bits from the operating system's random source.
/// Job ids (`scn-1`) restart with every process, so they cannot key a run: ids derived from them
/// repeat after a restart and across instances. Should the OS source fail (it does not on Linux
/// once booted), the clock's nanoseconds and the process id stand in, which still differ between
/// processes and restarts.
pub fn fresh_seed() -> u64 {
    use rand::TryRng;
    rand::rngs::SysRng.try_next_u64().unwrap_or_else(|e| {
        tracing::warn!(error = %crate::error_chain(&e), "the OS random source failed; seeding the run from the clock");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        crate::generate::rng::Key::root(nanos)
            .at(u64::from(std::process::id()))
            .value()
    })
}

/// A custom scenario as a request gives it (`POST` body or CLI flags). `validate` turns it into
/// a `ScenarioSpec` or says which field is wrong.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomScenario {
    pub events_per_minute: u32,
    /// Give exactly one of `duration_minutes` and `duration_seconds`.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub duration_seconds: Option<u64>,
    /// Type names (`order`, `inventory`, `user_activity`); all three when absent.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// The run's seed (see [`run_key`]): the same seed replays the run's ids and payloads. Not
    /// part of the spec, which says what is sent, not which run sends it.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Incidents within the run (`incidents.rs`).
    #[serde(default)]
    pub incidents: Vec<IncidentRequest>,
}

impl CustomScenario {
    pub fn validate(&self) -> Result<ScenarioSpec, ScenarioError> {
        let rate = self.events_per_minute;
        if !(1..=MAX_EVENTS_PER_MINUTE).contains(&rate) {
            return Err(ScenarioError::invalid(
                "events_per_minute",
                format!("must be from 1 to {MAX_EVENTS_PER_MINUTE}, got {rate}"),
            ));
        }
        let (field, seconds) = match (self.duration_minutes, self.duration_seconds) {
            (Some(m), None) => ("duration_minutes", u64::from(m) * 60),
            (None, Some(s)) => ("duration_seconds", s),
            (None, None) => {
                return Err(ScenarioError::invalid(
                    "duration_minutes",
                    "give duration_minutes or duration_seconds",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(ScenarioError::invalid(
                    "duration_seconds",
                    "give duration_minutes or duration_seconds, not both",
                ))
            }
        };
        if !(1..=MAX_DURATION_SECS).contains(&seconds) {
            return Err(ScenarioError::invalid(
                field,
                format!("must be from 1 second to 24 hours, got {seconds} seconds"),
            ));
        }
        let event_types = match &self.event_types {
            None => EventType::ALL.to_vec(),
            Some(names) if names.is_empty() => return Err(ScenarioError::invalid(
                "event_types",
                "name at least one of order, inventory, user_activity (or leave it out for all)",
            )),
            Some(names) => {
                let mut types = names
                    .iter()
                    .map(|n| n.parse::<EventType>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ScenarioError::invalid("event_types", e.to_string()))?;
                types.sort();
                types.dedup();
                types
            }
        };
        let spec = ScenarioSpec {
            name: "custom".to_string(),
            events_per_minute: rate,
            duration_seconds: seconds,
            event_types,
            incidents: Vec::new(),
        };
        if spec.total_events() > MAX_EVENTS {
            return Err(ScenarioError::invalid(
                field,
                format!(
                    "{rate} events a minute for {seconds} s is {} events; at most {MAX_EVENTS} in one run",
                    spec.total_events()
                ),
            ));
        }
        spec.with_incidents(&self.incidents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_the_design() {
        let got: Vec<(&str, u32, u32, usize)> = SCENARIOS
            .iter()
            .map(|s| (s.name, s.events_per_minute, s.minutes, s.event_types.len()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("quick_sample", 12, 1, 3),
                ("light_demo", 30, 5, 3),
                ("moderate_load", 60, 10, 3),
                ("heavy_load", 120, 15, 3),
                ("burst_test", 300, 3, 3),
                ("sustained_demo", 90, 30, 3),
                ("stress_test", 600, 10, 3),
                ("orders_only", 60, 5, 1),
                ("inventory_only", 60, 5, 1),
                ("user_activity_only", 60, 5, 1),
                ("incident_demo", 120, 6, 3),
            ]
        );
        let totals: Vec<u64> = SCENARIOS
            .iter()
            .map(|s| ScenarioSpec::named(s.name).unwrap().total_events())
            .collect();
        assert_eq!(
            totals,
            [12, 150, 600, 1_800, 900, 2_700, 6_000, 300, 300, 300, 720]
        );
        let demo = ScenarioSpec::named("incident_demo").unwrap();
        let kinds: Vec<&str> = demo.incidents.iter().map(|i| i.kind.name()).collect();
        assert_eq!(kinds, incidents::KINDS, "one of each kind");
        assert_eq!(
            ScenarioSpec::named("orders_only").unwrap().event_types,
            [EventType::Order]
        );
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = ScenarioSpec::named("quick").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("'quick'") && text.contains("quick_sample, light_demo"),
            "{text}"
        );
        assert!(text.contains("user_activity_only"));
        assert_eq!(err.field(), None);
    }

    #[test]
    fn offsets_are_exact_and_do_not_drift() {
        let s = ScenarioSpec::named("quick_sample").unwrap();
        assert_eq!(s.offset(11), Duration::from_secs(55));
        // 7 a minute: 60/7 s is not a whole number of nanoseconds, yet event 7_000 is due at
        // exactly 1000 minutes.
        let odd = CustomScenario {
            events_per_minute: 7,
            duration_minutes: Some(1_000),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(odd.offset(7_000), Duration::from_secs(60_000));
        assert_eq!(odd.total_events(), 7_000);
        let partial = CustomScenario {
            events_per_minute: 7,
            duration_seconds: Some(10),
            ..Default::default()
        };
        // Slots at 0 s and 8.57 s start within 10 s.
        assert_eq!(partial.validate().unwrap().total_events(), 2);
    }

    #[test]
    fn custom_specs_name_the_faulty_field() {
        let base = CustomScenario {
            events_per_minute: 60,
            duration_minutes: Some(5),
            ..Default::default()
        };
        let field = |c: CustomScenario| c.validate().unwrap_err().field().map(str::to_owned);
        assert!(base.validate().is_ok());
        type Fault = fn(&mut CustomScenario);
        let faults: [(Fault, &str); 8] = [
            (|c| c.events_per_minute = 0, "events_per_minute"),
            (|c| c.events_per_minute = 10_000_000, "events_per_minute"),
            (|c| c.duration_minutes = Some(0), "duration_minutes"),
            (|c| c.duration_minutes = None, "duration_minutes"),
            (|c| c.duration_seconds = Some(30), "duration_seconds"),
            (|c| c.duration_minutes = Some(100_000), "duration_minutes"),
            (
                |c| c.event_types = Some(vec!["refund".into()]),
                "event_types",
            ),
            (|c| c.event_types = Some(vec![]), "event_types"),
        ];
        for (fault, name) in faults {
            let mut c = base.clone();
            fault(&mut c);
            assert_eq!(field(c), Some(name.to_owned()), "{name}");
        }
        // A day at the top rate is 86.4 million events: refused on size.
        let huge = CustomScenario {
            events_per_minute: MAX_EVENTS_PER_MINUTE,
            duration_minutes: Some(24 * 60),
            ..CustomScenario::default()
        };
        assert!(huge
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at most 10000000"));
        let parsed: CustomScenario = serde_json::from_str(
            r#"{"events_per_minute": 120, "duration_seconds": 90, "event_types": ["order", "order", "inventory"]}"#,
        )
        .unwrap();
        let spec = parsed.validate().unwrap();
        assert_eq!(spec.event_types, [EventType::Order, EventType::Inventory]);
        assert_eq!(spec.total_events(), 180);
        assert!(
            serde_json::from_str::<CustomScenario>(r#"{"events_per_minute": 1, "rate": 2}"#)
                .is_err()
        );
    }
}
