-- The external tables of 01_external_tables.sql over a Parquet lake (--lake-format parquet):
-- the same names and Hive partitioning, each file's columns and types read from the file
-- itself (Parquet carries them: DATE, TIMESTAMP in UTC, money as NUMERIC from
-- DECIMAL(12,2)), so no column list is written here. For console users only, as there.

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.product_catalog_ext`
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'PARQUET',
    uris = ['gs://${bucket}/product_catalog/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/product_catalog'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.stores_ext`
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'PARQUET',
    uris = ['gs://${bucket}/stores/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/stores'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.sales_data_ext`
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'PARQUET',
    uris = ['gs://${bucket}/sales_data/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/sales_data'
);

CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.inventory_data_ext`
WITH PARTITION COLUMNS (date DATE, hour INT64)
OPTIONS (
    format = 'PARQUET',
    uris = ['gs://${bucket}/inventory_data/*'],
    hive_partition_uri_prefix = 'gs://${bucket}/inventory_data'
);

-- The alert files carry their own date and hour columns, which BigQuery does not allow beside
-- Hive partition keys of the same names: this one reads the files as they are.
CREATE OR REPLACE EXTERNAL TABLE `${project}.${dataset}.negative_inventory_alerts_ext`
OPTIONS (
    format = 'PARQUET',
    uris = ['gs://${bucket}/negative_inventory_alerts/*']
);
