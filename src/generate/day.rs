//! One day of the shop, hour by hour.
//!
//! Carry-over rule (what keeps every hour a pure function of seed, scale, date and hour): a
//! nightly stock count fixes each (store, product)'s opening stock at hour 00; every later hour
//! opens with the previous hour's closing stock. To produce hour `h` the simulation replays the
//! day from 00, which is cheap because replayed hours are never encoded. Deliveries come at
//! fixed hours per store format and fill a product up to its par level when it has fallen below
//! the reorder point; returns go back on the shelf; baskets buy against the stock on hand.

use super::alias::AliasTable;
use super::reference::{self, HOUR_CURVE, PAYMENT_METHODS, STORE_FORMATS};
use super::rng::Key;
use super::world::{World, EXTRA_LINES, LOYALTY_SHARE, REORDER_SHARE, RETURN_RATE};
use chrono::{Datelike, NaiveDate};

/// Most lines a basket can have.
const MAX_LINES: usize = 12;

/// One line of a sales transaction (basket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleLine {
    /// Second within the hour.
    pub second: u16,
    /// 1-based number of the basket within its store and hour.
    pub basket: u32,
    /// 1-based line number within the basket.
    pub line: u8,
    pub store: u32,
    pub product: u32,
    pub quantity: u16,
    /// 1-based loyalty customer number; 0 for a guest.
    pub customer: u32,
    pub payment: u8,
}

/// The state of one day, advanced one hour at a time.
pub struct DaySim<'w> {
    world: &'w World,
    date: NaiveDate,
    key: Key,
    day_factor: f64,
    payments: AliasTable,
    next_hour: u8,
    prices: Vec<i64>,
    stock: Vec<i32>,
    opening: Vec<i32>,
    restocked: Vec<i32>,
    returned: Vec<i32>,
    sold: Vec<i32>,
    lines: Vec<SaleLine>,
    seconds: Vec<u16>,
}

/// The result of one simulated hour, borrowed from the simulation.
pub struct HourView<'a> {
    pub world: &'a World,
    pub date: NaiveDate,
    pub hour: u8,
    /// Price of every product this day, in cents.
    pub prices: &'a [i64],
    /// Per (store, product) pair, in `World::assortments` order.
    pub opening: &'a [i32],
    pub restocked: &'a [i32],
    pub returned: &'a [i32],
    pub sold: &'a [i32],
    pub closing: &'a [i32],
    /// Sales lines, by store, then by time.
    pub lines: &'a [SaleLine],
}

impl<'w> DaySim<'w> {
    /// Starts the day with the nightly stock count.
    pub fn new(world: &'w World, date: NaiveDate) -> Self {
        let key = world.key.named("day").at(date.num_days_from_ce() as u64);
        let mut stock = vec![0; world.pairs];
        for (s, a) in world.assortments.iter().enumerate() {
            let mut rng = key.named("count").at(s as u64).rng();
            for (j, &par) in a.par.iter().enumerate() {
                stock[a.first_pair + j] = (f64::from(par) * rng.uniform(0.55, 1.0)).round() as i32;
            }
        }
        let prices = (0..world.products.len())
            .map(|p| world.price_on(p, date))
            .collect();
        let payments = AliasTable::new(&PAYMENT_METHODS.iter().map(|p| p.1).collect::<Vec<_>>());
        Self {
            world,
            date,
            key,
            day_factor: World::day_factor(date),
            payments,
            next_hour: 0,
            prices,
            opening: vec![0; world.pairs],
            restocked: vec![0; world.pairs],
            returned: vec![0; world.pairs],
            sold: vec![0; world.pairs],
            stock,
            lines: Vec::new(),
            seconds: Vec::new(),
        }
    }

    /// The hour the next `step` simulates, or `None` after hour 23.
    pub fn next_hour(&self) -> Option<u8> {
        (self.next_hour < 24).then_some(self.next_hour)
    }

