//! Seeds 003's and 004's own event payloads, copied from their repositories, for the tests that
//! publish them (tests/seed_payloads.rs, tests/gcp_end_to_end.rs).

/// Seed 003's manual test events, verbatim: mhassan01/gcp-realtime-data-pipeline,
/// docs/deployment-guide.md, "Manual Testing / 1. Publish Test Events".
pub const SEED003_GUIDE: [&str; 3] = [
    r#"{
  "event_type": "order",
  "order_id": "test-order-001",
  "customer_id": "customer-123",
  "order_date": "2024-01-15T10:30:00Z",
  "status": "pending",
  "items": [
    {
      "product_id": "prod-001",
      "product_name": "Test Product",
      "quantity": 2,
      "price": 29.99
    }
  ],
  "shipping_address": {
    "street": "123 Test St",
    "city": "Test City",
    "country": "US"
  },
  "total_amount": 59.98
}"#,
    r#"{
  "event_type": "inventory",
  "inventory_id": "inv-001",
  "product_id": "prod-001",
  "warehouse_id": "wh-us-central",
  "quantity_change": -2,
  "reason": "sale",
  "timestamp": "2024-01-15T10:35:00Z"
}"#,
    r#"{
  "event_type": "user_activity",
  "user_id": "user-123",
  "activity_type": "view_product",
  "ip_address": "192.168.1.100",
  "user_agent": "Mozilla/5.0 Test Browser",
  "timestamp": "2024-01-15T10:40:00Z",
  "metadata": {
    "session_id": "sess-123",
    "platform": "web"
  }
}"#,
];

/// Seed 003's event generator's output, as `json.dumps` writes what
/// cloud-functions/event-generator/main.py's `generate_*_event` return (its values, its key
/// order, `datetime.utcnow().isoformat() + "Z"` times with microseconds, a total rounded to
/// cents from float products).
pub const SEED003_GENERATOR: [&str; 3] = [
    r#"{"event_type": "order", "order_id": "ord-1a2b3c4d", "customer_id": "customer-042", "order_date": "2026-12-04T20:11:05.123456Z", "status": "shipped", "items": [{"product_id": "prod-001", "product_name": "Laptop Computer", "quantity": 3, "price": 999.99}, {"product_id": "prod-007", "product_name": "Water Bottle", "quantity": 2, "price": 24.99}], "shipping_address": {"street": "4821 Maple St", "city": "San Jose", "country": "JP"}, "total_amount": 3049.95}"#,
    r#"{"event_type": "inventory", "inventory_id": "inv-9f8e7d6c", "product_id": "prod-004", "warehouse_id": "wh-eu-west", "quantity_change": -7, "reason": "damage", "timestamp": "2026-12-04T20:01:44.654321Z"}"#,
    r#"{"event_type": "user_activity", "user_id": "user-0815", "activity_type": "add_to_cart", "ip_address": "197.12.240.7", "user_agent": "Mozilla/5.0 (Android 11; Mobile; rv:89.0) Gecko/89.0 Firefox/89.0", "timestamp": "2026-12-04T20:09:59.000001Z", "metadata": {"session_id": "sess-0a1b2c3d4e5f", "platform": "tablet"}}"#,
];

/// Seed 004's simulated messages, verbatim: paulobevilaqua/re-case, simulated_messages.ps1.
pub const SEED004: [&str; 4] = [
    r#"{"event_type":"order","order_id":"test-order-003","customer_id":"cust-xyz","order_date":"2025-02-24T12:30:00Z","status":"processing","items":[{"product_id":"p3","product_name":"AnotherWidget","quantity":5,"price":8.00}],"shipping_address":{"street":"456 Another St","city":"AnotherCity","country":"AnotherCountry"},"total_amount":40.00}"#,
    r#"{"event_type":"inventory","inventory_id":"inv-002","product_id":"p1","warehouse_id":"wh-1","quantity_change":20,"reason":"restock","timestamp":"2025-02-23T11:00:00Z"}"#,
    r#"{"event_type":"user_activity","user_id":"user-456","activity_type":"login","ip_address":"192.168.0.10","user_agent":"Mozilla/5.0","timestamp":"2025-02-23T09:15:00Z","metadata":{"session_id":"sess-a1b2c3","platform":"web"}}"#,
    r#"{"event_type":"user_activity","user_id":"user-321","activity_type":"view_product","ip_address":"10.0.0.55","user_agent":"Mozilla/5.0 (Mobile)","timestamp":"2025-02-24T16:45:00Z","metadata":{"session_id":"sess-d4e5f6","platform":"mobile"}}"#,
];

/// A seed-shaped order whose total is not the sum of its lines: a named dead letter.
pub const SEED_BAD_TOTAL: &str = r#"{"event_type":"order","order_id":"bad-total-1","customer_id":"c","order_date":"2025-02-24T12:30:00Z","status":"pending","items":[{"product_id":"p","product_name":"n","quantity":2,"price":1.50}],"shipping_address":{"street":"s","city":"c","country":"US"},"total_amount":4.00}"#;
