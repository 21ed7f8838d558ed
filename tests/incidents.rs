//! Demo incidents: validation names the field at fault; a plan sends exactly what each incident
//! specifies inside its window and exactly the base schedule outside; the same request plans
//! the same run.

use proptest::prelude::*;
use retail_pipeline::bus::Message;
use retail_pipeline::generate::events::{
    parse_event, Event, EventGenerator, EventPools, EventTime, EventType,
};
use retail_pipeline::generate::World;
use retail_pipeline::jobs::scenario::{CustomScenario, RunPlan, ScenarioSpec, MALFORMED_REASONS};
use retail_pipeline::model::{Scale, ScaleName};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn pools() -> Arc<EventPools> {
    static POOLS: OnceLock<Arc<EventPools>> = OnceLock::new();
    POOLS
        .get_or_init(|| {
            let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
            Arc::new(EventPools::new(world))
        })
        .clone()
}

fn base_time() -> EventTime {
    EventTime::parse("2026-11-22T15:00:00Z").unwrap()
}

/// A custom spec from its JSON body.
fn spec(body: serde_json::Value) -> Result<ScenarioSpec, String> {
    let custom: CustomScenario = serde_json::from_value(body).map_err(|e| e.to_string())?;
    custom
        .validate()
        .map_err(|e| e.field().unwrap_or("").to_string())
}

fn plan(spec: &ScenarioSpec, key: &str) -> (RunPlan, EventGenerator) {
    let generator = EventGenerator::new(pools(), key, &spec.event_types);
    let plan = RunPlan::new(spec, &generator, base_time()).unwrap();
    (plan, generator)
}

/// The field a request with `incidents` is refused for, at validation or planning.
fn refused(incidents: serde_json::Value) -> String {
    let body = json!({"events_per_minute": 600, "duration_seconds": 120, "incidents": incidents});
    match spec(body) {
        Err(field) => field,
        Ok(spec) => {
            let generator = EventGenerator::new(pools(), "v", &spec.event_types);
            match RunPlan::new(&spec, &generator, base_time()) {
                Err(e) => e.field().unwrap_or("").to_string(),
                Ok(_) => "accepted".to_string(),
            }
        }
    }
}

#[test]
fn invalid_incidents_name_their_field() {
    let cases = [
        (json!([{"kind": "meteor"}]), "incidents[0].kind"),
        (
            json!([{"kind": "late_events", "minutes": 5}, {"kind": "store_dark", "start_second": 120}]),
            "incidents[1].start_second",
        ),
        (
            json!([{"kind": "store_dark", "start_second": 100, "duration_seconds": 30}]),
            "incidents[0].duration_seconds",
        ),
        (
            json!([{"kind": "malformed_storm", "share": 1.5}]),
            "incidents[0].share",
        ),
        (
            json!([{"kind": "malformed_storm", "share": 0.0}]),
            "incidents[0].share",
        ),
        (json!([{"kind": "malformed_storm"}]), "incidents[0].share"),
        (
            json!([{"kind": "flash_sale", "share": 0.5}]),
            "incidents[0].share",
        ),
        (
            json!([{"kind": "flash_sale", "factor": 1}]),
            "incidents[0].factor",
        ),
        (
            json!([{"kind": "fraud_burst", "count": 5, "duration_seconds": 90}]),
            "incidents[0].duration_seconds",
        ),
        (json!([{"kind": "fraud_burst"}]), "incidents[0].count"),
        (
            json!([{"kind": "late_events", "minutes": 0}]),
            "incidents[0].minutes",
        ),
        (
            json!([{"kind": "flash_sale", "category": "Spaceships"}]),
            "incidents[0].category",
        ),
        (
            json!([{"kind": "store_dark", "store_id": "S9999"}]),
            "incidents[0].store_id",
        ),
        (
            json!([{"kind": "price_error", "product_id": "P99999"}]),
            "incidents[0].product_id",
        ),
        (
            json!([{"kind": "fraud_burst", "count": 3, "customer_id": "C9999999"}]),
            "incidents[0].customer_id",
        ),
        (
            json!([{"kind": "fraud_burst", "count": 3, "customer_id": "42"}]),
            "incidents[0].customer_id",
        ),
        (
            json!([{"kind": "store_dark", "duration_seconds": 60}, {"kind": "store_dark", "start_second": 30}]),
            "incidents[1].start_second",
        ),
    ];
    for (incidents, field) in cases {
        assert_eq!(refused(incidents.clone()), field, "{incidents}");
    }
    // A parameter serde does not know is refused by the body itself.
    assert!(spec(json!({"events_per_minute": 60, "duration_minutes": 1,
        "incidents": [{"kind": "late_events", "minutes": 1, "hours": 2}]}))
    .is_err());
    // Orders-only incidents need orders in the run.
    let field = spec(json!({"events_per_minute": 60, "duration_minutes": 1,
        "event_types": ["inventory"], "incidents": [{"kind": "price_error"}]}))
    .unwrap_err();
    assert_eq!(field, "incidents[0].kind");
    assert_eq!(
        refused(json!([{"kind": "flash_sale", "category": "grocery", "factor": 3}])),
        "accepted"
    );
    let many: Vec<_> = (0..33)
        .map(|_| json!({"kind": "late_events", "minutes": 1}))
        .collect();
    assert_eq!(refused(json!(many)), "incidents");
    // A flash sale looks at its window's events before the run: an hour at the top rate is
    // refused rather than looked at.
    let big = spec(json!({"events_per_minute": 60_000, "duration_minutes": 60,
        "incidents": [{"kind": "flash_sale"}]}))
    .unwrap();
    let generator = EventGenerator::new(pools(), "v", &big.event_types);
    let err = RunPlan::new(&big, &generator, base_time()).unwrap_err();
    assert_eq!(err.field(), Some("incidents[0].duration_seconds"));
}