    /// Simulates hours until `hour` has been simulated and returns it.
    /// Panics if `hour` is already past; callers ask for hours in ascending order.
    pub fn advance_to(&mut self, hour: u8) -> HourView<'_> {
        assert!(
            hour >= self.next_hour && hour < 24,
            "hour {hour} is not ahead of the simulation"
        );
        while self.next_hour < hour {
            self.simulate_next();
        }
        self.simulate_next();
        self.view()
    }

    fn view(&self) -> HourView<'_> {
        HourView {
            world: self.world,
            date: self.date,
            hour: self.next_hour - 1,
            prices: &self.prices,
            opening: &self.opening,
            restocked: &self.restocked,
            returned: &self.returned,
            sold: &self.sold,
            closing: &self.stock,
            lines: &self.lines,
        }
    }

    fn simulate_next(&mut self) {
        let hour = self.next_hour;
        self.opening.copy_from_slice(&self.stock);
        self.restocked.fill(0);
        self.returned.fill(0);
        self.sold.fill(0);
        self.lines.clear();
        let hour_key = self.key.named("hour").at(u64::from(hour));
        for s in 0..self.world.stores.len() {
            self.simulate_store(hour, s, hour_key.at(s as u64));
        }
        self.next_hour += 1;
    }

    fn simulate_store(&mut self, hour: u8, s: usize, key: Key) {
        let world = self.world;
        let store = &world.stores[s];
        let a = &world.assortments[s];
        let base = a.first_pair;
        let mut rng = key.rng();

        if STORE_FORMATS[store.format as usize]
            .deliveries
            .contains(&hour)
        {
            for (j, &par) in a.par.iter().enumerate() {
                let i = base + j;
                if f64::from(self.stock[i]) < f64::from(par) * REORDER_SHARE {
                    self.restocked[i] += par - self.stock[i];
                    self.stock[i] = par;
                }
            }
        }

        let sampler = &a.by_daypart[reference::daypart(hour)];
        let mean_baskets = store.peak_baskets * HOUR_CURVE[hour as usize] * self.day_factor;
        for _ in 0..rng.poisson(mean_baskets * RETURN_RATE) {
            let i = base + sampler.sample(&mut rng);
            self.returned[i] += 1;
            self.stock[i] += 1;
        }

        let baskets = rng.poisson(mean_baskets) as usize;
        self.seconds.clear();
        self.seconds
            .extend((0..baskets).map(|_| rng.below(3600) as u16));
        self.seconds.sort_unstable();

        let oversell = world.scale.oversell_rate;
        let customers = world.scale.customers;
        let mut number = 0u32;
        for b in 0..baskets {
            let wanted = (1 + rng.poisson(EXTRA_LINES) as usize).min(MAX_LINES);
            let customer = if rng.chance(LOYALTY_SHARE) {
                1 + rng.below(customers)
            } else {
                0
            };
            let payment = self.payments.sample(&mut rng) as u8;
            let mut chosen = [0u32; MAX_LINES];
            let mut picked = 0;
            let mut line = 0u8;
            for _ in 0..wanted {
                let j = sampler.sample(&mut rng) as u32;
                if chosen[..picked].contains(&j) {
                    continue; // already in the basket
                }
                chosen[picked] = j;
                picked += 1;
                let product = a.products[j as usize];
                let p = &world.products[product as usize];
                let mut want = 1u16;
                while want < p.qty_cap && rng.chance(p.qty_continue) {
                    want += 1;
                }
                let i = base + j as usize;
                let on_hand = self.stock[i];
                let sell = if on_hand >= i32::from(want) || rng.chance(oversell) {
                    want
                } else {
                    on_hand.max(0) as u16 // takes what is left, or leaves empty-handed
                };
                if sell == 0 {
                    continue;
                }
                self.stock[i] -= i32::from(sell);
                self.sold[i] += i32::from(sell);
                line += 1;
                self.lines.push(SaleLine {
                    second: self.seconds[b],
                    basket: number + 1,
                    line,
                    store: s as u32,
                    product,
                    quantity: sell,
                    customer,
                    payment,
                });
            }
            if line > 0 {
                number += 1;
            }
        }
    }
}
