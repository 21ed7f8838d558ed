//! A run's plan: the base schedule (event `i` at `offset(i)`) with its incidents applied
//! (`incidents.rs` says what each one sends). The plan is made before the run from the spec,
//! the run's generator and its base time, so the start response can report the chosen ids and
//! the exact count, and the runner asks it for slot `k`'s time and message.
//!
//! Slots are the base events and the extra orders (flash sale, fraud burst) merged in time
//! order: an extra sits after the last base slot due at or before it. Base event `i` keeps its
//! sequence number `i`; extra `e` is sequence number `N + e`, so ids never collide.

use super::incidents::{Incident, IncidentKind};
use super::malformed::spoil;
use super::{ScenarioError, ScenarioSpec, MAX_EVENTS};
use crate::bus::Message;
use crate::generate::events::{Cents, Event, EventGenerator, EventTime, EventType, Steer};
use crate::generate::reference::CATEGORIES;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// Most extra orders incidents may add to one run (each is a row of the plan).
pub const MAX_EXTRA_EVENTS: u64 = 1_000_000;
/// Most base events in the windows of a run's flash sales together: each is looked at before
/// the run starts (about a tenth of a microsecond each).
pub const MAX_FLASH_WINDOW_EVENTS: u64 = 200_000;

/// What an incident was resolved to: the chosen ids and the exact effect. Shown in the start
/// response and the job's `detail.incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentReport {
    #[schema(example = "flash_sale")]
    pub kind: &'static str,
    pub start_second: u64,
    pub duration_seconds: u64,
    /// The window as event times (of events not made late): what to look for in the tables.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: EventTime,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: EventTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// Base events whose slot falls in the window.
    pub window_events: u64,
    /// Events the incident adds to the run: a flash sale's extra orders, a burst's orders.
    pub added_events: u64,
    /// A flash sale's base orders of the category in the window (each followed by
    /// `factor - 1` more); a storm's events sent invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_events: Option<u64>,
}

/// An incident resolved against the world: its window in nanoseconds and its effect.
#[derive(Debug, Clone)]
struct Active {
    from: u64,
    to: u64,
    effect: Effect,
}

#[derive(Debug, Clone)]
enum Effect {
    Flash,
    Dark { store: usize },
    Price { product: String },
    Fraud,
    Malformed { share: f64, first: u64, last: u64 },
    Late { millis: i64 },
}

/// An extra order: after base slot `after`, due at `offset`, made with `steer`.
#[derive(Debug, Clone)]
struct Extra {
    after: u64,
    offset: Duration,
    steer: Steer,
    /// Its position among all slots.
    pos: u64,
}

/// The run's slots, with their incidents.
#[derive(Debug, Clone)]
pub struct RunPlan {
    spec: ScenarioSpec,
    base_events: u64,
    base: EventTime,
    active: Vec<Active>,
    extras: Vec<Extra>,
    reports: Vec<IncidentReport>,
    /// Base events the flash sales looked at so far.
    flash_peeks: u64,
}

impl RunPlan {
    /// Plans `spec`'s run made by `generator` from `base` (the event time of slot 0). Fails
    /// only on ids the world does not have, or on a plan too large.
    pub fn new(
        spec: &ScenarioSpec,
        generator: &EventGenerator,
        base: EventTime,
    ) -> Result<Self, ScenarioError> {
        let mut plan = Self {
            spec: spec.clone(),
            base_events: spec.total_events(),
            base,
            active: Vec::new(),
            extras: Vec::new(),
            reports: Vec::new(),
            flash_peeks: 0,
        };
        // Stores go dark first: what the others pick (first orders, categories) follows.
        let mut order: Vec<usize> = (0..spec.incidents.len()).collect();
        order.sort_by_key(|&i| !matches!(spec.incidents[i].kind, IncidentKind::StoreDark { .. }));
        let mut reports = vec![None; spec.incidents.len()];
        for i in order {
            reports[i] = Some(plan.resolve(i, &spec.incidents[i], generator)?);
        }
        plan.reports = reports.into_iter().flatten().collect();
        plan.extras.sort_by_key(|x| (x.after, x.offset));
        for (e, x) in plan.extras.iter_mut().enumerate() {
            x.pos = x.after + 1 + e as u64;
        }
        if plan.total_events() > MAX_EVENTS {
            return Err(ScenarioError::invalid(
                "incidents",
                format!(
                    "the run would send {} events; at most {MAX_EVENTS}",
                    plan.total_events()
                ),
            ));
        }
        Ok(plan)
    }

    /// Events the run sends: the base events and the extras, exactly.
    pub fn total_events(&self) -> u64 {
        self.base_events + self.extras.len() as u64
    }

    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    pub fn reports(&self) -> &[IncidentReport] {
        &self.reports
    }

