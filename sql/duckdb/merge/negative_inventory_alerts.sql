-- Replaces one hour of negative_inventory_alerts with the rows of its verified lake files.
-- Runs inside the caller's per-hour transaction; delete-then-insert makes it idempotent.
-- The file's own date and hour must be the partition's: a row of another hour fails the
-- whole hour instead of landing in the wrong partition.
SELECT CASE WHEN count(*) > 0
    THEN error('negative_inventory_alerts: ' || count(*) || ' rows are not of partition '
        || CAST({{date}} AS VARCHAR) || ' hour ' || {{hour}})
    END
FROM {{reader}}({{files}})
WHERE date <> {{date}} OR hour <> {{hour}};

DELETE FROM negative_inventory_alerts WHERE date = {{date}} AND hour = {{hour}};

INSERT INTO negative_inventory_alerts BY NAME
SELECT *, {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
