-- Replaces one hour of inventory_data_managed with the rows of its verified lake files.
-- Runs inside the caller's per-hour transaction. Delete-then-insert makes it idempotent:
-- running it again, or after a crash halfway, leaves exactly one copy of the hour.
DELETE FROM inventory_data_managed WHERE date = {{date}} AND hour = {{hour}};

INSERT INTO inventory_data_managed BY NAME
SELECT *, {{date}} AS date, {{hour}} AS hour, {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