    /// When slot `k` is due, from the start. Non-decreasing in `k`.
    pub fn offset(&self, k: u64) -> Duration {
        match self.slot(k) {
            Slot::Base(i) => self.spec.offset(i),
            Slot::Extra(e) => self.extras[e].offset,
        }
    }

    /// The message of slot `k`.
    pub fn message(&self, generator: &EventGenerator, k: u64) -> Message {
        let (seq, offset, steer, ty) = match self.slot(k) {
            Slot::Base(i) => (i, self.spec.offset(i), Steer::default(), None),
            Slot::Extra(e) => {
                let x = &self.extras[e];
                (
                    self.base_events + e as u64,
                    x.offset,
                    x.steer,
                    Some(EventType::Order),
                )
            }
        };
        let at = nanos(offset);
        let steer = Steer {
            avoid_store: self.dark_store_at(at),
            ..steer
        };
        let stamp = self.stamp(offset);
        let mut event = match ty {
            Some(ty) => generator.event_of_steered(ty, seq, stamp, &steer),
            None => generator.event_steered(seq, stamp, &steer),
        };
        let mut spoiled = None;
        for a in self.active.iter().filter(|a| a.from <= at && at < a.to) {
            match &a.effect {
                Effect::Price { product } => cut_price(&mut event, product),
                Effect::Late { millis } => shift(&mut event, *millis),
                // Only base events are spoiled: the storm's count is of the window's base slots.
                Effect::Malformed { share, first, last }
                    if ty.is_none() && (*first..*last).contains(&seq) =>
                {
                    spoiled = spoiled.or_else(|| chosen(seq - first, *share));
                }
                _ => {}
            }
        }
        let message = Message::event(&event);
        match spoiled {
            Some(nth) => spoil(message, nth),
            None => message,
        }
    }

    /// The base event slot `k` sends, or `None` for an extra order.
    pub fn base_index(&self, k: u64) -> Option<u64> {
        match self.slot(k) {
            Slot::Base(i) => Some(i),
            Slot::Extra(_) => None,
        }
    }

    /// The event time a slot due at `offset` is stamped with (before any late shift).
    pub fn stamp(&self, offset: Duration) -> EventTime {
        self.base
            .plus_millis(i64::try_from(offset.as_millis()).unwrap_or(i64::MAX))
    }

    fn slot(&self, k: u64) -> Slot {
        let before = self.extras.partition_point(|x| x.pos < k);
        match self.extras.get(before) {
            Some(x) if x.pos == k => Slot::Extra(before),
            _ => Slot::Base(k - before as u64),
        }
    }

    fn dark_store_at(&self, at: u64) -> Option<usize> {
        self.active.iter().find_map(|a| match a.effect {
            Effect::Dark { store } if a.from <= at && at < a.to => Some(store),
            _ => None,
        })
    }

    /// Whether an incident whose effect `is` meets the window `[from, to)`.
    fn overlaps(&self, from: u64, to: u64, is: impl Fn(&Effect) -> bool) -> bool {
        self.active
            .iter()
            .any(|a| is(&a.effect) && a.from < to && from < a.to)
    }

    /// The base slots due in `[from, to)` nanoseconds.
    fn base_range(&self, from: u64, to: u64) -> (u64, u64) {
        (self.first_due_at(from), self.first_due_at(to))
    }

    /// The first base slot due at or after `at` nanoseconds: `offset(i) >= at` exactly when
    /// `i * 60e9 / rate >= at`, as `at` is whole.
    fn first_due_at(&self, at: u64) -> u64 {
        let rate = u128::from(self.spec.events_per_minute.max(1));
        let i = (u128::from(at) * rate).div_ceil(60_000_000_000);
        u64::try_from(i).unwrap_or(u64::MAX).min(self.base_events)
    }

