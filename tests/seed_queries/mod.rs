//! The seeds' own published queries, as they wrote them, and the checks that they give our
//! totals on the compatibility views (`seed_compat` in DuckDB, `<dataset>_seed_compat` in
//! BigQuery). Shared by tests/seed_compat.rs (DuckDB) and
//! tests/warehouse_bigquery_seed_compat.rs (bqemulator).
//!
//! Each query below is the seed's text character for character; `for_target` changes only
//! its `project.dataset` (and, for DuckDB, the few GoogleSQL spellings DuckDB does not parse,
//! each listed in `DUCKDB_SPELLINGS` and required to be found). Lake-side queries (seeds 000
//! and 002) are compared with the Warehouse trait's analytics on the same warehouse;
//! stream-side ones (seeds 001 and 003) with the events the test wrote, each counted once.
#![allow(dead_code)] // each test binary uses its own part

use async_trait::async_trait;
use retail_pipeline::bus::{EventSink, RowMetadata, SinkBatch};
use retail_pipeline::generate::events::{EventGenerator, EventPools, EventTime, EventType};
use retail_pipeline::generate::World;
use retail_pipeline::model::{Scale, ScaleName};
use retail_pipeline::warehouse::analytics::{
    BasketStatsQuery, RevenueByStore, RunAnalytics, SalesByCategory, StockByHour,
};
use retail_pipeline::warehouse::{AnalyticsFilter, Warehouse};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Seed 000, `SQL_queries/basic_queries/ammount_per_cateogry.sql`
/// (Javier009/bigquery-dataflow-product-sales-pipeline): units and money per date and category,
/// its README's "Query 4: Analytical Query (e.g., Sales by Category) on Managed Tables".
pub const SEED000_AMOUNT_PER_CATEGORY: &str = "SELECT
  A.date, 
  B.category_name,
SUM(A.units_sold) AS units_sold,
SUM(A.total_ammount_paid) AS total_ammount_paid
FROM `bigquery-dataflow-460522.retail_ds.sales_data_managed` AS A
LEFT JOIN `bigquery-dataflow-460522.retail_ds.product_catalog_managed` AS B
USING (date, product_id)
WHERE B.category_name IS NOT NULL
GROUP BY 1,2
";
pub const SEED000_DATASET: &str = "bigquery-dataflow-460522.retail_ds";

/// Seed 000 published no inventory query; its README (section "2. Real-time Inventory
/// Alerting") raises an alert for a product whose `final_stock` is negative. Ours, in its
/// names (inventory_data_managed's DDL in `SQL_queries/managed_tables/inventory_updates.sql`):
/// the negative stocks per date and string hour, and that the stock adds up.
pub const SEED000_NEGATIVE_STOCK: &str = "SELECT date, hour,
  COUNTIF(final_stock < 0) AS negative_stock,
  SUM(in_stock + new_product + returned_product - units_sold - final_stock) AS unbalanced
FROM `bigquery-dataflow-460522.retail_ds.inventory_data_managed`
GROUP BY date, hour
";

/// Seed 001 published no SQL: its README's "Optional: Real-Time Dashboard" lists "Sales volume
/// by store or time" and "Items per transaction" over `sales_data.sales_cleaned`. Ours, in its
/// names. ("Average spend per customer" cannot be asked: sales_cleaned has no customer.)
pub const SEED001_SALES_BY_STORE: &str = "SELECT store_id,
  COUNT(*) AS transactions,
  SUM(amount) AS sales,
  SUM(total_items) AS items,
  SUM(average_item_price * total_items) AS priced_items
FROM `your-project-id.sales_data.sales_cleaned`
GROUP BY store_id
";
pub const SEED001_DATASET: &str = "your-project-id.sales_data";

