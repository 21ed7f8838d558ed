-- Managed tables and refresh state. Created once and never dropped: history lives here.
-- Names and columns are those of sql/duckdb/01_schema.sql; money is NUMERIC(12, 2), times are
-- TIMESTAMP (UTC). Facts are partitioned by their lake date and clustered by the keys the
-- analytics join and filter on; refresh replaces one (date, hour) at a time.

-- Dimensions: the current state, one row per id, merged from the newest complete partition;
-- `date`/`hour` say which partition that state came from.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.product_catalog_managed` (
    product_id    STRING NOT NULL,
    name          STRING NOT NULL,
    category      STRING NOT NULL,
    brand         STRING,
    unit_price    NUMERIC(12, 2) NOT NULL,
    list_price    NUMERIC(12, 2),
    cost_price    NUMERIC(12, 2),
    supplier_id   STRING,
    supplier_name STRING,
    date          DATE NOT NULL,
    hour          INT64 NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
)
CLUSTER BY product_id, category;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.stores_managed` (
    store_id    STRING NOT NULL,
    store_name  STRING,
    city        STRING NOT NULL,
    state       STRING NOT NULL,
    format      STRING,
    size_sqft   INT64,
    manager     STRING,
    opened_on   DATE,
    date        DATE NOT NULL,
    hour        INT64 NOT NULL,
    ingested_at TIMESTAMP NOT NULL
)
CLUSTER BY store_id, state;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.sales_data_managed` (
    transaction_id STRING NOT NULL,
    line_number    INT64 NOT NULL,
    sold_at        TIMESTAMP NOT NULL,
    store_id       STRING NOT NULL,
    product_id     STRING NOT NULL,
    customer_id    STRING,
    quantity       INT64 NOT NULL,
    unit_price     NUMERIC(12, 2) NOT NULL,
    total_amount   NUMERIC(12, 2) NOT NULL,
    payment_method STRING,
    date           DATE NOT NULL,
    hour           INT64 NOT NULL,
    ingested_at    TIMESTAMP NOT NULL
)
PARTITION BY date
CLUSTER BY store_id, product_id, hour;

CREATE TABLE IF NOT EXISTS `${project}.${dataset}.inventory_data_managed` (
    store_id      STRING NOT NULL,
    product_id    STRING NOT NULL,
    opening_stock INT64 NOT NULL,
    restocked     INT64 NOT NULL,
    returned      INT64 NOT NULL,
    -- What the weekly count corrected (generator 3): closing = opening + restocked +
    -- returned + adjusted - units_sold.
    adjusted      INT64,
    units_sold    INT64 NOT NULL,
    closing_stock INT64 NOT NULL,
    par_level     INT64,
    date          DATE NOT NULL,
    hour          INT64 NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
)
PARTITION BY date
CLUSTER BY store_id, product_id, hour;

-- A dataset made before generator 3 gains the column (NULL in its older rows).
ALTER TABLE `${project}.${dataset}.inventory_data_managed` ADD COLUMN IF NOT EXISTS adjusted INT64;

-- One row per (date, hour, store, product) whose closing stock went below zero.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.negative_inventory_alerts` (
    alert_id      STRING NOT NULL,
    date          DATE NOT NULL,
    hour          INT64 NOT NULL,
    store_id      STRING NOT NULL,
    product_id    STRING NOT NULL,
    opening_stock INT64 NOT NULL,
    restocked     INT64 NOT NULL,
    returned      INT64 NOT NULL,
    units_sold    INT64 NOT NULL,
    closing_stock INT64 NOT NULL,
    detected_at   TIMESTAMP NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
)
PARTITION BY date
CLUSTER BY store_id, product_id, hour;

-- Every lake partition loaded, with the manifest's rows and checksums. A fact hour is loaded
-- when its sales_data row is here (its three fact tables load in one transaction).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.partition_state` (
    table_name STRING NOT NULL,
    date       DATE NOT NULL,
    hour       INT64 NOT NULL,
    `rows`     INT64 NOT NULL,
    crc32c     STRING NOT NULL,
    loaded_at  TIMESTAMP NOT NULL
)
CLUSTER BY table_name, date, hour;

-- The newest fact hour loaded (one row, id = 1). Older hours may still arrive late.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.refresh_watermark` (
    id         INT64 NOT NULL,
    date       DATE NOT NULL,
    hour       INT64 NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
