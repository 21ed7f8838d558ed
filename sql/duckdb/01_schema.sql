-- Managed tables and refresh state of the embedded warehouse.
--
-- Created once and never dropped or recreated: history lives here, and the lake may have
-- aged out the partitions it came from. Names and columns match sql/bigquery/.
-- Money is DECIMAL(12,2) (BigQuery NUMERIC); timestamps are TIMESTAMP in UTC (no session time zone involved).

-- Dimensions: the current state, one row per id, merged from the newest complete partition.
-- `date`/`hour` say which partition that state came from, so an older partition that arrives
-- late never overwrites a newer one. Keyed by id, so joins never double count.
CREATE TABLE IF NOT EXISTS product_catalog_managed (
    product_id    VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    category      VARCHAR NOT NULL,
    brand         VARCHAR,
    unit_price    DECIMAL(12, 2) NOT NULL,
    list_price    DECIMAL(12, 2),
    cost_price    DECIMAL(12, 2),
    supplier_id   VARCHAR,
    supplier_name VARCHAR,
    date          DATE NOT NULL,
    hour          INTEGER NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS stores_managed (
    store_id    VARCHAR PRIMARY KEY,
    store_name  VARCHAR,
    city        VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,
    format      VARCHAR,
    size_sqft   BIGINT,
    manager     VARCHAR,
    opened_on   DATE,
    date        DATE NOT NULL,
    hour        INTEGER NOT NULL,
    ingested_at TIMESTAMP NOT NULL
);

-- Facts: the lake's columns plus the partition (date, hour) and when it was loaded. No key
-- index on purpose: an index would grow with the history and slow every load; idempotence
-- comes from replacing whole partitions (merge/*.sql), and min/max zone maps on date and
-- hour keep those partition deletes cheap.
CREATE TABLE IF NOT EXISTS sales_data_managed (
    transaction_id VARCHAR NOT NULL,
    line_number    INTEGER NOT NULL,
    sold_at        TIMESTAMP NOT NULL,
    store_id       VARCHAR NOT NULL,
    product_id     VARCHAR NOT NULL,
    customer_id    VARCHAR,
    quantity       INTEGER NOT NULL,
    unit_price     DECIMAL(12, 2) NOT NULL,
    total_amount   DECIMAL(12, 2) NOT NULL,
    payment_method VARCHAR,
    date           DATE NOT NULL,
    hour           INTEGER NOT NULL,
    ingested_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS inventory_data_managed (
    store_id      VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    opening_stock INTEGER NOT NULL,
    restocked     INTEGER NOT NULL,
    returned      INTEGER NOT NULL,
    -- What the weekly count corrected (generator 3): closing = opening + restocked +
    -- returned + adjusted - units_sold.
    adjusted      INTEGER NOT NULL DEFAULT 0,
    units_sold    INTEGER NOT NULL,
    closing_stock INTEGER NOT NULL,
    par_level     INTEGER,
    date          DATE NOT NULL,
    hour          INTEGER NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
);
-- A warehouse made before generator 3 gains the column; its rows had no corrections.
ALTER TABLE inventory_data_managed ADD COLUMN IF NOT EXISTS adjusted INTEGER DEFAULT 0;

-- One row per (date, hour, store, product) whose closing stock went below zero; the alert
-- file carries its own date and hour, which the load checks against the partition's.
CREATE TABLE IF NOT EXISTS negative_inventory_alerts (
    alert_id      VARCHAR NOT NULL,
    date          DATE NOT NULL,
    hour          INTEGER NOT NULL,
    store_id      VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    opening_stock INTEGER NOT NULL,
    restocked     INTEGER NOT NULL,
    returned      INTEGER NOT NULL,
    units_sold    INTEGER NOT NULL,
    closing_stock INTEGER NOT NULL,
    detected_at   TIMESTAMP NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
);

-- Every lake partition loaded, with the manifest's checksum of what was loaded. A fact hour
-- is loaded when its sales_data row is here (its three fact tables load in one transaction).
CREATE TABLE IF NOT EXISTS partition_state (
    table_name VARCHAR NOT NULL,
    date       DATE NOT NULL,
    hour       INTEGER NOT NULL,
    rows       BIGINT NOT NULL,
    crc32c     VARCHAR NOT NULL,
    loaded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (table_name, date, hour)
);

-- The newest fact hour loaded. Older hours may still arrive late; partition_state says
-- which ones are in.
CREATE TABLE IF NOT EXISTS refresh_watermark (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    date       DATE NOT NULL,
    hour       INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
