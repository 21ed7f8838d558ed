//! How big the generated shop is. Scales are presets that users can override field by field.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A named preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleName {
    Small,
    Default,
    Large,
}

impl FromStr for ScaleName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(Self::Small),
            "default" => Ok(Self::Default),
            "large" => Ok(Self::Large),
            other => Err(format!(
                "unknown scale '{other}': expected small, default or large"
            )),
        }
    }
}

impl fmt::Display for ScaleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Small => "small",
            Self::Default => "default",
            Self::Large => "large",
        })
    }
}

/// Everything that sizes the shop. Part of the generator's input: a different scale gives
/// different data, so the lake records it and refuses to mix scales.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    pub name: ScaleName,
    /// Products in the catalog.
    pub products: u32,
    /// Stores in the chain.
    pub stores: u32,
    /// Loyalty customers that baskets may belong to (the rest are guests).
    pub customers: u32,
    /// Baskets per hour in a mid-sized store at the busiest hour of an ordinary day.
    pub peak_baskets_per_store: f64,
    /// Probability that a sale goes through although the system shows too little stock
    /// (phantom stock, late receipts). This is what drives closing stock below zero and so the
    /// number of negative-stock alerts.
    pub oversell_rate: f64,
}

impl Scale {
    pub const MAX_PRODUCTS: u32 = 100_000;
    pub const MAX_STORES: u32 = 10_000;

    pub fn preset(name: ScaleName) -> Self {
        match name {
            // Fast enough for unit tests; still has every feature of the data.
            ScaleName::Small => Self {
                name,
                products: 120,
                stores: 6,
                customers: 2_000,
                peak_baskets_per_store: 40.0,
                oversell_rate: 0.05,
            },
            ScaleName::Default => Self {
                name,
                products: 1_000,
                stores: 25,
                customers: 50_000,
                peak_baskets_per_store: 60.0,
                // About six alerts an hour on average (generator 3, 28 days of seed 42 from
                // 2026-11-03: 0.0008 gives 5.9 an hour; phantom stock now lasts until a truck).
                oversell_rate: 0.0008,
            },
            // The sizes of seed 002: 2,000 products in 1,000 stores.
            ScaleName::Large => Self {
                name,
                products: 2_000,
                stores: 1_000,
                customers: 2_000_000,
                peak_baskets_per_store: 60.0,
                oversell_rate: 0.002,
            },
        }
    }

    /// Checks the fields a user may override.
    pub fn validate(&self) -> Result<(), ScaleError> {
        let out_of_range = |flag, max: u32, value: u32| ScaleError {
            flag,
            range: format!("from 1 to {max}"),
            value: value.to_string(),
        };
        if !(1..=Self::MAX_PRODUCTS).contains(&self.products) {
            return Err(out_of_range(
                "--products",
                Self::MAX_PRODUCTS,
                self.products,
            ));
        }
        if !(1..=Self::MAX_STORES).contains(&self.stores) {
            return Err(out_of_range("--stores", Self::MAX_STORES, self.stores));
        }
        if !(0.0..=1.0).contains(&self.oversell_rate) {
            return Err(ScaleError {
                flag: "--oversell-rate",
                range: "from 0 to 1".into(),
                value: self.oversell_rate.to_string(),
            });
        }
        if self.customers == 0 {
            return Err(ScaleError {
                flag: "customers",
                range: "at least 1".into(),
                value: "0".into(),
            });
        }
        Ok(())
    }
}

/// A scale field out of its range, naming the flag that sets it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} must be {range}, got {value}")]
pub struct ScaleError {
    pub flag: &'static str,
    pub range: String,
    pub value: String,
}

impl ScaleError {
    pub fn flag(&self) -> &str {
        self.flag
    }
}
