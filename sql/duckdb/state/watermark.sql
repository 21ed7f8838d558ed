-- The newest fact hour loaded, if any.
SELECT CAST(date AS VARCHAR) AS date, hour FROM refresh_watermark WHERE id = 1;
