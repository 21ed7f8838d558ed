use retail_pipeline::generate::{ShopSim, World};
use retail_pipeline::model::{PartitionHour, Scale, ScaleName};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let start: PartitionHour = args
        .get(1)
        .map(|s| s.as_str())
        .unwrap_or("2026-11-02T00")
        .parse()
        .unwrap();
    let days: i64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(28);
    let world = World::new(42, &Scale::preset(ScaleName::Default));
    let t = std::time::Instant::now();
    let mut sim = ShopSim::new(&world, start.date());
    let mut prev: Option<Vec<i32>> = None;
    let mut by_hour = [0f64; 24];
    let mut alerts = 0usize;
    let mut adj_pairs = 0;
    let mut adj_abs = 0i64;
    let mut adj_pos = 0i64;
    let mut bad = 0;
    for d in 0..days {
        let mut day_oos = [0f64; 24];
        let mut units = 0i64;
        let mut restock = 0i64;
        for h in 0..24 {
            let hour = start.offset(d * 24 + h).unwrap();
            let v = sim.advance_to(hour);
            if let Some(p) = &prev {
                bad += p.iter().zip(v.opening).filter(|(a, b)| a != b).count();
            }
            for i in 0..v.closing.len() {
                if v.closing[i]
                    != v.opening[i] + v.restocked[i] + v.returned[i] + v.adjusted[i] - v.sold[i]
                {
                    bad += 1;
                }
                if v.adjusted[i] != 0 {
                    adj_pairs += 1;
                    adj_abs += i64::from(v.adjusted[i].abs());
                    adj_pos += i64::from(v.adjusted[i].max(0));
                }
            }
            if v.adjusted.iter().any(|&a| a != 0) {
                let mut by = [(0i64, 0i64, 0i64, 0usize); 3];
                for (si, a) in world.assortments.iter().enumerate() {
                    let f = world.stores[si].format as usize;
                    for j in 0..a.par.len() {
                        let i = a.first_pair + j;
                        by[f].0 += i64::from(v.closing[i] - v.adjusted[i]);
                        by[f].1 += i64::from(v.closing[i]);
                        by[f].2 += i64::from(a.par[j]);
                        if v.adjusted[i] != 0 {
                            by[f].3 += 1;
                        }
                    }
                }
                println!("count {hour}: by format (carried, counted, par, pairs adjusted) {by:?}");
            }
            let oos = v.closing.iter().filter(|&&c| c <= 0).count() as f64 / v.closing.len() as f64;
            alerts += v.closing.iter().filter(|&&c| c < 0).count();
            day_oos[h as usize] = oos;
            by_hour[h as usize] += oos / days as f64;
            units += v.sold.iter().map(|&x| i64::from(x)).sum::<i64>();
            restock += v.restocked.iter().map(|&x| i64::from(x)).sum::<i64>();
            prev = Some(v.closing.to_vec());
        }
        let open = &day_oos[6..23];
        let mx = open.iter().cloned().fold(0.0, f64::max);
        let mn = open.iter().cloned().fold(1.0, f64::min);
        println!(
            "{} units {:>7} restock {:>7} oos min {:.2}% max {:.2}% ratio {:.2} mean {:.2}%",
            start.offset(d * 24).unwrap().date(),
            units,
            restock,
            mn * 100.0,
            mx * 100.0,
            mx / mn.max(1e-9),
            day_oos.iter().sum::<f64>() / 24.0 * 100.0
        );
    }
    println!(
        "by hour: {}",
        by_hour
            .iter()
            .map(|x| format!("{:.1}", x * 100.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("avg oos {:.2}%  alerts/hour {:.1}  adjusted pairs {} abs {} pos {} (pairs {}) bad {}  {:?}", by_hour.iter().sum::<f64>()/24.0*100.0, alerts as f64 / (days*24) as f64, adj_pairs, adj_abs, adj_pos, world.pairs, bad, t.elapsed());
}