/// Every message of the plan, with its slot's base index and due time.
fn messages(plan: &RunPlan, generator: &EventGenerator) -> Vec<(Option<u64>, Duration, Message)> {
    (0..plan.total_events())
        .map(|k| {
            (
                plan.base_index(k),
                plan.offset(k),
                plan.message(generator, k),
            )
        })
        .collect()
}

fn in_window(at: Duration, start: u64, seconds: u64) -> bool {
    at >= Duration::from_secs(start) && at < Duration::from_secs(start + seconds)
}

fn first_category(order: &Event) -> Option<u8> {
    let Event::Order(o) = order else { return None };
    let id = &o.items.first()?.product_id;
    let world = &pools().world;
    world
        .products
        .iter()
        .find(|p| &p.id == id)
        .map(|p| p.category)
}

#[test]
fn each_incident_sends_exactly_what_it_specifies() {
    let spec = spec(json!({
        "events_per_minute": 600, "duration_seconds": 300,
        "incidents": [
            {"kind": "flash_sale", "start_second": 0, "duration_seconds": 60, "category": "Grocery"},
            {"kind": "store_dark", "start_second": 60, "duration_seconds": 60},
            {"kind": "price_error", "start_second": 120, "duration_seconds": 60},
            {"kind": "fraud_burst", "start_second": 180, "count": 40},
            {"kind": "malformed_storm", "start_second": 200, "duration_seconds": 40, "share": 0.25},
            {"kind": "late_events", "start_second": 240, "duration_seconds": 60, "minutes": 15}
        ]
    }))
    .unwrap();
    let (plan, generator) = plan(&spec, "exact");
    let r = plan.reports();
    let flash_orders = r[0].affected_events.unwrap();
    assert!(flash_orders > 0, "{r:?}");
    assert_eq!(r[0].added_events, 9 * flash_orders);
    assert_eq!(r[3].added_events, 40);
    assert_eq!(plan.total_events(), 3_000 + 9 * flash_orders + 40);
    assert_eq!(r[4].window_events, 400);
    assert_eq!(r[4].affected_events, Some(100));
    let sent = messages(&plan, &generator);
    assert_eq!(sent.len() as u64, plan.total_events());
    assert!(
        sent.windows(2).all(|w| w[0].1 <= w[1].1),
        "times never go back"
    );

    let grocery = 0u8;
    let dark = r[1].store_id.clone().unwrap();
    let product = r[2].product_id.clone().unwrap();
    let customer = r[3].customer_id.clone().unwrap();
    let (mut grocery_orders, mut dark_events, mut cut_lines, mut burst) = (0, 0, 0, 0);
    let mut reasons = std::collections::BTreeMap::new();
    for (base, at, message) in &sent {
        let parsed = parse_event(&message.data);
        if in_window(*at, 200, 40) {
            if let Err(e) = &parsed {
                *reasons.entry(e.kind.code()).or_insert(0) += 1;
                continue;
            }
        }
        let event = parsed.unwrap();
        let plain = base.map(|i| generator.event(i, plan.stamp(spec.offset(i))));
        if in_window(*at, 0, 60) && first_category(&event) == Some(grocery) {
            grocery_orders += 1;
        }
        if in_window(*at, 60, 60) {
            let store = match &event {
                Event::Order(o) => Some(&o.store_id),
                Event::Inventory(e) => Some(&e.store_id),
                Event::UserActivity(_) => None,
            };
            dark_events += usize::from(store == Some(&dark));
        }
        if let (true, Event::Order(o), Some(Event::Order(p))) =
            (in_window(*at, 120, 60), &event, &plain)
        {
            for (line, was) in o.items.iter().zip(&p.items) {
                if line.product_id == product {
                    assert_eq!(line.unit_price.0, (was.unit_price.0 + 50) / 100);
                    cut_lines += 1;
                } else {
                    assert_eq!(line, was);
                }
            }
            assert_eq!(Some(o.total_amount), o.items_total());
        }
        if let Event::Order(o) = &event {
            if base.is_none() && o.customer_id == customer {
                assert!(in_window(*at, 180, 60));
                burst += 1;
            }
        }
        let due = plan.stamp(*at);
        if in_window(*at, 240, 60) {
            assert_eq!(event.event_time(), due.plus_millis(-15 * 60_000));
        } else {
            assert_eq!(event.event_time(), due);
        }
        // Outside every window but the storm's, a base slot sends the base event, byte for byte.
        let quiet = !in_window(*at, 0, 60) && !in_window(*at, 60, 60) && !in_window(*at, 120, 60);
        if let (true, Some(plain)) = (quiet && !in_window(*at, 240, 60), plain) {
            assert_eq!(message.data, Message::event(&plain).data, "slot at {at:?}");
        }
    }
    assert_eq!(
        grocery_orders,
        10 * flash_orders,
        "the category's orders x10"
    );
    assert_eq!(dark_events, 0, "the dark store sends nothing");
    assert!(cut_lines > 0, "the product sells in the window");
    assert_eq!(burst, 40);
    let want: std::collections::BTreeMap<_, _> =
        MALFORMED_REASONS.iter().map(|r| (*r, 25)).collect();
    assert_eq!(reasons, want, "a quarter of 400, in four reasons");
}

