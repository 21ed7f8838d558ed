-- Moves the watermark to this hour if it is newer; a late-arriving older hour leaves it be.
INSERT INTO refresh_watermark (id, date, hour, updated_at)
VALUES (1, {{date}}, {{hour}}, {{ingested_at}})
ON CONFLICT (id) DO UPDATE
SET date = excluded.date, hour = excluded.hour, updated_at = excluded.updated_at
WHERE excluded.date + excluded.hour * INTERVAL 1 HOUR
    > refresh_watermark.date + refresh_watermark.hour * INTERVAL 1 HOUR;
