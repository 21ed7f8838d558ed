//! Negative-stock alerts as typed rows: the one place that decides which (store, product) of an
//! hour gets an alert, shared by the CSV table and the bus, so the two can never disagree.

use super::day::HourView;
use super::encode::alert_id;
use serde::{Deserialize, Serialize};

/// One `negative_inventory_alerts` row: a (store, product) whose closing stock fell below zero
/// in an hour. Field names are the table's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegativeStockAlert {
    /// Deterministic (`NEG-<YYYYMMDDHH>-<store>-<product>`): consumers drop duplicates by it.
    pub alert_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub hour: u8,
    pub store_id: String,
    pub product_id: String,
    pub opening_stock: i32,
    pub restocked: i32,
    pub returned: i32,
    pub units_sold: i32,
    pub closing_stock: i32,
    /// RFC 3339 UTC: the last second of the hour, when the hour's closing stock is known.
    pub detected_at: String,
}

impl NegativeStockAlert {
    /// Whether the row is internally consistent: negative closing stock that adds up.
    pub fn is_consistent(&self) -> bool {
        self.closing_stock < 0
            && i64::from(self.opening_stock) + i64::from(self.restocked) + i64::from(self.returned)
                - i64::from(self.units_sold)
                == i64::from(self.closing_stock)
    }
}

impl HourView<'_> {
    /// The hour's alerts, in `World::assortments` order (by store, then product): exactly one
    /// per pair whose closing stock is below zero.
    pub fn negative_stock_alerts(&self) -> Vec<NegativeStockAlert> {
        let world = self.world;
        let stamp = format!("{}{:02}", self.date.format("%Y%m%d"), self.hour);
        let date = self.date.format("%Y-%m-%d").to_string();
        let detected_at = format!("{date}T{:02}:59:59Z", self.hour);
        let mut out = Vec::new();
        for (s, a) in world.assortments.iter().enumerate() {
            let store_id = &world.stores[s].id;
            for (j, &p) in a.products.iter().enumerate() {
                let i = a.first_pair + j;
                if self.closing[i] >= 0 {
                    continue;
                }
                let product_id = &world.products[p as usize].id;
                out.push(NegativeStockAlert {
                    alert_id: alert_id(&stamp, store_id, product_id),
                    date: date.clone(),
                    hour: self.hour,
                    store_id: store_id.clone(),
                    product_id: product_id.clone(),
                    opening_stock: self.opening[i],
                    restocked: self.restocked[i],
                    returned: self.returned[i],
                    units_sold: self.sold[i],
                    closing_stock: self.closing[i],
                    detected_at: detected_at.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::generate::{encode_hour, hour_alerts, ShopSim, World};
    use crate::model::{PartitionHour, Scale, ScaleName, Table};

    #[test]
    fn typed_alerts_match_the_csv_rows() {
        let world = World::new(42, &Scale::preset(ScaleName::Small));
        let hour: PartitionHour = "2026-11-20T18".parse().expect("hour");
        let mut sim = ShopSim::new(&world, hour.date());
        let view = sim.advance_to(hour);
        let alerts = view.negative_stock_alerts();
        let files = encode_hour(&view);
        let csv = files
            .iter()
            .find(|f| f.table == Table::NegativeInventoryAlerts)
            .expect("alerts table");
        assert!(!alerts.is_empty(), "the small scale oversells at 18:00");
        assert_eq!(csv.rows, alerts.len() as u64);
        let text = String::from_utf8_lossy(&csv.bytes);
        for (line, a) in text.lines().skip(1).zip(&alerts) {
            assert!(line.starts_with(&format!("{},{},18,", a.alert_id, a.date)));
            assert!(a.is_consistent(), "{a:?}");
        }
        assert_eq!(hour_alerts(&world, hour), alerts);
    }
}
