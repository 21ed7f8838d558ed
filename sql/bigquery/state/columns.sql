-- Every column of the dataset's tables and views, ordered by table then position: the schema
-- that must match the DuckDB warehouse's (tests/snapshots/warehouse_schema__*.snap).
SELECT table_name, column_name, data_type
FROM `${project}.${dataset}.INFORMATION_SCHEMA.COLUMNS`
ORDER BY table_name, ordinal_position;