    fn resolve(
        &mut self,
        i: usize,
        incident: &Incident,
        generator: &EventGenerator,
    ) -> Result<IncidentReport, ScenarioError> {
        let world = generator.world();
        let from = incident.start_second * 1_000_000_000;
        let to = from + incident.duration_seconds * 1_000_000_000;
        let (first, last) = self.base_range(from, to);
        let mut report = IncidentReport {
            kind: incident.kind.name(),
            start_second: incident.start_second,
            duration_seconds: incident.duration_seconds,
            starts_at: self.stamp(Duration::from_nanos(from)),
            ends_at: self.stamp(Duration::from_nanos(to)),
            category: None,
            factor: None,
            store_id: None,
            product_id: None,
            customer_id: None,
            count: None,
            share: None,
            minutes: None,
            window_events: last - first,
            added_events: 0,
            affected_events: None,
        };
        // The store and product of the window's first order (or inventory event, `any`).
        let first_anchor = |any: bool| {
            (first..last).find_map(|s| {
                let at = self.spec.offset(s);
                let steer = Steer {
                    avoid_store: self.dark_store_at(nanos(at)),
                    ..Steer::default()
                };
                generator
                    .anchor(s, self.stamp(at), &steer)
                    .filter(|(ty, _, _)| any || *ty == EventType::Order)
                    .map(|(_, s, p)| (s, p))
            })
        };
        let effect = match &incident.kind {
            IncidentKind::FlashSale { category, factor } => {
                self.flash_peeks += last - first;
                if self.flash_peeks > MAX_FLASH_WINDOW_EVENTS {
                    return Err(invalid(i, "duration_seconds", format!("the flash sales' windows may hold at most {MAX_FLASH_WINDOW_EVENTS} events together, these {}", self.flash_peeks)));
                }
                let category = match category {
                    Some(name) => CATEGORIES
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(name))
                        .ok_or_else(|| {
                            let names: Vec<_> = CATEGORIES.iter().map(|c| c.name).collect();
                            invalid(
                                i,
                                "category",
                                format!(
                                    "unknown category '{name}'; categories: {}",
                                    names.join(", ")
                                ),
                            )
                        })?,
                    None => self
                        .busiest_category(generator, first, last)
                        .unwrap_or_else(|| {
                            generator.draw("flash_sale", CATEGORIES.len() as u32) as usize
                        }),
                };
                let orders = self.flash_extras(generator, category as u8, *factor, first, last);
                let added = orders * u64::from(factor - 1);
                report.category = Some(CATEGORIES[category].name.to_string());
                report.factor = Some(*factor);
                report.affected_events = Some(orders);
                report.added_events = added;
                Effect::Flash
            }
            IncidentKind::StoreDark { store_id } => {
                if world.stores.len() < 2 {
                    return Err(invalid(
                        i,
                        "kind",
                        "the world has one store: none is left to take its events",
                    ));
                }
                let store = match store_id {
                    Some(id) => world
                        .stores
                        .iter()
                        .position(|s| s.id == *id)
                        .ok_or_else(|| {
                            invalid(
                                i,
                                "store_id",
                                format!(
                                    "unknown store '{id}'; stores are S0001 to S{:04}",
                                    world.stores.len()
                                ),
                            )
                        })?,
                    None => first_anchor(true).map_or_else(
                        || generator.draw("store_dark", world.stores.len() as u32) as usize,
                        |(s, _)| s,
                    ),
                };
                // One store is avoided at a time, so windows of two dark stores cannot meet.
                if self.overlaps(from, to, |e| matches!(e, Effect::Dark { .. })) {
                    return Err(invalid(
                        i,
                        "start_second",
                        "store_dark windows must not overlap",
                    ));
                }
                report.store_id = Some(world.stores[store].id.clone());
                Effect::Dark { store }
            }
            IncidentKind::PriceError { product_id } => {
                let product = match product_id {
                    Some(id) => {
                        world
                            .products
                            .iter()
                            .position(|p| p.id == *id)
                            .ok_or_else(|| {
                                invalid(
                                    i,
                                    "product_id",
                                    format!(
                                        "unknown product '{id}'; products are P00001 to P{:05}",
                                        world.products.len()
                                    ),
                                )
                            })?
                    }
                    None => first_anchor(false).map_or_else(
                        || generator.draw("price_error", world.products.len() as u32) as usize,
                        |(_, p)| p,
                    ),
                };
                let id = world.products[product].id.clone();
                report.product_id = Some(id.clone());
                Effect::Price { product: id }
            }
            IncidentKind::FraudBurst { customer_id, count } => {
                let customers = world.scale.customers.max(1);
                let customer = match customer_id {
                    Some(id) => parse_customer(id)
                        .filter(|n| (1..=customers).contains(n))
                        .ok_or_else(|| {
                            invalid(
                                i,
                                "customer_id",
                                format!(
                                    "unknown customer '{id}'; customers are C0000001 to {}",
                                    crate::generate::events::gen::customer_id(customers)
                                ),
                            )
                        })?,
                    None => 1 + generator.draw("fraud_burst", customers),
                };
                let span = to - from;
                for j in 0..u64::from(*count) {
                    let at = from + span * j / u64::from(*count);
                    self.extras.push(Extra {
                        after: self.first_due_at(at + 1).saturating_sub(1),
                        offset: Duration::from_nanos(at),
                        steer: Steer {
                            customer: Some(customer),
                            ..Steer::default()
                        },
                        pos: 0,
                    });
                }
                report.customer_id = Some(crate::generate::events::gen::customer_id(customer));
                report.count = Some(*count);
                report.added_events = u64::from(*count);
                Effect::Fraud
            }
            IncidentKind::MalformedStorm { share } => {
                // Each storm's count is exact only if no event is another storm's too.
                if self.overlaps(from, to, |e| matches!(e, Effect::Malformed { .. })) {
                    return Err(invalid(
                        i,
                        "start_second",
                        "malformed_storm windows must not overlap",
                    ));
                }
                let spoiled = ((last - first) as f64 * share).floor() as u64;
                report.share = Some(*share);
                report.affected_events = Some(spoiled);
                Effect::Malformed {
                    share: *share,
                    first,
                    last,
                }
            }
            IncidentKind::LateEvents { minutes } => {
                report.minutes = Some(*minutes);
                Effect::Late {
                    millis: i64::from(*minutes) * 60_000,
                }
            }
        };
        if self.extras.len() as u64 > MAX_EXTRA_EVENTS {
            return Err(invalid(
                i,
                "kind",
                format!("incidents may add at most {MAX_EXTRA_EVENTS} events to a run"),
            ));
        }
        self.active.push(Active { from, to, effect });
        Ok(report)
    }

    /// The category most base orders in slots `first..last` start with (the first on a tie),
    /// so that a flash sale left to choose is a visible one.
    fn busiest_category(&self, generator: &EventGenerator, first: u64, last: u64) -> Option<usize> {
        let products = &generator.world().products;
        let mut counts = vec![0u64; CATEGORIES.len()];
        for s in first..last {
            let at = self.spec.offset(s);
            let steer = Steer {
                avoid_store: self.dark_store_at(nanos(at)),
                ..Steer::default()
            };
            if let Some((EventType::Order, _, p)) = generator.anchor(s, self.stamp(at), &steer) {
                if let Some(n) = counts.get_mut(usize::from(products[p].category)) {
                    *n += 1;
                }
            }
        }
        let (best, n) = counts
            .iter()
            .enumerate()
            .max_by_key(|(c, n)| (**n, std::cmp::Reverse(*c)))?;
        (*n > 0).then_some(best)
    }

    /// Adds `factor - 1` orders of `category` after each base order of it in slots
    /// `first..last`, evenly between its slot and the next; returns how many base orders.
    fn flash_extras(
        &mut self,
        generator: &EventGenerator,
        category: u8,
        factor: u32,
        first: u64,
        last: u64,
    ) -> u64 {
        let world = generator.world();
        let mut orders = 0;
        for s in first..last {
            let at = self.spec.offset(s);
            let steer = Steer {
                avoid_store: self.dark_store_at(nanos(at)),
                ..Steer::default()
            };
            let Some((EventType::Order, _, p)) = generator.anchor(s, self.stamp(at), &steer) else {
                continue;
            };
            if world.products[p].category != category {
                continue;
            }
            orders += 1;
            let gap = self.spec.offset(s + 1) - at;
            for k in 1..factor {
                self.extras.push(Extra {
                    after: s,
                    offset: at + gap * k / factor,
                    steer: Steer {
                        category: Some(category),
                        ..Steer::default()
                    },
                    pos: 0,
                });
            }
        }
        orders
    }
}

