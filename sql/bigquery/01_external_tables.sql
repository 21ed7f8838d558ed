-- External tables over the lake bucket with Hive partitioning (seed 000): the `date=` and
-- `hour=` directories become the `date` and `hour` columns. For console users only: the
-- service never reads them (refresh loads verified bytes through load jobs), and no emulator
-- supports external tables, so `open` does not run this file. `${bucket}` is the lake bucket.
-- Unlike the DuckDB `_ext` views these see every file, including hours whose manifests are
-- not written yet.

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.product_catalog_ext` (
    product_id STRING, name STRING, category STRING, brand STRING, unit_price NUMERIC,
    list_price NUMERIC, cost_price NUMERIC, supplier_id STRING, supplier_name STRING
)
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'CSV', skip_leading_rows = 1,
    uris = ['gs://${bucket}/product_catalog/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/product_catalog'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.stores_ext` (
    store_id STRING, store_name STRING, city STRING, state STRING, format STRING,
    size_sqft INT64, manager STRING, opened_on DATE
)
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'CSV', skip_leading_rows = 1,
    uris = ['gs://${bucket}/stores/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/stores'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.sales_data_ext` (
    transaction_id STRING, line_number INT64, sold_at TIMESTAMP, store_id STRING,
    product_id STRING, customer_id STRING, quantity INT64, unit_price NUMERIC,
    total_amount NUMERIC, payment_method STRING
)
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'CSV', skip_leading_rows = 1,
    uris = ['gs://${bucket}/sales_data/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/sales_data'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.inventory_data_ext` (
    store_id STRING, product_id STRING, opening_stock INT64, restocked INT64,
    returned INT64, adjusted INT64, units_sold INT64, closing_stock INT64, par_level INT64
)
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'CSV', skip_leading_rows = 1,
    uris = ['gs://${bucket}/inventory_data/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/inventory_data'
);

-- The alert files carry their own date and hour columns (equal to the partition's by the data
-- contract), which BigQuery does not allow beside Hive partition keys of the same names: this
-- one reads the files as they are.
CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.negative_inventory_alerts_ext` (
    alert_id STRING, date DATE, hour INT64, store_id STRING, product_id STRING,
    opening_stock INT64, restocked INT64, returned INT64, units_sold INT64,
    closing_stock INT64, detected_at TIMESTAMP
)
OPTIONS (
    format = 'CSV', skip_leading_rows = 1,
    uris = ['gs://${bucket}/negative_inventory_alerts/*']
);
