//! The event generator: each event is a pure function of (world seed, run key, sequence
//! number, event time), so a run replays byte for byte and any event can be produced alone.

use super::pools::EventPools;
use super::{
    ActivityType, Cents, Event, EventTime, EventType, InventoryEvent, InventoryReason, OrderEvent,
    OrderItem, SessionMetadata, ShippingAddress, UserActivityEvent, SCHEMA_VERSION,
};
use crate::generate::alias::AliasTable;
use crate::generate::reference::{daypart, CATEGORIES};
use crate::generate::rng::{Key, Rng};
use crate::generate::world::EXTRA_LINES;
use chrono::{NaiveDate, Timelike};
use std::sync::Arc;

/// Share of each type when a run mixes them: shoppers browse far more than they buy.
const TYPE_WEIGHTS: [(EventType, f64); 3] = [
    (EventType::Order, 0.25),
    (EventType::Inventory, 0.25),
    (EventType::UserActivity, 0.5),
];
const MAX_ORDER_LINES: usize = 8;
const ORDER_STATUSES: [(&str, f64); 5] = [
    ("placed", 0.55),
    ("confirmed", 0.25),
    ("shipped", 0.12),
    ("delivered", 0.05),
    ("cancelled", 0.03),
];
const REASONS: [(InventoryReason, f64); 6] = [
    (InventoryReason::Sale, 0.40),
    (InventoryReason::Restock, 0.15),
    (InventoryReason::Return, 0.10),
    (InventoryReason::Damage, 0.07),
    (InventoryReason::Shrink, 0.08),
    (InventoryReason::Adjustment, 0.20),
];
const ACTIVITIES: [(ActivityType, f64); 8] = [
    (ActivityType::PageView, 0.30),
    (ActivityType::Search, 0.12),
    (ActivityType::ProductView, 0.25),
    (ActivityType::AddToCart, 0.12),
    (ActivityType::RemoveFromCart, 0.04),
    (ActivityType::Checkout, 0.05),
    (ActivityType::Login, 0.06),
    (ActivityType::Logout, 0.06),
];
/// A session spans about this many consecutive sequence numbers of a run.
const SESSION_SPAN: u64 = 8;
/// Share of sessions with a signed-in loyalty customer.
const SIGNED_IN: f64 = 0.6;

/// Draws a steer makes before it settles (then it takes a fixed choice): enough that the
/// fixed choice is a one-in-a-million case for any store or category of a real world.
const STEER_TRIES: usize = 256;

/// What an incident asks of one event (`jobs::scenario` incidents). The default asks nothing
/// and gives the plain event, byte for byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Steer {
    /// A store (world index) the event must not come from: a store gone dark. Redrawn.
    pub avoid_store: Option<usize>,
    /// Orders: a first line from this category (`Product::category`): a flash sale's.
    pub category: Option<u8>,
    /// Orders: this customer number (`customer_id(n)`): a fraud burst's.
    pub customer: Option<u32>,
}

/// Generates the events of one run. Cheap to build; share it (it is `Send + Sync`).
#[derive(Debug, Clone)]
pub struct EventGenerator {
    pools: Arc<EventPools>,
    key: Key,
    tag: String,
    types: Vec<EventType>,
    mix: AliasTable,
    statuses: AliasTable,
    reasons: AliasTable,
    activities: AliasTable,
    category_pages: Vec<String>,
}

impl EventGenerator {
    /// A generator for the run named `run_key` (a scenario run's comes from its seed)
    /// producing `types` (all three when empty). Different run keys give independent streams
    /// and distinct ids; reusing a run key replays the run, ids included.
    pub fn new(pools: Arc<EventPools>, run_key: &str, types: &[EventType]) -> Self {
        let key = pools.world.key.named("events").named(run_key);
        let mut types: Vec<EventType> = if types.is_empty() {
            EventType::ALL.to_vec()
        } else {
            types.to_vec()
        };
        types.sort();
        types.dedup();
        let weights: Vec<f64> = types
            .iter()
            .map(|t| TYPE_WEIGHTS.iter().find(|w| w.0 == *t).map_or(1.0, |w| w.1))
            .collect();
        let category_pages = CATEGORIES
            .iter()
            .map(|c| {
                format!(
                    "/category/{}",
                    c.name.to_lowercase().replace(" & ", "-").replace(' ', "-")
                )
            })
            .collect();
        Self {
            tag: format!("{:012x}", key.value() >> 16),
            key,
            mix: AliasTable::new(&weights),
            types,
            statuses: weights_of(&ORDER_STATUSES),
            reasons: weights_of(&REASONS),
            activities: weights_of(&ACTIVITIES),
            category_pages,
            pools,
        }
    }

