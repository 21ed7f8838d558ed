-- Replaces a batch of hours of inventory_data_managed with the rows of their verified lake files,
-- read in one call: the files are staged in Hive layout, so each row gets its partition's
-- date and hour from its path. Runs inside the caller's transaction. Delete-then-insert
-- makes it idempotent: running it again, or after a crash halfway, leaves exactly one copy
-- of each hour. The partitions placeholder is the batch's (date, hour) pairs as a predicate.
DELETE FROM inventory_data_managed WHERE {{partitions}};

INSERT INTO inventory_data_managed BY NAME
SELECT *, {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
