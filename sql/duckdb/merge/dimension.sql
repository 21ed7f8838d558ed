-- Merges one partition of a dimension into {{managed}}, its current state keyed by id (the
-- managed table's primary key). The caller only passes a partition newer than the one the
-- current state came from, so a late-arriving older hour never rolls the dimension back. Ids
-- absent from the partition keep their last known row. Idempotent: merging the same
-- partition again changes nothing but ingested_at. The reader takes date and hour from the
-- staged file's Hive path.
INSERT OR REPLACE INTO {{managed}} BY NAME
SELECT *, {{ingested_at}} AS ingested_at
FROM {{reader}}({{files}});
