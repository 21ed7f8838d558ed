-- The newest fact hour loaded, if any.
SELECT CAST(date AS STRING) AS date, hour
FROM `${project}.${dataset}.refresh_watermark`
WHERE id = 1;
