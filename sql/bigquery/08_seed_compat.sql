-- Compatibility views for the seeds' own queries: each seed's tables under the names, columns
-- and types its published SQL reads, over this warehouse's tables. Read-only; nothing here is
-- written by the pipeline, and our own analytics never read these views. The same views as
-- sql/duckdb/04_seed_compat.sql (see there for each column's mapping), in GoogleSQL.
--
-- They live in a dataset of their own, `${dataset}_seed_compat`, because seed 000's names
-- (sales_data_managed, product_catalog_managed, inventory_data_managed) are our managed
-- tables' names with other columns. A seed query runs with only its project.dataset replaced
-- (`${project}.${dataset}_seed_compat.sales_data_managed`). Whoever queries a view here needs
-- read access to `${dataset}` too (they are not authorized views).
--
-- Written with what bqemulator runs (it is DuckDB underneath): the STRUCT seed 003 keeps its
-- session metadata in is built with STRUCT(... AS ...), strings with CONCAT and LPAD.

CREATE SCHEMA IF NOT EXISTS `${project}.${dataset}_seed_compat`
OPTIONS (location = '${location}', description = 'retail-pipeline: views under the seed projects table names');

-- Seed 000's sales: `date` and `hour` as STRINGs, money as FLOAT64. No counterpart (NULL):
-- order_country, discount_applied. Extra, at the end: store_id, line_number.
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.sales_data_managed` AS
SELECT
    CAST(s.date AS STRING) AS transaction_date,
    LPAD(CAST(s.hour AS STRING), 2, '0') AS transaction_hour,
    s.transaction_id,
    s.customer_id,
    CAST(NULL AS STRING) AS order_country,
    s.product_id,
    CAST(s.unit_price AS FLOAT64) AS unit_price,
    s.quantity AS units_sold,
    CAST(NULL AS FLOAT64) AS discount_applied,
    CAST(s.total_amount AS FLOAT64) AS total_ammount_paid,
    CAST(s.date AS STRING) AS date,
    LPAD(CAST(s.hour AS STRING), 2, '0') AS hour,
    TIMESTAMP(s.date) AS date_tmsp,
    s.store_id,
    s.line_number
FROM `${project}.${dataset}.sales_data_managed` AS s;

-- Seed 000's catalog: our one current state per product, repeated for every loaded date, so
-- the seed's join USING (date, product_id) finds each product once per date. No counterpart
-- (NULL): category_id, description, tags, hour (a whole date has no single hour).
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.product_catalog_managed` AS
WITH loaded_dates AS (
    SELECT DISTINCT date
    FROM `${project}.${dataset}.partition_state`
    WHERE table_name = 'sales_data'
)
SELECT
    CAST(p.date AS STRING) AS ingestion_date,
    LPAD(CAST(p.hour AS STRING), 2, '0') AS ingestion_hour,
    p.product_id,
    p.name AS product_name,
    CAST(NULL AS STRING) AS category_id,
    p.category AS category_name,
    p.brand,
    CAST(NULL AS STRING) AS description,
    CAST(p.unit_price AS FLOAT64) AS unit_price,
    p.supplier_name,
    CAST(NULL AS STRING) AS tags,
    CAST(d.date AS STRING) AS date,
    CAST(NULL AS STRING) AS hour,
    TIMESTAMP(d.date) AS date_tmsp
FROM `${project}.${dataset}.product_catalog_managed` AS p
CROSS JOIN loaded_dates AS d;

-- Seed 000's inventory, one row per store's product (store_id at the end).
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.inventory_data_managed` AS
SELECT
    CAST(i.date AS STRING) AS inventory_date,
    LPAD(CAST(i.hour AS STRING), 2, '0') AS inventory_hour,
    i.product_id,
    i.opening_stock AS in_stock,
    i.restocked AS new_product,
    i.returned AS returned_product,
    i.units_sold,
    i.closing_stock AS final_stock,
    CAST(i.date AS STRING) AS date,
    LPAD(CAST(i.hour AS STRING), 2, '0') AS hour,
    TIMESTAMP(i.date) AS date_tmsp,
    i.store_id
FROM `${project}.${dataset}.inventory_data_managed` AS i;

-- Seed 001's sales_cleaned, from order_events_clean (one row per event_id).
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.sales_cleaned` AS
SELECT
    c.order_id AS transaction_id,
    c.event_time AS `timestamp`,
    c.store_id,
    c.total_items,
    CAST(c.avg_item_price AS FLOAT64) AS average_item_price,
    CAST(c.total_amount AS FLOAT64) AS amount
FROM `${project}.${dataset}.order_events_clean` AS c;

-- Seed 002's dbt model, one row per sales line, inner-joined to its product and store.
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.mv_retail_transactions` AS
SELECT
    t.transaction_id,
    t.quantity,
    CAST(t.unit_price AS FLOAT64) AS unit_price,
    t.sold_at AS `timestamp`,
    p.name,
    p.category,
    CONCAT(s.city, ', ', s.state) AS location,
    s.size_sqft AS size,
    s.manager
FROM `${project}.${dataset}.sales_data_managed` AS t
JOIN `${project}.${dataset}.product_catalog_managed` AS p ON t.product_id = p.product_id
JOIN `${project}.${dataset}.stores_managed` AS s ON t.store_id = s.store_id;

-- Seed 003's orders, inventory and user_activity, one row per event_id (the first delivery).
CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.orders` AS
SELECT
    o.event_type,
    o.order_id,
    o.customer_id,
    o.event_time AS order_date,
    o.status,
    o.items,
    o.shipping_address,
    CAST(o.total_amount AS FLOAT64) AS total_amount,
    o.publish_time AS processed_timestamp,
    DATE(o.event_time) AS event_date
FROM `${project}.${dataset}.order_events` AS o
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY o.event_id ORDER BY o.publish_time IS NULL, o.publish_time, o.message_id
) = 1;

CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.inventory` AS
SELECT
    i.event_type,
    i.event_id AS inventory_id,
    i.product_id,
    i.store_id AS warehouse_id,
    i.quantity_change,
    i.reason,
    i.event_time AS `timestamp`,
    i.publish_time AS processed_timestamp,
    DATE(i.event_time) AS event_date
FROM `${project}.${dataset}.inventory_events` AS i
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY i.event_id ORDER BY i.publish_time IS NULL, i.publish_time, i.message_id
) = 1;

CREATE OR REPLACE VIEW `${project}.${dataset}_seed_compat.user_activity` AS
SELECT
    u.event_type,
    u.customer_id AS user_id,
    u.activity_type,
    JSON_VALUE(u.metadata, '$.ip_address') AS ip_address,
    JSON_VALUE(u.metadata, '$.user_agent') AS user_agent,
    u.event_time AS `timestamp`,
    STRUCT(u.session_id AS session_id, JSON_VALUE(u.metadata, '$.device') AS platform) AS metadata,
    u.publish_time AS processed_timestamp,
    DATE(u.event_time) AS event_date
FROM `${project}.${dataset}.user_activity_events` AS u
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY u.event_id ORDER BY u.publish_time IS NULL, u.publish_time, u.message_id
) = 1;