    /// The 12 hex digits that make this run's ids unique.
    pub fn run_tag(&self) -> &str {
        &self.tag
    }

    pub fn types(&self) -> &[EventType] {
        &self.types
    }

    /// Event number `seq` of the run, stamped `at`. Its type is drawn from the run's mix.
    pub fn event(&self, seq: u64, at: EventTime) -> Event {
        self.event_steered(seq, at, &Steer::default())
    }

    /// `event`, bent as `steer` asks (an incident's); the default steer gives `event`'s bytes.
    pub fn event_steered(&self, seq: u64, at: EventTime, steer: &Steer) -> Event {
        self.event_of_steered(self.type_of(seq), seq, at, steer)
    }

    /// The type event `seq` draws from the run's mix.
    pub fn type_of(&self, seq: u64) -> EventType {
        if self.types.len() == 1 {
            self.types[0]
        } else {
            let mut rng = self.key.at(seq).named("type").rng();
            self.types[self.mix.sample(&mut rng)]
        }
    }

    /// Event number `seq` forced to type `ty` (what `event` gives when it draws `ty`).
    pub fn event_of(&self, ty: EventType, seq: u64, at: EventTime) -> Event {
        self.event_of_steered(ty, seq, at, &Steer::default())
    }

    /// `event_of`, bent as `steer` asks.
    pub fn event_of_steered(&self, ty: EventType, seq: u64, at: EventTime, steer: &Steer) -> Event {
        let mut rng = self.key.at(seq).named("body").rng();
        match ty {
            EventType::Order => Event::Order(self.order(&mut rng, seq, at, steer)),
            EventType::Inventory => Event::Inventory(self.inventory(&mut rng, seq, at, steer)),
            EventType::UserActivity => Event::UserActivity(self.activity(&mut rng, seq, at)),
        }
    }

    /// The type, store and (first) product, as world indices, of event `seq` if it is an order
    /// or an inventory event, without making the rest of it: what incidents look at before
    /// the run starts (a flash sale counts its category's orders).
    pub fn anchor(
        &self,
        seq: u64,
        at: EventTime,
        steer: &Steer,
    ) -> Option<(EventType, usize, usize)> {
        let ty = self.type_of(seq);
        if ty == EventType::UserActivity {
            return None;
        }
        // Both types draw their store and product first from the body's stream.
        let mut rng = self.key.at(seq).named("body").rng();
        let (s, p, _) = self.store_and_product(&mut rng, &When::of(at), steer);
        Some((ty, s, p))
    }

    /// A number below `n` drawn from the run's key and `purpose`: choices a run makes once.
    pub fn draw(&self, purpose: &str, n: u32) -> u32 {
        self.key.named(purpose).rng().below(n.max(1))
    }

    pub fn world(&self) -> &crate::generate::World {
        &self.pools.world
    }

    fn event_id(&self, seq: u64) -> String {
        tagged_id("evt-", &self.tag, seq, 8)
    }

    /// A store weighted by traffic and a product it carries, weighted for the hour; as the
    /// steer asks, not the store it avoids and a first product of its category.
    fn store_and_product(
        &self,
        rng: &mut Rng,
        at: &When,
        steer: &Steer,
    ) -> (usize, usize, Option<usize>) {
        let mut s = self.pools.stores.sample(rng);
        if let Some(dark) = steer.avoid_store {
            // Redrawn from the same stream, so the other stores keep their relative traffic.
            for _ in 0..STEER_TRIES {
                if s != dark {
                    break;
                }
                s = self.pools.stores.sample(rng);
            }
            if s == dark {
                s = (dark + 1) % self.pools.world.stores.len().max(1);
            }
        }
        let (mut p, mut j) = self.product_in(rng, s, at);
        if let Some(category) = steer.category {
            let products = &self.pools.world.products;
            for _ in 0..STEER_TRIES {
                if products[p].category == category {
                    break;
                }
                (p, j) = self.product_in(rng, s, at);
            }
            if products[p].category != category {
                // The store hardly carries the category: its first product in the catalog.
                if let Some(any) = products.iter().position(|x| x.category == category) {
                    (p, j) = (any, None);
                }
            }
        }
        (s, p, j)
    }

