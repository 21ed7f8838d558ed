//! The shop, hour by hour, with stock that carries across days.
//!
//! Every hour opens with the previous hour's closing stock, across midnight too. What keeps
//! every hour a pure function of (seed, scale, date, hour) is a weekly anchor: on Sunday night,
//! in hour 23, the stores make a full count. The count's result is a pure function of the
//! week that ends: the shop simulated over its last `WARMUP_DAYS` days from every shelf at
//! par, then counted (phantom stock below zero is found to be zero). Where the carried stock
//! differs from the count, the difference is recorded in hour 23 as an `adjusted` movement,
//! so closing = opening + restocked + returned + adjusted - units_sold holds for every row
//! and Monday 00 opens with Sunday 23's closing stock. Because ordering resets a pair's stock
//! to its par level whenever it runs low, the carried stock and the count agree for every
//! pair that was reordered in those days; the adjustments are what the two disagree on.
//!
//! To produce an hour, the simulation warms up the anchor of its week (`WARMUP_DAYS` days,
//! never encoded) and replays the week from Monday 00; in the week's last `WARMUP_DAYS` days
//! it also warms up the next anchor alongside. At most `WARMUP_DAYS + 7 + WARMUP_DAYS` days of
//! hours are simulated for one hour (Sunday 23), and a run of consecutive hours carries the
//! state forward instead of replaying.
//!
//! Replenishment: trucks come at the hours and on the weekdays of each store format. When a
//! truck unloads what was ordered, every pair whose stock plus what is on order is at or
//! below its reorder point is ordered up to its par level (more in a busy season and before a
//! peak of the retail calendar); the order comes with the format's `lead_trucks`-th next
//! truck. Now and then the distribution centre is out of a product for a few days and it is
//! cut from the trucks, which is what keeps a steady base of products out of stock for days. Baskets buy
//! against the stock on hand.

use super::alias::AliasTable;
use super::calendar::{self, CATEGORY_COUNT};
use super::reference::{
    self, CATEGORIES, HOUR_CURVE, MAX_LEAD_TRUCKS, MONTH_FACTOR, PAYMENT_METHODS, STORE_FORMATS,
};
use super::rng::Key;
use super::world::{World, EXTRA_LINES, LOYALTY_SHARE, RETURN_RATE};
use crate::model::PartitionHour;
use chrono::{Datelike, Duration, NaiveDate};

/// Most lines a basket can have.
const MAX_LINES: usize = 12;

/// Days simulated from par before each weekly count (see the module's comment). Longer makes
/// the count agree with carried stock for more pairs and costs every random hour more replay.
/// Less than a week: the next anchor warms up inside the current week.
pub const WARMUP_DAYS: i64 = 6;

/// The Monday on or before `date`: the first day of its anchor week, which opens with the
/// count made on the Sunday night before.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

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

/// The stock of every (store, product) pair and the movements of the last simulated hour.
#[derive(Debug, Clone)]
struct Ledger {
    on_hand: Vec<i32>,
    /// Ordered and in transit: slot `k` arrives with the store's `k+1`-th next truck.
    on_order: Vec<[i32; MAX_LEAD_TRUCKS]>,
    opening: Vec<i32>,
    restocked: Vec<i32>,
    returned: Vec<i32>,
    adjusted: Vec<i32>,
    sold: Vec<i32>,
    lines: Vec<SaleLine>,
    seconds: Vec<u16>,
}

impl Ledger {
    /// Where the warm-up that starts on `date` begins: nothing on order, and each shelf at a
    /// level drawn between its reorder point and its par level (where replenishment keeps it),
    /// so that pairs do not all reach their reorder point at once.
    fn warm_start(world: &World, date: NaiveDate) -> Self {
        let key = world
            .key
            .named("warm start")
            .at(date.num_days_from_ce() as u64);
        let mut on_hand = vec![0; world.pairs];
        for (s, a) in world.assortments.iter().enumerate() {
            let mut rng = key.at(s as u64).rng();
            for (j, (&rop, &par)) in a.reorder_point.iter().zip(&a.par).enumerate() {
                let lo = i64::from(rop + 1).min(i64::from(par));
                on_hand[a.first_pair + j] = rng.between(lo, i64::from(par)) as i32;
            }
        }
        let zeros = vec![0; world.pairs];
        Self {
            on_hand,
            on_order: vec![[0; MAX_LEAD_TRUCKS]; world.pairs],
            opening: zeros.clone(),
            restocked: zeros.clone(),
            returned: zeros.clone(),
            adjusted: zeros.clone(),
            sold: zeros,
            lines: Vec::new(),
            seconds: Vec::new(),
        }
    }

