-- Compatibility views for the seeds' own queries: each seed's tables under the names, columns
-- and types its published SQL reads, over this warehouse's tables. Read-only; nothing here is
-- written by the pipeline, and our own analytics never read these views.
--
-- They live in their own schema, seed_compat, because seed 000's names (sales_data_managed,
-- product_catalog_managed, inventory_data_managed) are our managed tables' names with other
-- columns. A seed query runs with only its project.dataset replaced by seed_compat
-- (`seed_compat.sales_data_managed`). Every table below is qualified with main., so that a
-- view never reads itself. sql/bigquery/08_seed_compat.sql is the same in GoogleSQL.
--
-- Columns a seed has and we have no counterpart for are NULL, of the seed's type (listed per
-- view). The stream views read the typed stream tables one row per event_id (the first
-- delivery, as order_events_clean does): delivery is at least once.

CREATE SCHEMA IF NOT EXISTS seed_compat;

-- Seed 000: its managed tables held one CSV partition per (date, hour) with `date` and `hour`
-- as STRINGs ('2026-11-20', '05'), money as FLOAT64, and names of its own
-- (units_sold, total_ammount_paid, in_stock, final_stock).
-- No counterpart (NULL): order_country, discount_applied. Extra, at the end: store_id and
-- line_number (our baskets have several lines under one transaction_id).
CREATE OR REPLACE VIEW seed_compat.sales_data_managed AS
SELECT
    CAST(s.date AS VARCHAR) AS transaction_date,
    lpad(CAST(s.hour AS VARCHAR), 2, '0') AS transaction_hour,
    s.transaction_id,
    s.customer_id,
    CAST(NULL AS VARCHAR) AS order_country,
    s.product_id,
    CAST(s.unit_price AS DOUBLE) AS unit_price,
    CAST(s.quantity AS BIGINT) AS units_sold,
    CAST(NULL AS DOUBLE) AS discount_applied,
    CAST(s.total_amount AS DOUBLE) AS total_ammount_paid,
    CAST(s.date AS VARCHAR) AS date,
    lpad(CAST(s.hour AS VARCHAR), 2, '0') AS hour,
    CAST(s.date AS TIMESTAMP) AS date_tmsp,
    s.store_id,
    s.line_number
FROM main.sales_data_managed AS s;

-- Seed 000's catalog was written every hour and its analytics join sales to it
-- USING (date, product_id). Ours is one current state per product (what our analytics join),
-- so here it is repeated once for every loaded date: the seed's join then finds each product
-- once per date and counts nothing twice. ingestion_date/ingestion_hour say which lake
-- partition the state came from; `hour` has no single value for a whole date: NULL.
-- No counterpart (NULL): category_id, description, tags, hour.
CREATE OR REPLACE VIEW seed_compat.product_catalog_managed AS
WITH loaded_dates AS (
    SELECT DISTINCT date FROM main.partition_state WHERE table_name = 'sales_data'
)
SELECT
    CAST(p.date AS VARCHAR) AS ingestion_date,
    lpad(CAST(p.hour AS VARCHAR), 2, '0') AS ingestion_hour,
    p.product_id,
    p.name AS product_name,
    CAST(NULL AS VARCHAR) AS category_id,
    p.category AS category_name,
    p.brand,
    CAST(NULL AS VARCHAR) AS description,
    CAST(p.unit_price AS DOUBLE) AS unit_price,
    p.supplier_name,
    CAST(NULL AS VARCHAR) AS tags,
    CAST(d.date AS VARCHAR) AS date,
    CAST(NULL AS VARCHAR) AS hour,
    CAST(d.date AS TIMESTAMP) AS date_tmsp
FROM main.product_catalog_managed AS p
CROSS JOIN loaded_dates AS d;

-- Seed 000 counted stock per product; ours is per (store, product), so a row here is one
-- store's product (store_id added at the end): sum over store_id for the seed's figure.
CREATE OR REPLACE VIEW seed_compat.inventory_data_managed AS
SELECT
    CAST(i.date AS VARCHAR) AS inventory_date,
    lpad(CAST(i.hour AS VARCHAR), 2, '0') AS inventory_hour,
    i.product_id,
    CAST(i.opening_stock AS BIGINT) AS in_stock,
    CAST(i.restocked AS BIGINT) AS new_product,
    CAST(i.returned AS BIGINT) AS returned_product,
    CAST(i.units_sold AS BIGINT) AS units_sold,
    CAST(i.closing_stock AS BIGINT) AS final_stock,
    CAST(i.date AS VARCHAR) AS date,
    lpad(CAST(i.hour AS VARCHAR), 2, '0') AS hour,
    CAST(i.date AS TIMESTAMP) AS date_tmsp,
    i.store_id
