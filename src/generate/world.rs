//! The world: catalog, suppliers, stores and each store's assortment. Built once per
//! (seed, scale) and shared read-only by every hour that is generated.

use super::alias::AliasTable;
use super::reference::{self, CATEGORIES, CITIES, STORE_FORMATS};
use super::rng::{Key, Rng};
use crate::model::Scale;
use chrono::{Datelike, NaiveDate};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;

/// Extra lines in a basket beyond the first (Poisson mean): about 2.6 lines a basket.
pub const EXTRA_LINES: f64 = 1.6;
/// Share of baskets made by a known loyalty customer; the rest are guests.
pub const LOYALTY_SHARE: f64 = 0.7;
/// Returns per basket.
pub const RETURN_RATE: f64 = 0.03;
/// Chance that the distribution centre runs out of a product in a given week, for 3-8 days.
/// With the safety stock, this sets the share of products out of stock: a shortage outlasts
/// a store's stock by days, so these outs hold steady through the day.
pub const SHORTAGE_RATE: f64 = 0.2;
/// The smallest order of a product, a case, as a share of its demand between two trucks.
/// Small: a store orders almost every product at almost every truck, which keeps stock close
/// to par and lets the weekly count agree with carried stock (see `generate::day`).
pub const CASE_SHARE: f64 = 0.25;
/// Safety stock, in standard deviations of the demand a reorder point covers (review period
/// plus lead time). Lower means more stock-outs: this is what sets the out-of-stock share.
pub const SAFETY_SD: f64 = 3.0;

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub category: u8,
    pub brand: String,
    /// List price in cents.
    pub list_price: i64,
    pub cost_price: i64,
    pub supplier: u32,
    /// Relative demand: category demand times a Zipf weight, so a few products are best-sellers.
    pub popularity: f64,
    /// Chance that a basket line takes one more unit; cheap things are bought several at a time.
    pub qty_continue: f64,
    pub qty_cap: u16,
}

#[derive(Debug, Clone)]
pub struct Supplier {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub id: String,
    pub name: String,
    pub city: &'static str,
    pub state: &'static str,
    pub format: u8,
    pub size_sqft: i64,
    pub manager: String,
    pub opened_on: NaiveDate,
    /// Baskets in the busiest hour of an ordinary day.
    pub peak_baskets: f64,
}

/// What one store carries, with the par level of each product and a sampler per daypart.
#[derive(Debug, Clone)]
pub struct Assortment {
    /// Product indices, ascending.
    pub products: Vec<u32>,
    /// Par level (the order-up-to level of replenishment) of each carried product.
    pub par: Vec<i32>,
    /// Reorder point of each carried product: at a delivery, a product whose stock plus what
    /// is on order is at or below it is ordered back up to par.
    pub reorder_point: Vec<i32>,
    /// Index of this store's first (store, product) pair in the flat pair arrays.
    pub first_pair: usize,
    /// Draws a position in `products`, weighted for each daypart.
    pub by_daypart: [AliasTable; 4],
}

#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub scale: Scale,
    pub key: Key,
    pub products: Vec<Product>,
    pub suppliers: Vec<Supplier>,
    pub stores: Vec<Store>,
    pub assortments: Vec<Assortment>,
    /// Number of (store, product) pairs, the rows of `inventory_data` each hour.
    pub pairs: usize,
}

impl World {
    pub fn new(seed: u64, scale: &Scale) -> Self {
        let key = Key::root(seed);
        let suppliers = suppliers(key, scale.products);
        let products = products(key, scale.products, suppliers.len() as u32);
        let stores = stores(key, scale);
        let mut assortments = Vec::with_capacity(stores.len());
        let mut pairs = 0;
        for (s, store) in stores.iter().enumerate() {
            let a = assortment(
                key.named("assortment").at(s as u64),
                store,
                &products,
                pairs,
            );
            pairs += a.products.len();
            assortments.push(a);
        }
        Self {
            seed,
            scale: scale.clone(),
            key,
            products,
            suppliers,
            stores,
            assortments,
            pairs,
        }
    }

    /// The price of a product on a date, in cents: the list price, or a weekly promotion.
    pub fn price_on(&self, product: usize, date: NaiveDate) -> i64 {
        let list = self.products[product].list_price;
        // Weeks start on Monday; 2000-01-03 was one.
        let week = (date.num_days_from_ce() - 730_122).div_euclid(7);
        let mut rng = self
            .key
            .named("promo")
            .at(product as u64)
            .at(week as u64)
            .rng();
        if !rng.chance(0.12) {
            return list;
        }
        let off = [10, 15, 20, 25, 30][rng.below(5) as usize];
        charm(list * (100 - off) / 100)
    }