/// Seed 002, `streamlit/dashboard.py` (sl2902/retail_data_pipeline): the one query its
/// dashboard runs, on the dbt model `mv_retail_transactions`, as the Python has it before its
/// `.format(project_number=..., bq_dataset=..., mv="mv_retail_transactions")`.
pub const SEED002_DASHBOARD: &str = "
                  SELECT
                      transaction_id,
                      quantity,
                      unit_price,
                      timestamp,
                      name,
                      category,
                      location,
                      size,
                      manager,
                      extract(date from timestamp) as txn_date,
                      extract(year from timestamp) as year,
                      extract(month from timestamp) as month,
                      format_date('%B', timestamp) as month_name,
                      case extract(dayofweek from timestamp)
                              when 1 then 'Sunday'
                              when 2 then 'Monday'
                              when 3 then 'Tuesday'
                              when 4 then 'Wednesday'
                              when 5 then 'Thursday'
                              when 6 then 'Friday'
                     else 'Saturday' end as dow,
                     quantity * unit_price as revenue,
                     trim(split(location, ',')[offset(1)]) state_code,
                     -- lag(quantity, 1) over(order by timestamp, transaction_id) prev_day_qty 
                  FROM
                     `{project_number}.{bq_dataset}.{mv}`
                  ORDER BY
                     timestamp, transaction_id
                  ";

/// Seed 003, README.md (mhassan01/gcp-realtime-data-pipeline), "Sample Analytics Queries":
/// the three queries as published, in one string there; split here at their comments.
pub const SEED003_CUSTOMER_ORDERS: &str = "-- Customer order analysis
SELECT 
  customer_id,
  COUNT(*) as order_count,
  SUM(total_amount) as total_value
FROM `PROJECT.dev_events_dataset.orders`
WHERE event_date >= CURRENT_DATE() - 30
GROUP BY customer_id
ORDER BY total_value DESC;";

pub const SEED003_INVENTORY_MOVEMENT: &str = "-- Inventory movement analysis
SELECT 
  warehouse_id,
  product_id,
  SUM(quantity_change) as net_change,
  COUNT(*) as transaction_count
FROM `PROJECT.dev_events_dataset.inventory`
WHERE event_date = CURRENT_DATE()
GROUP BY warehouse_id, product_id;";

pub const SEED003_USER_FUNNEL: &str = "-- User activity funnel
SELECT 
  activity_type,
  COUNT(*) as event_count,
  COUNT(DISTINCT user_id) as unique_users
FROM `PROJECT.dev_events_dataset.user_activity`
WHERE event_date >= CURRENT_DATE() - 7
GROUP BY activity_type
ORDER BY event_count DESC;";
pub const SEED003_DATASET: &str = "PROJECT.dev_events_dataset";

/// GoogleSQL that DuckDB does not parse, and the DuckDB for it, applied to DuckDB runs only.
/// Each must occur in some query (checked), so a change of the seed texts cannot slip past.
pub const DUCKDB_SPELLINGS: [(&str, &str); 5] = [
    ("extract(date from timestamp)", "CAST(timestamp AS DATE)"),
    ("format_date('%B', timestamp)", "strftime(timestamp, '%B')"),
    // GoogleSQL counts days of the week from Sunday = 1, DuckDB from Sunday = 0.
    (
        "case extract(dayofweek from timestamp)",
        "case extract(dayofweek from timestamp) + 1",
    ),
    // Arrays: GoogleSQL's zero-based OFFSET, DuckDB's one-based index.
    ("[offset(1)]", "[2]"),
    ("COUNTIF(final_stock < 0)", "count_if(final_stock < 0)"),
];

/// Where a seed query runs.
#[derive(Debug, Clone)]
pub enum Target {
    /// The `seed_compat` schema of the DuckDB warehouse.
    DuckDb,
    /// A BigQuery dataset (`project.dataset`, unquoted) holding the compatibility views.
    BigQuery(String),
}

/// The seed's query with its `dataset` (`project.dataset`) replaced by the target's, and a
/// trailing `;` left out (each query runs alone, wrapped by the runner).
pub fn for_target(query: &str, dataset: &str, target: &Target) -> String {
    let mut text = match target {
        Target::BigQuery(ours) => query.replace(&format!("`{dataset}."), &format!("`{ours}.")),
        Target::DuckDb => {
            // DuckDB quotes with double quotes; seed_compat.<table> is the name.
            let mut text = query.replace(&format!("`{dataset}."), "seed_compat.");
            text = text.replace('`', "");
            for (google, duck) in DUCKDB_SPELLINGS {
                text = text.replace(google, duck);
            }
            text
        }
    };
    assert!(!text.contains(dataset), "every name replaced in {text}");
    text = text.trim_end().trim_end_matches(';').to_string();
    text
}

/// Seed 002's Python `.format` with our names.
pub fn seed002_dashboard(target: &Target) -> String {
    let formatted = SEED002_DASHBOARD.replace(
        "{project_number}.{bq_dataset}.{mv}",
        "PROJECT.DBT_DATASET.mv_retail_transactions",
    );
    for_target(&formatted, "PROJECT.DBT_DATASET", target)
}