    /// The full count: the shelf holds what the books say, except that it never holds less
    /// than nothing (oversold phantom stock is found to be zero).
    fn count(&mut self) {
        for s in &mut self.on_hand {
            *s = (*s).max(0);
        }
    }

    /// Takes the count's result as the stock, recording each difference as an adjustment.
    fn reconcile(&mut self, counted: &Ledger) {
        for ((adjusted, on_hand), &count) in self
            .adjusted
            .iter_mut()
            .zip(&mut self.on_hand)
            .zip(&counted.on_hand)
        {
            *adjusted += count - *on_hand;
            *on_hand = count;
        }
        self.on_order.copy_from_slice(&counted.on_order);
    }
}

/// What a date means to the shop: its random key, prices, traffic and basket mix.
struct Day {
    date: NaiveDate,
    key: Key,
    weekday: usize,
    traffic: f64,
    returns: f64,
    prices: Vec<i64>,
    /// Per store and daypart, when the calendar changes the basket mix; else the world's.
    mix: Option<Vec<[AliasTable; 4]>>,
    /// Multiplier of each category's reorder point and par level for orders placed this day:
    /// the season, and the calendar's peaks ahead.
    order_up: [f64; CATEGORY_COUNT],
    /// Per product: whether the distribution centre is out of it this day, so that its lines
    /// on the trucks are cut.
    short: Vec<bool>,
}

impl Day {
    fn new(world: &World, date: NaiveDate) -> Self {
        let effect = calendar::day_effect(date);
        let mix = effect.changes_mix().then(|| {
            world
                .assortments
                .iter()
                .map(|a| {
                    std::array::from_fn(|d| {
                        let weights: Vec<f64> = a
                            .products
                            .iter()
                            .map(|&p| {
                                let p = &world.products[p as usize];
                                let c = p.category as usize;
                                p.popularity * CATEGORIES[c].daypart[d] * effect.category[c]
                            })
                            .collect();
                        AliasTable::new(&weights)
                    })
                })
                .collect()
        });
        Self {
            date,
            key: world.key.named("day").at(date.num_days_from_ce() as u64),
            weekday: date.weekday().num_days_from_monday() as usize,
            traffic: World::day_factor(date),
            returns: effect.returns,
            prices: (0..world.products.len())
                .map(|p| world.price_on(p, date))
                .collect(),
            mix,
            order_up: calendar::order_up_to(date).map(|m| m * MONTH_FACTOR[date.month0() as usize]),
            short: (0..world.products.len())
                .map(|product| world.product_short(product, date))
                .collect(),
        }
    }
}

/// The shop's state, advanced one hour at a time from the anchor of a week.
pub struct ShopSim<'w> {
    world: &'w World,
    payments: AliasTable,
    day: Day,
    /// Hour of `day` that the next step simulates.
    next_hour: u8,
    main: Ledger,
    /// The next week's anchor, warming up during this week's last `WARMUP_DAYS` days.
    shadow: Option<Ledger>,
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
    /// Corrections found by the weekly count (nonzero only in Sunday's hour 23).
    pub adjusted: &'a [i32],
    pub sold: &'a [i32],
    pub closing: &'a [i32],
    /// Sales lines, by store, then by time.
    pub lines: &'a [SaleLine],
}

impl<'w> ShopSim<'w> {
    /// Starts at Monday 00 of the anchor week holding `date`, with that week's counted stock.
    pub fn new(world: &'w World, date: NaiveDate) -> Self {
        let payments = AliasTable::new(&PAYMENT_METHODS.iter().map(|p| p.1).collect::<Vec<_>>());
        let start = week_start(date);
        let mut main = Ledger::warm_start(world, start - Duration::days(WARMUP_DAYS));
        for back in (1..=WARMUP_DAYS).rev() {
            let day = Day::new(world, start - Duration::days(back));
            for hour in 0..24 {
                simulate_hour(world, &payments, &day, hour, (&mut main, None), false);
            }
        }
        main.count();
        Self {
            world,
            payments,
            day: Day::new(world, start),
            next_hour: 0,
            main,
            shadow: None,
        }
    }