    /// Whether the distribution centre is out of `product` on `date`: each week a product may
    /// start a shortage of 3-8 days (keyed by product and week, so it is the same for every
    /// store and every replay), and trucks come without it until it ends.
    pub fn product_short(&self, product: usize, date: NaiveDate) -> bool {
        let days = date.num_days_from_ce() - 730_122;
        let (week, day_of_week) = (days.div_euclid(7), days.rem_euclid(7));
        // A shortage that starts late in the previous week can last into this one.
        [(week, day_of_week), (week - 1, day_of_week + 7)]
            .into_iter()
            .any(|(w, day)| {
                let mut rng = self
                    .key
                    .named("shortage")
                    .at(product as u64)
                    .at(w as u64)
                    .rng();
                if !rng.chance(SHORTAGE_RATE) {
                    return false;
                }
                let start = i32::try_from(rng.below(7)).unwrap_or(0);
                let length = 3 + i32::try_from(rng.below(6)).unwrap_or(0);
                (start..start + length).contains(&day)
            })
    }

    /// Demand multiplier of a whole day: weekday, season and the retail calendar's events.
    pub fn day_factor(date: NaiveDate) -> f64 {
        reference::WEEKDAY_FACTOR[date.weekday().num_days_from_monday() as usize]
            * reference::MONTH_FACTOR[date.month0() as usize]
            * super::calendar::day_effect(date).traffic
    }
}

/// Rounds a price down to end in 9 cents, as shops do.
fn charm(cents: i64) -> i64 {
    if cents < 100 {
        return cents.max(9);
    }
    cents / 10 * 10 - 1
}

/// `fake`'s source of randomness: our own stream, never `rand`'s `StdRng`.
fn faker(key: Key) -> Rng {
    key.rng()
}

fn suppliers(key: Key, products: u32) -> Vec<Supplier> {
    let n = (products / 25).clamp(5, 2_000);
    let mut fk = faker(key.named("suppliers"));
    (0..n)
        .map(|i| Supplier {
            id: format!("SUP{:04}", i + 1),
            name: CompanyName().fake_with_rng(&mut fk),
        })
        .collect()
}

fn products(key: Key, n: u32, suppliers: u32) -> Vec<Product> {
    let mut rng = key.named("products").rng();
    let mut fk = faker(key.named("brands"));
    // Each category has its own brands and its own few suppliers.
    let brands: Vec<Vec<String>> = CATEGORIES
        .iter()
        .map(|c| {
            let count = ((f64::from(n) * c.catalog_share / 6.0) as usize).clamp(3, 60);
            (0..count)
                .map(|_| {
                    let name: String = LastName().fake_with_rng(&mut fk);
                    let suffix = ["", "", " & Co", " Labs", " Home", " Goods", " Brands"];
                    format!("{name}{}", suffix[rng.below(suffix.len() as u32) as usize])
                })
                .collect()
        })
        .collect();
    let share: Vec<f64> = CATEGORIES.iter().map(|c| c.catalog_share).collect();
    let pick_category = AliasTable::new(&share);
    // Popularity follows Zipf over a shuffled rank, so best-sellers are spread over categories.
    let mut rank: Vec<u32> = (0..n).collect();
    shuffle(&mut rng, &mut rank);
    (0..n)
        .map(|i| {
            let c = pick_category.sample(&mut rng);
            let cat = &CATEGORIES[c];
            let (lo, hi) = cat.price_cents;
            // Log-uniform inside the band: many cheap items, a few dear ones.
            let ln =
                libm::log(lo as f64) + rng.unit() * (libm::log(hi as f64) - libm::log(lo as f64));
            let list_price = charm(libm::exp(ln) as i64);
            let margin = rng.uniform(0.25, 0.55);
            let brand = &brands[c][rng.below(brands[c].len() as u32) as usize];
            let noun = cat.nouns[rng.below(cat.nouns.len() as u32) as usize];
            let adjective =
                reference::ADJECTIVES[rng.below(reference::ADJECTIVES.len() as u32) as usize];
            let size = reference::SIZES[rng.below(reference::SIZES.len() as u32) as usize];
            let supplier = (c as u32 * 7 + rng.below(4) * 13) % suppliers;
            let (qty_continue, qty_cap) = match list_price {
                p if p < 500 => (0.35, 6),
                p if p < 2_000 => (0.15, 4),
                _ => (0.03, 2),
            };
            Product {
                id: format!("P{:05}", i + 1),
                name: format!("{brand} {adjective} {noun}{size}"),
                category: c as u8,
                brand: brand.clone(),
                list_price,
                cost_price: (list_price as f64 * (1.0 - margin)) as i64,
                supplier,
                popularity: cat.demand / libm::pow(f64::from(rank[i as usize]) + 1.0, 0.9),
                qty_continue,
                qty_cap,
            }
        })
        .collect()
}