    /// A product of store `s` and its position in the store's assortment; any product of the
    /// catalog if the store carries none (only possible in a degenerate world).
    fn product_in(&self, rng: &mut Rng, s: usize, at: &When) -> (usize, Option<usize>) {
        let a = &self.pools.world.assortments[s];
        if a.products.is_empty() {
            return (self.pools.products.sample(rng), None);
        }
        let j = a.by_daypart[daypart(at.hour)].sample(rng);
        (a.products[j] as usize, Some(j))
    }

    fn order(&self, rng: &mut Rng, seq: u64, at: EventTime, steer: &Steer) -> OrderEvent {
        let world = &self.pools.world;
        let when = When::of(at);
        let (s, first, _) = self.store_and_product(rng, &when, steer);
        let store = &world.stores[s];
        let wanted = (1 + rng.poisson(EXTRA_LINES) as usize).min(MAX_ORDER_LINES);
        let mut items: Vec<OrderItem> = Vec::with_capacity(wanted);
        let mut chosen: Vec<usize> = Vec::with_capacity(wanted);
        for line in 0..wanted {
            let p = if line == 0 {
                first
            } else {
                self.product_in(rng, s, &when).0
            };
            if chosen.contains(&p) {
                continue;
            }
            chosen.push(p);
            let product = &world.products[p];
            let mut quantity = 1u32;
            while quantity < u32::from(product.qty_cap) && rng.chance(product.qty_continue) {
                quantity += 1;
            }
            let unit_price = match when.date {
                Some(date) => world.price_on(p, date),
                None => product.list_price,
            };
            items.push(OrderItem {
                product_id: product.id.clone(),
                product_name: product.name.clone(),
                quantity,
                unit_price: Cents(unit_price),
            });
        }
        let total = items
            .iter()
            .map(|i| i.unit_price.0 * i64::from(i.quantity))
            .sum();
        let pools = &self.pools;
        OrderEvent {
            event_id: self.event_id(seq),
            event_type: EventType::Order,
            event_time: at,
            schema_version: SCHEMA_VERSION,
            order_id: tagged_id("ord-", &self.tag, seq, 8),
            customer_id: {
                let drawn = 1 + rng.below(world.scale.customers.max(1));
                customer_id(steer.customer.unwrap_or(drawn))
            },
            store_id: store.id.clone(),
            status: ORDER_STATUSES[self.statuses.sample(rng)].0.to_string(),
            items,
            shipping_address: ShippingAddress {
                street: pick(rng, &pools.streets).clone(),
                // Customers live near the store that fulfils their order.
                city: store.city.to_string(),
                state: Some(store.state.to_string()),
                postal_code: Some(pick(rng, &pools.postal_codes).clone()),
                country: "US".to_string(),
            },
            payment_method: Some(pools.payment_names[pools.payments.sample(rng)].to_string()),
            currency: Some("USD".to_string()),
            total_amount: Cents(total),
        }
    }

    fn inventory(&self, rng: &mut Rng, seq: u64, at: EventTime, steer: &Steer) -> InventoryEvent {
        let world = &self.pools.world;
        let (s, p, j) = self.store_and_product(rng, &When::of(at), steer);
        let product = &world.products[p];
        let par = j.map_or(24, |j| i64::from(world.assortments[s].par[j]));
        let reason = REASONS[self.reasons.sample(rng)].0;
        let change = match reason {
            InventoryReason::Sale => -rng.between(1, i64::from(product.qty_cap.max(1))),
            InventoryReason::Restock => rng.between((par / 4).max(1), par.max(2)),
            InventoryReason::Return => rng.between(1, 2),
            InventoryReason::Damage => -rng.between(1, 3),
            InventoryReason::Shrink => -rng.between(1, 2),
            InventoryReason::Adjustment => {
                let n = rng.between(1, 5);
                if rng.chance(0.5) {
                    n
                } else {
                    -n
                }
            }
        };
        InventoryEvent {
            event_id: self.event_id(seq),
            event_type: EventType::Inventory,
            event_time: at,
            schema_version: SCHEMA_VERSION,
            store_id: world.stores[s].id.clone(),
            product_id: product.id.clone(),
            quantity_change: change.clamp(-100_000, 100_000) as i32,
            reason,
        }
    }

