//! Generated events obey the event contract: they parse back to themselves, totals are exact
//! sums, signs follow reasons, every id exists in the world, and a run replays byte for byte.

use proptest::prelude::*;
use retail_pipeline::generate::events::{
    parse_event, Event, EventGenerator, EventPools, EventTime, EventType, SCHEMA_VERSION,
};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

static POOLS: LazyLock<Arc<EventPools>> = LazyLock::new(|| {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    Arc::new(EventPools::new(world))
});

/// Every id an event mentions is a real product, store or customer of the world.
fn assert_ids_exist(event: &Event, world: &World) {
    let products: HashSet<&str> = world.products.iter().map(|p| p.id.as_str()).collect();
    let stores: HashSet<&str> = world.stores.iter().map(|s| s.id.as_str()).collect();
    let customer_ok = |c: &str| {
        c.strip_prefix('C')
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=world.scale.customers).contains(&n))
    };
    match event {
        Event::Order(o) => {
            assert!(stores.contains(o.store_id.as_str()), "{}", o.store_id);
            assert!(customer_ok(&o.customer_id), "{}", o.customer_id);
            let store = world
                .stores
                .iter()
                .position(|s| s.id == o.store_id)
                .unwrap();
            let carried: HashSet<&str> = world.assortments[store]
                .products
                .iter()
                .map(|&p| world.products[p as usize].id.as_str())
                .collect();
            for item in &o.items {
                assert!(
                    carried.contains(item.product_id.as_str()),
                    "not carried: {item:?}"
                );
                let p = world
                    .products
                    .iter()
                    .find(|p| p.id == item.product_id)
                    .unwrap();
                assert_eq!(item.product_name, p.name);
            }
            assert_eq!(o.shipping_address.city, world.stores[store].city);
        }
        Event::Inventory(i) => {
            assert!(stores.contains(i.store_id.as_str()), "{}", i.store_id);
            assert!(products.contains(i.product_id.as_str()), "{}", i.product_id);
        }
        Event::UserActivity(u) => {
            if let Some(c) = &u.customer_id {
                assert!(customer_ok(c), "{c}");
            }
            if let Some(p) = &u.product_id {
                assert!(products.contains(p.as_str()), "{p}");
            }
        }
    }
}

fn types_from(mask: u8) -> Vec<EventType> {
    EventType::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, t)| t)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_events_are_valid_and_round_trip(
        run in "[a-z0-9-]{1,20}",
        seq in 0u64..10_000_000,
        // 2000-01-01 to 2099-12-31
        at in 946_684_800_000i64..4_102_444_799_000,
        mask in 1u8..8,
    ) {
        let types = types_from(mask);
        let generator = EventGenerator::new(POOLS.clone(), &run, &types);
        let event = generator.event(seq, EventTime::from_millis(at));
        prop_assert!(types.contains(&event.event_type()));
        let bytes = event.to_json_bytes();
        let parsed = parse_event(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed, &event);
        prop_assert_eq!(event.event_time().millis(), at);
        assert_ids_exist(&event, &POOLS.world);
        match &event {
            Event::Order(o) => {
                let sum: i64 = o.items.iter().map(|i| i.unit_price.0 * i64::from(i.quantity)).sum();
                prop_assert_eq!(o.total_amount.0, sum);
                prop_assert!(!o.items.is_empty());
            }
            Event::Inventory(i) => prop_assert!(i.reason.allows(i.quantity_change)),
            Event::UserActivity(u) => {
                prop_assert_eq!(u.product_id.is_some(), u.activity_type.needs_product());
            }
        }
        // Same inputs, same bytes: a fresh generator replays the event exactly.
        let again = EventGenerator::new(POOLS.clone(), &run, &types).event(seq, EventTime::from_millis(at));
        prop_assert_eq!(again.to_json_bytes(), bytes);
    }
}

#[test]
fn json_has_the_contract_fields_and_money_with_two_decimals() {
    let generator = EventGenerator::new(POOLS.clone(), "contract", &[]);
    let at = EventTime::parse("2026-11-22T05:12:34.500Z").unwrap();
    for ty in EventType::ALL {
        let event = generator.event_of(ty, 3, at);
        let text = String::from_utf8(event.to_json_bytes()).unwrap();
        assert!(
            text.starts_with(&format!(
                "{{\"event_id\":\"evt-{}-00000003\",\"event_type\":\"{ty}\",\"event_time\":\"2026-11-22T05:12:34.500Z\",\"schema_version\":{SCHEMA_VERSION},",
                generator.run_tag()
            )),
            "{text}"
        );
        if let Event::Order(o) = &event {
            let total = format!(
                "\"total_amount\":{}.{:02}",
                o.total_amount.0 / 100,
                o.total_amount.0 % 100
            );
            assert!(text.contains(&total), "{text}");
        }
    }
}

#[test]
fn a_mixed_run_has_every_type_in_roughly_its_share() {
    let generator = EventGenerator::new(POOLS.clone(), "mix", &[]);
    let at = EventTime::from_millis(1_790_000_000_000);
    let mut counts = [0u32; 3];
    let mut sessions = HashSet::new();
    let mut activity_events = 0;
    for seq in 0..4_000 {
        let e = generator.event(seq, at);
        counts[EventType::ALL
            .iter()
            .position(|t| *t == e.event_type())
            .unwrap()] += 1;
        if let Event::UserActivity(u) = e {
            sessions.insert(u.session_id);
            activity_events += 1;
        }
    }
    // Weights 0.25 / 0.25 / 0.5.
    assert!((850..1150).contains(&counts[0]), "{counts:?}");
    assert!((850..1150).contains(&counts[1]), "{counts:?}");
    assert!((1800..2200).contains(&counts[2]), "{counts:?}");
    // Sessions hold several events each, and there are many of them.
    assert!(
        sessions.len() > 200 && sessions.len() < activity_events / 2,
        "{}",
        sessions.len()
    );
}

#[test]
fn samples_are_valid_events_of_their_type() {
    let at = EventTime::from_millis(1_790_000_000_000);
    for ty in EventType::ALL {
        let sample = retail_pipeline::generate::events::sample_event(&POOLS, ty, at);
        assert_eq!(sample.event_type(), ty);
        assert_eq!(parse_event(&sample.to_json_bytes()).unwrap(), sample);
    }
}

#[test]
fn different_runs_have_different_ids() {
    let at = EventTime::from_millis(1_790_000_000_000);
    let a = EventGenerator::new(POOLS.clone(), "job-1", &[]).event(0, at);
    let b = EventGenerator::new(POOLS.clone(), "job-2", &[]).event(0, at);
    assert_ne!(a.event_id(), b.event_id());
}

#[test]
#[ignore = "prints samples for a human to read"]
fn print_samples() {
    let generator = EventGenerator::new(POOLS.clone(), "sample", &[]);
    for ty in EventType::ALL {
        let e = generator.event_of(ty, 1, EventTime::from_millis(1_790_000_000_000));
        println!("{}", String::from_utf8_lossy(&e.to_json_bytes()));
    }
}