#[test]
fn the_same_request_plans_the_same_run() {
    let body = json!({"events_per_minute": 300, "duration_seconds": 120, "incidents": [
        {"kind": "flash_sale", "start_second": 10, "duration_seconds": 30},
        {"kind": "store_dark", "start_second": 30, "duration_seconds": 30},
        {"kind": "fraud_burst", "start_second": 60, "count": 20}
    ]});
    let spec = spec(body).unwrap();
    let (a, ga) = plan(&spec, "same");
    let (b, gb) = plan(&spec, "same");
    assert_eq!(a.reports(), b.reports());
    let data = |p: &RunPlan, g| {
        messages(p, g)
            .into_iter()
            .map(|m| m.2.data)
            .collect::<Vec<_>>()
    };
    assert_eq!(data(&a, &ga), data(&b, &gb));
    let (c, gc) = plan(&spec, "other");
    assert_ne!(data(&a, &ga), data(&c, &gc));
}

fn incident() -> impl Strategy<Value = serde_json::Value> {
    (0u64..110, 1u64..60, 0usize..6, 1u32..5, 0.05f64..1.0).prop_map(
        |(start, secs, kind, n, share)| {
            let secs = secs.min(120 - start);
            match kind {
                0 => json!({"kind": "flash_sale", "start_second": start, "duration_seconds": secs, "factor": n + 1}),
                1 => json!({"kind": "store_dark", "start_second": start, "duration_seconds": secs}),
                2 => json!({"kind": "price_error", "start_second": start, "duration_seconds": secs}),
                3 => json!({"kind": "fraud_burst", "start_second": start, "duration_seconds": secs, "count": n * 7}),
                4 => json!({"kind": "malformed_storm", "start_second": start, "duration_seconds": secs, "share": share}),
                _ => json!({"kind": "late_events", "start_second": start, "duration_seconds": secs, "minutes": n}),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Outside every window the base schedule is sent unchanged, on time; the count is the
    /// base plus what the incidents add; inside, spoiled and added events are as reported.
    #[test]
    fn outside_windows_the_base_schedule_holds(incidents in prop::collection::vec(incident(), 1..4)) {
        let body = json!({"events_per_minute": 300, "duration_seconds": 120, "incidents": incidents});
        let spec = spec(body).unwrap();
        let generator = EventGenerator::new(pools(), "prop", &spec.event_types);
        // Overlapping dark stores or storms are refused; nothing else is.
        let plan = match RunPlan::new(&spec, &generator, base_time()) {
            Ok(plan) => plan,
            Err(e) => {
                prop_assert!(e.field().unwrap().ends_with("start_second"), "{e}");
                return Ok(());
            }
        };
        let added: u64 = plan.reports().iter().map(|r| r.added_events).sum();
        prop_assert_eq!(plan.total_events(), 600 + added);
        let windows: Vec<(u64, u64)> = spec.incidents.iter()
            .map(|i| (i.start_second, i.duration_seconds)).collect();
        let mut base_seen = 0;
        let mut spoiled = 0;
        for (base, at, message) in messages(&plan, &generator) {
            let inside = windows.iter().any(|(s, d)| in_window(at, *s, *d));
            match base {
                Some(i) => {
                    prop_assert_eq!(i, base_seen);
                    prop_assert_eq!(at, spec.offset(i));
                    base_seen += 1;
                    spoiled += u64::from(parse_event(&message.data).is_err());
                    if !inside {
                        let plain = generator.event(i, plan.stamp(at));
                        prop_assert_eq!(&message.data, &Message::event(&plain).data);
                    }
                }
                None => {
                    let event = parse_event(&message.data).unwrap();
                    prop_assert_eq!(event.event_type(), EventType::Order);
                }
            }
        }
        prop_assert_eq!(base_seen, 600);
        let storms: u64 = plan.reports().iter()
            .filter(|r| r.kind == "malformed_storm")
            .map(|r| r.affected_events.unwrap()).sum();
        prop_assert_eq!(spoiled, storms);
    }
}