enum Slot {
    Base(u64),
    Extra(usize),
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn invalid(i: usize, name: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::InvalidField {
        field: super::incidents::field(i, name),
        message: message.into(),
    }
}

/// `C0000042` as 42.
fn parse_customer(id: &str) -> Option<u32> {
    let digits = id.strip_prefix('C')?;
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Whether event `j` of a storm's window is spoiled, and if so which spoiled one it is:
/// `floor((j + 1) x share)` steps past `floor(j x share)` for exactly `floor(n x share)` of
/// the first `n`, spread evenly.
fn chosen(j: u64, share: f64) -> Option<u64> {
    let before = (j as f64 * share).floor() as u64;
    let after = ((j + 1) as f64 * share).floor() as u64;
    (after > before).then_some(before)
}

/// A price error: the product's unit price x0.01, rounded to the cent, in every line.
fn cut_price(event: &mut Event, product: &str) {
    let Event::Order(order) = event else { return };
    let mut changed = false;
    for item in order.items.iter_mut().filter(|i| i.product_id == product) {
        item.unit_price = Cents((item.unit_price.0 + 50) / 100);
        changed = true;
    }
    if changed {
        if let Some(total) = order.items_total() {
            order.total_amount = total;
        }
    }
}

/// Late events: the event time `millis` earlier.
fn shift(event: &mut Event, millis: i64) {
    let at = match event {
        Event::Order(e) => &mut e.event_time,
        Event::Inventory(e) => &mut e.event_time,
        Event::UserActivity(e) => &mut e.event_time,
    };
    *at = at.plus_millis(-millis);
}