    /// The hour the next step simulates.
    pub fn next_hour(&self) -> Option<PartitionHour> {
        match self.next_hour {
            24 => PartitionHour::new(self.day.date + Duration::days(1), 0).ok(),
            h => PartitionHour::new(self.day.date, h).ok(),
        }
    }

    /// Simulates hours until `hour` has been simulated and returns it; hours before it are
    /// simulated without recording their sales lines.
    /// Panics if `hour` is already past; callers ask for hours in ascending order.
    pub fn advance_to(&mut self, hour: PartitionHour) -> HourView<'_> {
        let target = (hour.date(), hour.hour());
        self.roll_over();
        assert!(
            target >= (self.day.date, self.next_hour),
            "hour {hour} is not ahead of the simulation"
        );
        while (self.day.date, self.next_hour) < target {
            self.step(false);
            self.roll_over();
        }
        self.step(true);
        self.view(hour.hour())
    }

    fn view(&self, hour: u8) -> HourView<'_> {
        let m = &self.main;
        HourView {
            world: self.world,
            date: self.day.date,
            hour,
            prices: &self.day.prices,
            opening: &m.opening,
            restocked: &m.restocked,
            returned: &m.returned,
            adjusted: &m.adjusted,
            sold: &m.sold,
            closing: &m.on_hand,
            lines: &m.lines,
        }
    }

    /// After hour 23, moves to 00 of the next date. Done lazily, so that the view of hour 23
    /// still borrows its own day's prices.
    fn roll_over(&mut self) {
        if self.next_hour == 24 {
            self.day = Day::new(self.world, self.day.date + Duration::days(1));
            self.next_hour = 0;
        }
    }

    /// Simulates the next hour of `day`.
    fn step(&mut self, record: bool) {
        let (hour, date) = (self.next_hour, self.day.date);
        let next_week = week_start(date) + Duration::days(7);
        if hour == 0 && date == next_week - Duration::days(WARMUP_DAYS) {
            self.shadow = Some(Ledger::warm_start(self.world, date));
        }
        simulate_hour(
            self.world,
            &self.payments,
            &self.day,
            hour,
            (&mut self.main, self.shadow.as_mut()),
            record,
        );
        if hour == 23 && date + Duration::days(1) == next_week {
            let mut counted = self
                .shadow
                .take()
                .unwrap_or_else(|| Ledger::warm_start(self.world, date + Duration::days(1)));
            counted.count();
            self.main.reconcile(&counted);
        }
        self.next_hour += 1;
    }
}

/// Simulates one hour of every store on `ledgers`: the carried stock, and the next anchor's
/// warm-up when it runs alongside. The draws of an hour do not depend on stock, so both see
/// the same customers and only what they can sell differs; drawing once for both halves the
/// cost of the weeks' last days.
fn simulate_hour(
    world: &World,
    payments: &AliasTable,
    day: &Day,
    hour: u8,
    ledgers: (&mut Ledger, Option<&mut Ledger>),
    record: bool,
) {
    let (main, mut shadow) = ledgers;
    for ledger in std::iter::once(&mut *main).chain(shadow.as_deref_mut()) {
        ledger.opening.copy_from_slice(&ledger.on_hand);
        ledger.restocked.fill(0);
        ledger.returned.fill(0);
        ledger.adjusted.fill(0);
        ledger.sold.fill(0);
        ledger.lines.clear();
    }
    let hour_key = day.key.named("hour").at(u64::from(hour));
    for s in 0..world.stores.len() {
        simulate_store(
            world,
            payments,
            day,
            hour,
            s,
            hour_key.at(s as u64),
            (&mut *main, shadow.as_deref_mut()),
            record,
        );
    }
}

/// Units sold of `want` with `on_hand` in stock: all of them when there is enough or the sale
/// goes through on phantom stock, else what is left (possibly nothing).
fn units_sold(on_hand: i32, want: u16, phantom: bool) -> u16 {
    if on_hand >= i32::from(want) || phantom {
        want
    } else {
        on_hand.max(0) as u16
    }
}

