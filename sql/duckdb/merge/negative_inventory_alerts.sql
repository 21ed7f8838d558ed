-- Replaces a batch of hours of negative_inventory_alerts with the rows of their verified lake
-- files, read in one call. Runs inside the caller's transaction; delete-then-insert makes it
-- idempotent. The partitions placeholder is the batch's (date, hour) pairs as a predicate.
-- An alert file carries its own date and hour, which must be its partition's (the reader
-- gives the partition of each row's staged path too): a row of another hour fails the batch,
-- and then its hour alone, instead of landing in the wrong partition.
SELECT CASE WHEN count(*) > 0
    THEN error('negative_inventory_alerts: ' || count(*) || ' rows are not of partition '
        || CAST(min(partition_date) AS VARCHAR) || ' hour ' || min(partition_hour))
    END
FROM {{reader}}({{files}})
WHERE date IS DISTINCT FROM partition_date OR hour IS DISTINCT FROM partition_hour;

DELETE FROM negative_inventory_alerts WHERE {{partitions}};

INSERT INTO negative_inventory_alerts BY NAME
SELECT * EXCLUDE (partition_date, partition_hour), {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
