-- Stands in for an `_ext` view whose lake table has no files yet (DuckDB refuses to create a view
-- over a glob that matches nothing): the same columns, no rows. The refresh replaces it with
-- the real view once the lake has data.
CREATE OR REPLACE VIEW {{view}} AS
SELECT * EXCLUDE (ingested_at) FROM {{managed}} WHERE false;