/// Unloads the truck and places the next order, when one of the format's trucks comes.
fn deliver(world: &World, day: &Day, hour: u8, s: usize, ledger: &mut Ledger) {
    let a = &world.assortments[s];
    let format = &STORE_FORMATS[world.stores[s].format as usize];
    if !(format.delivery_days[day.weekday] && format.deliveries.contains(&hour)) {
        return;
    }
    let lead = format.lead_trucks.clamp(1, MAX_LEAD_TRUCKS);
    for (j, &p) in a.products.iter().enumerate() {
        let i = a.first_pair + j;
        let pipeline = &mut ledger.on_order[i];
        let product = &world.products[p as usize];
        // A product the distribution centre is out of is cut from the truck; the store
        // orders it again.
        let due = if day.short[p as usize] {
            0
        } else {
            pipeline[0]
        };
        pipeline.copy_within(1.., 0);
        pipeline[MAX_LEAD_TRUCKS - 1] = 0;
        ledger.restocked[i] += due;
        ledger.on_hand[i] += due;
        let up = day.order_up[product.category as usize];
        let position = ledger.on_hand[i] + pipeline.iter().sum::<i32>();
        if f64::from(position) <= f64::from(a.reorder_point[j]) * up {
            let par = (f64::from(a.par[j]) * up).ceil() as i32;
            pipeline[lead - 1] += (par - position).max(0);
        }
    }
}

// The hour's inputs and its one output; a struct for them would only rename the arguments.
#[allow(clippy::too_many_arguments)]
fn simulate_store(
    world: &World,
    payments: &AliasTable,
    day: &Day,
    hour: u8,
    s: usize,
    key: Key,
    ledgers: (&mut Ledger, Option<&mut Ledger>),
    record: bool,
) {
    let (ledger, mut shadow) = ledgers;
    let store = &world.stores[s];
    let a = &world.assortments[s];
    let base = a.first_pair;
    let mut rng = key.rng();
    deliver(world, day, hour, s, ledger);
    if let Some(shadow) = shadow.as_deref_mut() {
        deliver(world, day, hour, s, shadow);
    }

    let daypart = reference::daypart(hour);
    let sampler = match &day.mix {
        Some(mix) => &mix[s][daypart],
        None => &a.by_daypart[daypart],
    };
    let mean_baskets = store.peak_baskets * HOUR_CURVE[hour as usize] * day.traffic;
    for _ in 0..rng.poisson(mean_baskets * RETURN_RATE * day.returns) {
        let i = base + sampler.sample(&mut rng);
        for l in std::iter::once(&mut *ledger).chain(shadow.as_deref_mut()) {
            l.returned[i] += 1;
            l.on_hand[i] += 1;
        }
    }

    let baskets = rng.poisson(mean_baskets) as usize;
    ledger.seconds.clear();
    ledger
        .seconds
        .extend((0..baskets).map(|_| rng.below(3600) as u16));
    ledger.seconds.sort_unstable();

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
        let payment = payments.sample(&mut rng) as u8;
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
            // Drawn whatever the stock, so that the draws of an hour never depend on the
            // stock: two simulations of the same hour from different stock sell to the same
            // customers (what lets the weekly count agree with carried stock).
            let phantom = rng.chance(oversell);
            let i = base + j as usize;
            if let Some(shadow) = shadow.as_deref_mut() {
                let sell = units_sold(shadow.on_hand[i], want, phantom);
                shadow.on_hand[i] -= i32::from(sell);
                shadow.sold[i] += i32::from(sell);
            }
            // The customer takes what is left, or leaves empty-handed.
            let sell = units_sold(ledger.on_hand[i], want, phantom);
            if sell == 0 {
                continue;
            }
            ledger.on_hand[i] -= i32::from(sell);
            ledger.sold[i] += i32::from(sell);
            line += 1;
            if record {
                ledger.lines.push(SaleLine {
                    second: ledger.seconds[b],
                    basket: number + 1,
                    line,
                    store: s as u32,
                    product,
                    quantity: sell,
                    customer,
                    payment,
                });
            }
        }
        if line > 0 {
            number += 1;
        }
    }
}
