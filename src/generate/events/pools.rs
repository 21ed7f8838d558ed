//! Values drawn once per world so that generating an event costs a few table lookups: fake
//! streets, postal codes, user agents and IPs, plus samplers over stores, products and payment
//! methods.

use crate::generate::alias::AliasTable;
use crate::generate::reference::{CATEGORIES, PAYMENT_METHODS};
use crate::generate::World;
use fake::faker::address::en::{BuildingNumber, StreetName, ZipCode};
use fake::faker::internet::en::{IPv4, UserAgent};
use fake::Fake;
use std::sync::Arc;

const STREETS: usize = 1_024;
const POSTAL_CODES: usize = 512;
const USER_AGENTS: usize = 256;
const IPS: usize = 4_096;

/// A user agent with the device it describes.
#[derive(Debug, Clone)]
pub struct Agent {
    pub user_agent: String,
    pub device: &'static str,
}

/// Everything an `EventGenerator` draws from, built once per world and shared.
#[derive(Debug)]
pub struct EventPools {
    pub world: Arc<World>,
    pub streets: Vec<String>,
    pub postal_codes: Vec<String>,
    pub agents: Vec<Agent>,
    pub ips: Vec<String>,
    /// Lower-case product nouns: what shoppers type into the search box.
    pub search_terms: Vec<String>,
    /// Stores weighted by traffic (their busiest-hour baskets).
    pub stores: AliasTable,
    /// Products weighted by popularity, for browsing the whole catalog online.
    pub products: AliasTable,
    /// Payment methods an online order can use (no cash), with their weights.
    pub payment_names: Vec<&'static str>,
    pub payments: AliasTable,
}

impl EventPools {
    /// Draws the pools from the world's seed. Takes a few milliseconds; do it once.
    pub fn new(world: Arc<World>) -> Self {
        // Our own stream, not rand's StdRng, which may change algorithm in any release.
        let mut fk = world.key.named("event-pools").rng();
        let streets = (0..STREETS)
            .map(|_| {
                let number: String = BuildingNumber().fake_with_rng(&mut fk);
                let street: String = StreetName().fake_with_rng(&mut fk);
                format!("{number} {street}")
            })
            .collect();
        let postal_codes = (0..POSTAL_CODES)
            .map(|_| {
                // fake's US formats include 3- and 4-digit codes; a ZIP code has five digits.
                let zip: String = ZipCode().fake_with_rng(&mut fk);
                format!("{zip:0>5}")
            })
            .collect();
        let agents = (0..USER_AGENTS)
            .map(|_| {
                let user_agent: String = UserAgent().fake_with_rng(&mut fk);
                let device = device_of(&user_agent);
                Agent { user_agent, device }
            })
            .collect();
        let ips = (0..IPS).map(|_| IPv4().fake_with_rng(&mut fk)).collect();
        let mut search_terms: Vec<String> = CATEGORIES
            .iter()
            .flat_map(|c| c.nouns.iter().map(|n| n.to_lowercase()))
            .collect();
        search_terms.sort();
        search_terms.dedup();
        let stores = AliasTable::new(
            &world
                .stores
                .iter()
                .map(|s| s.peak_baskets)
                .collect::<Vec<_>>(),
        );
        let products = AliasTable::new(
            &world
                .products
                .iter()
                .map(|p| p.popularity)
                .collect::<Vec<_>>(),
        );
        let online: Vec<(&'static str, f64)> = PAYMENT_METHODS
            .iter()
            .copied()
            .filter(|(name, _)| *name != "cash")
            .collect();
        Self {
            streets,
            postal_codes,
            agents,
            ips,
            search_terms,
            stores,
            products,
            payment_names: online.iter().map(|p| p.0).collect(),
            payments: AliasTable::new(&online.iter().map(|p| p.1).collect::<Vec<_>>()),
            world,
        }
    }
}

/// The device class a user agent string announces.
fn device_of(ua: &str) -> &'static str {
    if ua.contains("iPad") || ua.contains("Tablet") {
        "tablet"
    } else if ua.contains("Mobile") || ua.contains("iPhone") || ua.contains("Android") {
        "mobile"
    } else {
        "desktop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Scale, ScaleName};

    #[test]
    fn pools_are_full_and_deterministic() {
        let world = Arc::new(World::new(7, &Scale::preset(ScaleName::Small)));
        let a = EventPools::new(world.clone());
        let b = EventPools::new(world);
        assert_eq!(a.streets, b.streets);
        assert_eq!(a.ips, b.ips);
        assert_eq!(a.streets.len(), STREETS);
        assert!(a.streets.iter().all(|s| s.contains(' ') && !s.is_empty()));
        assert!(a
            .ips
            .iter()
            .all(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok()));
        assert!(!a.payment_names.contains(&"cash"));
        assert!(a
            .postal_codes
            .iter()
            .all(|z| z.len() == 5 && z.bytes().all(|b| b.is_ascii_digit())));
        assert_eq!(device_of("Mozilla/5.0 (iPad; CPU OS 12_2)"), "tablet");
        assert_eq!(device_of("Mozilla/5.0 (Linux; Android 9)"), "mobile");
        assert_eq!(device_of("Mozilla/5.0 (Windows NT 10.0)"), "desktop");
    }
}