/// Every DuckDB spelling replaced occurs in the seed texts.
pub fn duckdb_spellings_are_used() {
    let all = [SEED000_NEGATIVE_STOCK, SEED002_DASHBOARD].concat();
    for (google, _) in DUCKDB_SPELLINGS {
        assert!(all.contains(google), "{google} occurs in a seed query");
    }
}

/// Runs one query on a warehouse and gives every row, each value as text (None for NULL).
#[async_trait]
pub trait Runner: Sync {
    async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>>;
    fn target(&self) -> Target;
}

fn text(cell: &Option<String>) -> &str {
    cell.as_deref()
        .unwrap_or_else(|| panic!("a value, not NULL"))
}

fn int(cell: &Option<String>) -> i64 {
    text(cell)
        .parse()
        .unwrap_or_else(|e| panic!("integer {cell:?}: {e}"))
}

/// A FLOAT64 sum of money as cents: the seeds keep money in floats, whose sums carry noise far
/// below a cent.
fn float_cents(cell: &Option<String>) -> i64 {
    let v: f64 = text(cell)
        .parse()
        .unwrap_or_else(|e| panic!("number {cell:?}: {e}"));
    (v * 100.0).round() as i64
}

/// The UTC date of a TIMESTAMP as a runner gives it: DuckDB's text (`2026-11-20 05:00:00`),
/// or over REST a number: seconds since the epoch from BigQuery (`1.7636148E9`),
/// microseconds from bqemulator (`1763614800000000`).
fn timestamp_date(cell: &Option<String>) -> chrono::NaiveDate {
    let t = text(cell);
    if let Ok(n) = t.parse::<f64>() {
        // Seconds since 1970 stay below 1e11 until the year 5138.
        let seconds = if n.abs() >= 1e11 { n / 1e6 } else { n };
        let time = chrono::DateTime::from_timestamp(seconds.floor() as i64, 0).expect("time");
        return time.date_naive();
    }
    chrono::NaiveDate::parse_from_str(&t[..10], "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("timestamp {t}: {e}"))
}

/// Seeds 000 and 002 on the loaded lake, against our analytics on the same warehouse.
pub async fn check_lake_seeds(w: &dyn Warehouse, run: &dyn Runner) {
    let target = run.target();
    let all = AnalyticsFilter::default();

    // Seed 000: units and money per (date, category) are sales_by_category's.
    let ours: BTreeMap<(String, String), (i64, i64)> = w
        .analytics::<SalesByCategory>(&all, &())
        .await
        .expect("sales_by_category")
        .into_iter()
        .map(|r| ((r.date, r.category), (r.units, r.revenue_cents)))
        .collect();
    assert!(ours.len() > 1, "some dates and categories to compare");
    let sql = for_target(SEED000_AMOUNT_PER_CATEGORY, SEED000_DATASET, &target);
    let theirs: BTreeMap<(String, String), (i64, i64)> = run
        .rows(&sql)
        .await
        .iter()
        .map(|r| {
            (
                (text(&r[0]).to_string(), text(&r[1]).to_string()),
                (int(&r[2]), float_cents(&r[3])),
            )
        })
        .collect();
    assert_eq!(theirs, ours, "seed 000's amount per category");

    // Seed 000's names on inventory: negative stocks per hour are stock_by_hour's, with the
    // hour a two-digit string, and every row balances.
    let ours: BTreeMap<(String, String), i64> = w
        .analytics::<StockByHour>(&all, &())
        .await
        .expect("stock_by_hour")
        .into_iter()
        .map(|r| ((r.date, format!("{:02}", r.hour)), r.negative_stock))
        .collect();
    let sql = for_target(SEED000_NEGATIVE_STOCK, SEED000_DATASET, &target);
    let rows = run.rows(&sql).await;
    assert!(rows.iter().all(|r| int(&r[3]) == 0), "stock balances");
    let theirs: BTreeMap<(String, String), i64> = rows
        .iter()
        .map(|r| ((text(&r[0]).into(), text(&r[1]).into()), int(&r[2])))
        .collect();
    assert_eq!(theirs, ours, "seed 000's final_stock below zero");
    assert!(
        ours.values().any(|&n| n > 0),
        "some negative stock to count"
    );

    // Seed 002: the dashboard's rows, summed as its pandas code sums them, give our revenue
    // and units per state, per category and per date.
    let rows = run.rows(&seed002_dashboard(&target)).await;
    let lines: i64 = w
        .analytics::<BasketStatsQuery>(&all, &())
        .await
        .expect("basket_stats")
        .iter()
        .map(|d| d.lines)
        .sum();
    assert_eq!(rows.len() as i64, lines, "one row per sales line");
    let mut by_state: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    let mut by_category: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    let mut by_date: BTreeMap<String, f64> = BTreeMap::new();
    for r in &rows {
        let (quantity, revenue) = (int(&r[1]), text(&r[14]).parse::<f64>().expect("revenue"));
        let location = text(&r[6]);
        let state = text(&r[15]);
        assert!(
            location.ends_with(&format!(", {state}")),
            "{location} / {state}"
        );
        let day = timestamp_date(&r[3]);
        let date = text(&r[9]);
        assert_eq!(date, day.to_string(), "txn_date is the timestamp's date");
        assert_eq!(text(&r[12]), day.format("%B").to_string(), "month_name");
        assert_eq!(text(&r[13]), day.format("%A").to_string(), "dow of {date}");
        let e = by_state.entry(state.to_string()).or_default();
        e.0 += quantity;
        e.1 += revenue;
        let e = by_category.entry(text(&r[5]).to_string()).or_default();
        e.0 += quantity;
        e.1 += revenue;
        *by_date.entry(date.to_string()).or_default() += revenue;
    }
    let cents = |m: BTreeMap<String, (i64, f64)>| -> BTreeMap<String, (i64, i64)> {
        m.into_iter()
            .map(|(k, (u, r))| (k, (u, (r * 100.0).round() as i64)))
            .collect()
    };
    let mut ours: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in w
        .analytics::<RevenueByStore>(&all, &())
        .await
        .expect("revenue_by_store")
    {
        let e = ours.entry(r.state).or_default();
        e.0 += r.units;
        e.1 += r.revenue_cents;
    }
    assert_eq!(cents(by_state), ours, "seed 002's revenue per state");
    let mut ours: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in w
        .analytics::<SalesByCategory>(&all, &())
        .await
        .expect("sales")
    {
        let e = ours.entry(r.category).or_default();
        e.0 += r.units;
        e.1 += r.revenue_cents;
    }
    assert_eq!(cents(by_category), ours, "seed 002's revenue per category");
    let ours: BTreeMap<String, i64> = w
        .analytics::<BasketStatsQuery>(&all, &())
        .await
        .expect("basket_stats")
        .into_iter()
        .map(|d| (d.date, d.revenue_cents))
        .collect();
    let by_date: BTreeMap<String, i64> = by_date
        .into_iter()
        .map(|(d, r)| (d, (r * 100.0).round() as i64))
        .collect();
    assert_eq!(by_date, ours, "seed 002's revenue per day");
}

/// Events stamped today (UTC), from the first second of the day: seed 003's queries read
/// `CURRENT_DATE()`. Every other order, inventory change and activity is delivered twice
/// (the same message again, as Pub/Sub redelivers), so only reading one row per event_id
/// gives the totals.
pub fn todays_events(count: u64) -> (SinkBatch, SinkBatch) {
    let world = Arc::new(World::new(42, &Scale::preset(ScaleName::Small)));
    let generator = EventGenerator::new(
        Arc::new(EventPools::new(world)),
        "seed-compat",
        &EventType::ALL,
    );
    let midnight = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis();
    let mut first = SinkBatch {
        ingested_at: Some(EventTime::now()),
        ..SinkBatch::default()
    };
    let mut again = first.clone();
    for seq in 0..count {
        let event = generator.event(seq, EventTime::from_millis(midnight + seq as i64 * 1000));
        let ty = event.event_type().as_str().to_string();
        let meta = RowMetadata {
            subscription_name: Some(format!("projects/rp-test/subscriptions/{ty}-to-bigquery")),
            message_id: Some(format!("m-{seq}")),
            publish_time: Some(EventTime::from_millis(midnight + seq as i64 * 1000 + 7)),
            attributes: Some(BTreeMap::from([("event_type".to_string(), ty)])),
        };
        if seq % 2 == 0 {
            again.push_event(event.clone(), meta.clone());
        }
        first.push_event(event, meta);
    }
    (first, again)
}

/// Writes both deliveries, then checks seeds 001 and 003 against the events of `first`.
pub async fn check_stream_seeds(sink: &dyn EventSink, run: &dyn Runner, count: u64) {
    let target = run.target();
    let (first, again) = todays_events(count);
    assert!(!first.orders.is_empty() && !first.inventory.is_empty());
    assert!(!first.user_activity.is_empty() && !again.orders.is_empty());
    sink.write(Arc::new(first.clone())).await.expect("write");
    sink.write(Arc::new(again)).await.expect("redelivery");
    let events_date = |t: EventTime| t.datetime().expect("time").date_naive();

    // Seed 003's customer orders (the last 30 days: every order here).
    let mut want: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for o in &first.orders {
        let e = want.entry(o.customer_id.clone()).or_default();
        e.0 += 1;
        e.1 += o.total_amount.0;
    }
    let sql = for_target(SEED003_CUSTOMER_ORDERS, SEED003_DATASET, &target);
    let got: BTreeMap<String, (i64, i64)> = run
        .rows(&sql)
        .await
        .iter()
        .map(|r| (text(&r[0]).to_string(), (int(&r[1]), float_cents(&r[2]))))
        .collect();
    assert_eq!(got, want, "seed 003's customer order analysis");

    // Seed 003's inventory movement of today: asked again if the day turned while it ran, so
    // that the events' day and CURRENT_DATE() are compared on the same day.
    let sql = for_target(SEED003_INVENTORY_MOVEMENT, SEED003_DATASET, &target);
    let (today, rows) = loop {
        let before = chrono::Utc::now().date_naive();
        let rows = run.rows(&sql).await;
        if chrono::Utc::now().date_naive() == before {
            break (before, rows);
        }
    };
    let mut want: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for i in first
        .inventory
        .iter()
        .filter(|i| events_date(i.event_time) == today)
    {
        let e = want
            .entry((i.store_id.clone(), i.product_id.clone()))
            .or_default();
        e.0 += i64::from(i.quantity_change);
        e.1 += 1;
    }
    let got: BTreeMap<(String, String), (i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                (text(&r[0]).to_string(), text(&r[1]).to_string()),
                (int(&r[2]), int(&r[3])),
            )
        })
        .collect();
    assert_eq!(got, want, "seed 003's inventory movement");

    // Seed 003's user activity funnel (the last 7 days): anonymous sessions have no user_id.
    let mut want: BTreeMap<String, (i64, BTreeSet<String>)> = BTreeMap::new();
    for u in &first.user_activity {
        let e = want
            .entry(u.activity_type.as_str().to_string())
            .or_default();
        e.0 += 1;
        e.1.extend(u.customer_id.clone());
    }
    let want: BTreeMap<String, (i64, i64)> = want
        .into_iter()
        .map(|(k, (n, users))| (k, (n, users.len() as i64)))
        .collect();
    let sql = for_target(SEED003_USER_FUNNEL, SEED003_DATASET, &target);
    let got: BTreeMap<String, (i64, i64)> = run
        .rows(&sql)
        .await
        .iter()
        .map(|r| (text(&r[0]).to_string(), (int(&r[1]), int(&r[2]))))
        .collect();
    assert_eq!(got, want, "seed 003's user activity funnel");

    // Seed 001's sales by store: transactions, money and items, each order once; the average
    // item price is the amount over the items, to the cent.
    let mut want: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for o in &first.orders {
        let e = want.entry(o.store_id.clone()).or_default();
        e.0 += 1;
        e.1 += o.total_amount.0;
        e.2 += o.items.iter().map(|i| i64::from(i.quantity)).sum::<i64>();
    }
    let sql = for_target(SEED001_SALES_BY_STORE, SEED001_DATASET, &target);
    let rows = run.rows(&sql).await;
    let got: BTreeMap<String, (i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                text(&r[0]).to_string(),
                (int(&r[1]), float_cents(&r[2]), int(&r[3])),
            )
        })
        .collect();
    assert_eq!(got, want, "seed 001's sales by store");
    for r in &rows {
        let (sales, priced) = (float_cents(&r[2]), float_cents(&r[4]));
        // Each order's average is rounded to the cent: at most half a cent off per item.
        let items = int(&r[3]);
        assert!(
            (sales - priced).abs() <= items / 2 + 1,
            "average_item_price x total_items is the amount: {r:?}"
        );
    }
}