FROM main.inventory_data_managed AS i;

-- Seed 001: sales_cleaned, one row per transaction with its item count and average item
-- price (rounded to cents, as the seed's round(x, 2)); money as FLOAT64. Our orders are its
-- transactions: order_events_clean, already one per event_id.
CREATE OR REPLACE VIEW seed_compat.sales_cleaned AS
SELECT
    c.order_id AS transaction_id,
    c.event_time AS "timestamp",
    c.store_id,
    CAST(c.total_items AS BIGINT) AS total_items,
    CAST(c.avg_item_price AS DOUBLE) AS average_item_price,
    CAST(c.total_amount AS DOUBLE) AS amount
FROM main.order_events_clean AS c;

-- Seed 002: the dbt model its dashboard reads, one row per sales line joined (inner, as the
-- model) to its product and store. `location` is 'City, ST' as the seed's stores spelled it
-- (its dashboard splits the state code off after the comma); `size` is the floor area.
CREATE OR REPLACE VIEW seed_compat.mv_retail_transactions AS
SELECT
    t.transaction_id,
    CAST(t.quantity AS BIGINT) AS quantity,
    CAST(t.unit_price AS DOUBLE) AS unit_price,
    t.sold_at AS "timestamp",
    p.name,
    p.category,
    s.city || ', ' || s.state AS location,
    s.size_sqft AS size,
    s.manager
FROM main.sales_data_managed AS t
JOIN main.product_catalog_managed AS p ON t.product_id = p.product_id
JOIN main.stores_managed AS s ON t.store_id = s.store_id;

-- Seed 003: its Dataflow tables, named orders, inventory and user_activity, with event_date
-- (the event's UTC day), warehouse_id (our store_id) and user_id (our customer_id).
-- processed_timestamp is when Pub/Sub accepted the message (publish_time), the nearest we
-- keep to the seed's processing time. items and shipping_address stay JSON (the seed had
-- ARRAY<STRUCT> and STRUCT): an item's price is `unit_price`, the address also has state and
-- postal_code. Not here: store_id, payment_method, currency (read order_events).
CREATE OR REPLACE VIEW seed_compat.orders AS
SELECT
    o.event_type,
    o.order_id,
    o.customer_id,
    o.event_time AS order_date,
    o.status,
    o.items,
    o.shipping_address,
    CAST(o.total_amount AS DOUBLE) AS total_amount,
    o.publish_time AS processed_timestamp,
    CAST(o.event_time AS DATE) AS event_date
FROM main.order_events AS o
QUALIFY row_number() OVER (PARTITION BY o.event_id ORDER BY o.publish_time NULLS LAST, o.message_id) = 1;

-- inventory_id is our event_id (one id per change, as the seed's).
CREATE OR REPLACE VIEW seed_compat.inventory AS
SELECT
    i.event_type,
    i.event_id AS inventory_id,
    i.product_id,
    i.store_id AS warehouse_id,
    i.quantity_change,
    i.reason,
    i.event_time AS "timestamp",
    i.publish_time AS processed_timestamp,
    CAST(i.event_time AS DATE) AS event_date
FROM main.inventory_events AS i
QUALIFY row_number() OVER (PARTITION BY i.event_id ORDER BY i.publish_time NULLS LAST, i.message_id) = 1;

-- user_id is NULL for anonymous sessions (the seed's was required): COUNT(DISTINCT user_id)
-- counts signed-in shoppers. ip_address and user_agent come out of our metadata; the seed's
-- metadata STRUCT<session_id, platform> is our session_id and device (desktop, mobile,
-- tablet). Not here: page, product_id, search_query (read user_activity_events).
CREATE OR REPLACE VIEW seed_compat.user_activity AS
SELECT
    u.event_type,
    u.customer_id AS user_id,
    u.activity_type,
    u.metadata ->> 'ip_address' AS ip_address,
    u.metadata ->> 'user_agent' AS user_agent,
    u.event_time AS "timestamp",
    struct_pack(session_id := u.session_id, platform := u.metadata ->> 'device') AS metadata,
    u.publish_time AS processed_timestamp,
    CAST(u.event_time AS DATE) AS event_date
FROM main.user_activity_events AS u
QUALIFY row_number() OVER (PARTITION BY u.event_id ORDER BY u.publish_time NULLS LAST, u.message_id) = 1;