fn stores(key: Key, scale: &Scale) -> Vec<Store> {
    let mut rng = key.named("stores").rng();
    let mut fk = faker(key.named("managers"));
    let city = AliasTable::new(&CITIES.iter().map(|c| c.2).collect::<Vec<_>>());
    let format = AliasTable::new(&STORE_FORMATS.iter().map(|f| f.share).collect::<Vec<_>>());
    (0..scale.stores)
        .map(|i| {
            let (city, state, _) = CITIES[city.sample(&mut rng)];
            let f = format.sample(&mut rng);
            let (lo, hi) = STORE_FORMATS[f].sqft;
            let size_sqft = rng.between(lo, hi) / 500 * 500;
            let suffix = reference::STORE_SUFFIXES
                [rng.below(reference::STORE_SUFFIXES.len() as u32) as usize];
            let first: String = FirstName().fake_with_rng(&mut fk);
            let last: String = LastName().fake_with_rng(&mut fk);
            let opened_on = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or_default()
                + chrono::Duration::days(rng.between(0, 365 * 25));
            Store {
                id: format!("S{:04}", i + 1),
                name: format!("{city} {suffix}"),
                city,
                state,
                format: f as u8,
                size_sqft,
                manager: format!("{first} {last}"),
                opened_on,
                peak_baskets: scale.peak_baskets_per_store
                    * libm::pow(size_sqft as f64 / 45_000.0, 0.6)
                    * rng.uniform(0.8, 1.2),
            }
        })
        .collect()
}

fn assortment(key: Key, store: &Store, products: &[Product], first_pair: usize) -> Assortment {
    let mut rng = key.rng();
    let share = STORE_FORMATS[store.format as usize].assortment;
    // Best-sellers are carried everywhere; the long tail depends on the format.
    let mut carried: Vec<u32> = (0..products.len() as u32)
        .filter(|&p| products[p as usize].popularity > 0.5 || rng.chance(share))
        .collect();
    if carried.is_empty() {
        // A tiny catalog can leave a small store with nothing: it carries the best-seller.
        let best = (0..products.len())
            .max_by(|&a, &b| products[a].popularity.total_cmp(&products[b].popularity))
            .unwrap_or(0);
        carried.push(best as u32);
    }
    let weights = |d: usize| -> Vec<f64> {
        carried
            .iter()
            .map(|&p| {
                let p = &products[p as usize];
                p.popularity * CATEGORIES[p.category as usize].daypart[d]
            })
            .collect()
    };
    let daypart_weights: [Vec<f64>; 4] = [weights(0), weights(1), weights(2), weights(3)];
    let totals: [f64; 4] = std::array::from_fn(|d| {
        daypart_weights[d]
            .iter()
            .sum::<f64>()
            .max(f64::MIN_POSITIVE)
    });
    // Expected units a day of each carried product, to size its par level.
    let curve_total: f64 = reference::HOUR_CURVE.iter().sum();
    let lines = 1.0 + EXTRA_LINES;
    let format = &STORE_FORMATS[store.format as usize];
    let (par, reorder_point): (Vec<i32>, Vec<i32>) = carried
        .iter()
        .enumerate()
        .map(|(j, &p)| {
            let product = &products[p as usize];
            let share_of_lines: f64 = (0..24u8)
                .map(|h| {
                    let d = reference::daypart(h);
                    reference::HOUR_CURVE[h as usize] * daypart_weights[d][j] / totals[d]
                })
                .sum::<f64>()
                / curve_total;
            let mean_qty = 1.0 / (1.0 - product.qty_continue);
            let per_day = store.peak_baskets * curve_total * lines * share_of_lines * mean_qty;
            // Reorder point: the demand over the review period plus the lead time, with safety
            // stock (planners differ a little); par adds the smallest order, a case.
            let covered = per_day * (format.review_days() + format.lead_days());
            let safety = SAFETY_SD * libm::sqrt(covered * mean_qty) * rng.uniform(0.6, 1.4);
            let reorder_point = (covered + safety).ceil() as i32;
            let case = (per_day * format.review_days() * CASE_SHARE)
                .ceil()
                .max(1.0) as i32;
            let par = reorder_point + case;
            (par, reorder_point)
        })
        .unzip();
    Assortment {
        by_daypart: daypart_weights.map(|w| AliasTable::new(&w)),
        products: carried,
        par,
        reorder_point,
        first_pair,
    }
}

/// Fisher-Yates, on our own generator so the order never depends on a crate's version.
fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u32 + 1) as usize);
    }
}
