-- Replaces a batch of hours of a fact table ({{managed}}: sales or inventory) with the rows
-- of their verified lake files, read in one call: the files are staged in Hive layout, so each
-- row gets its partition's date and hour from its path. Runs inside the caller's transaction.
-- Delete-then-insert makes it idempotent: running it again, or after a crash halfway, leaves
-- exactly one copy of each hour. The partitions placeholder is the batch's (date, hour) pairs
-- as a predicate.
DELETE FROM {{managed}} WHERE {{partitions}};

INSERT INTO {{managed}} BY NAME
SELECT *, {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