    fn activity(&self, rng: &mut Rng, seq: u64, at: EventTime) -> UserActivityEvent {
        let pools = &self.pools;
        let world = &pools.world;
        // Neighbouring sequence numbers share sessions, whose attributes come from the
        // session's own key so that every event of a session agrees on them.
        let session = (seq + u64::from(rng.below(SESSION_SPAN as u32))) / SESSION_SPAN;
        let mut srng = self.key.named("session").at(session).rng();
        let customer = srng
            .chance(SIGNED_IN)
            .then(|| customer_id(1 + srng.below(world.scale.customers.max(1))));
        let agent = pick(&mut srng, &pools.agents);
        let ip = pick(&mut srng, &pools.ips);

        let mut activity = ACTIVITIES[self.activities.sample(rng)].0;
        if activity == ActivityType::Logout && customer.is_none() {
            activity = ActivityType::PageView; // nobody to sign out
        }
        let mut product_id = None;
        let mut search_query = None;
        let page = match activity {
            ActivityType::PageView => {
                const PAGES: [&str; 4] = ["/", "/deals", "/stores", "/account"];
                let n = PAGES.len() + self.category_pages.len();
                let i = rng.below(n as u32) as usize;
                PAGES.get(i).map_or_else(
                    || self.category_pages[i - PAGES.len()].clone(),
                    |p| p.to_string(),
                )
            }
            ActivityType::Search => {
                let term = pick(rng, &pools.search_terms);
                search_query = Some(term.clone());
                format!("/search?q={}", term.replace(' ', "+"))
            }
            ActivityType::ProductView | ActivityType::AddToCart => {
                let id = &world.products[pools.products.sample(rng)].id;
                product_id = Some(id.clone());
                let mut page = String::with_capacity(10 + id.len());
                page.push_str("/products/");
                page.push_str(id);
                page
            }
            ActivityType::RemoveFromCart => {
                product_id = Some(world.products[pools.products.sample(rng)].id.clone());
                "/cart".to_string()
            }
            ActivityType::Checkout => "/checkout".to_string(),
            ActivityType::Login => "/login".to_string(),
            ActivityType::Logout => "/logout".to_string(),
        };
        UserActivityEvent {
            event_id: self.event_id(seq),
            event_type: EventType::UserActivity,
            event_time: at,
            schema_version: SCHEMA_VERSION,
            session_id: tagged_id("sess-", &self.tag, session, 6),
            customer_id: customer,
            activity_type: activity,
            page: Some(page),
            product_id,
            search_query,
            metadata: SessionMetadata {
                user_agent: agent.user_agent.clone(),
                ip_address: ip.clone(),
                device: agent.device.to_string(),
            },
        }
    }
}

/// The loyalty customer id used by `sales_data` too: `C` and seven digits.
pub fn customer_id(n: u32) -> String {
    let mut id = String::with_capacity(8);
    id.push('C');
    push_padded(&mut id, u64::from(n), 7);
    id
}

/// `<prefix><tag>-<seq>` with `seq` zero-padded to `width`: what `format!("{prefix}{tag}-{seq:0width$}")`
/// gives, without the formatting machinery (a few of these per event were a fifth of its
/// generation time).
fn tagged_id(prefix: &str, tag: &str, seq: u64, width: usize) -> String {
    let mut id = String::with_capacity(prefix.len() + tag.len() + 1 + width.max(20));
    id.push_str(prefix);
    id.push_str(tag);
    id.push('-');
    push_padded(&mut id, seq, width);
    id
}

/// `n` in decimal, left-padded with zeros to at least `width` digits.
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

/// Date and hour of an event time, for prices and dayparts.
struct When {
    date: Option<NaiveDate>,
    hour: u8,
}

impl When {
    fn of(at: EventTime) -> Self {
        match at.datetime() {
            Some(t) => Self {
                date: Some(t.date_naive()),
                hour: t.hour() as u8,
            },
            None => Self {
                date: None,
                hour: 12,
            },
        }
    }
}

fn weights_of<T>(table: &[(T, f64)]) -> AliasTable {
    AliasTable::new(&table.iter().map(|w| w.1).collect::<Vec<_>>())
}

/// A uniform pick from a non-empty pool.
fn pick<'a, T>(rng: &mut Rng, pool: &'a [T]) -> &'a T {
    &pool[rng.below(pool.len() as u32) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_what_format_gives() {
        for n in [0u64, 7, 12_345, 99_999_999, 100_000_000, u64::MAX] {
            assert_eq!(tagged_id("evt-", "abc", n, 8), format!("evt-abc-{n:08}"));
            assert_eq!(tagged_id("sess-", "abc", n, 6), format!("sess-abc-{n:06}"));
        }
        for n in [0u32, 1, 1_234_567, 12_345_678, u32::MAX] {
            assert_eq!(customer_id(n), format!("C{n:07}"));
        }
    }
}
