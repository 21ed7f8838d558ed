-- Rows and a content fingerprint of one managed table: the sum of its rows' hashes, ingestion
-- time left out. Equal fingerprints mean equal contents (a duplicated row changes the sum).
SELECT count(*) AS rows, CAST(coalesce(sum(hash(t)), 0) AS VARCHAR) AS fingerprint
FROM (SELECT * EXCLUDE (ingested_at) FROM {{table}}) AS t;
