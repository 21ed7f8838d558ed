-- Landing latency (publish_time - event_time, milliseconds) per event type and minute of
-- landing, over the events landed in the last $6 minutes, each event once (its first
-- delivery): count, nearest-rank p50 and p95 (the smallest latency with at least 50% / 95%
-- of the minute's at or below it) and the maximum. Rows without a publish_time are left out.
-- $1, $2: first and last landing date; $4 state (through stores_managed), $5 store_id: user
-- activity (no store) is left out when either is given. $3 (category) does not narrow events.
WITH landed AS (
    SELECT 'order' AS event_type, event_id, store_id, event_time, publish_time, message_id FROM order_events
    UNION ALL
    SELECT 'inventory', event_id, store_id, event_time, publish_time, message_id FROM inventory_events
    UNION ALL
    SELECT 'user_activity', event_id, NULL, event_time, publish_time, message_id FROM user_activity_events
),
recent AS (
    SELECT
        event_type,
        date_trunc('minute', publish_time) AS minute,
        epoch_ms(publish_time) - epoch_ms(event_time) AS latency_ms
    FROM landed
    WHERE publish_time IS NOT NULL
      AND epoch_ms(publish_time) >= epoch_ms(get_current_timestamp()) - $6 * 60000
      AND ($1::VARCHAR IS NULL OR CAST(publish_time AS DATE) >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR CAST(publish_time AS DATE) <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
      AND ($4::VARCHAR IS NULL OR store_id IN (SELECT store_id FROM stores_managed WHERE state = $4))
      AND ($5::VARCHAR IS NULL OR store_id = $5)
    QUALIFY row_number() OVER (PARTITION BY event_type, event_id ORDER BY publish_time, message_id) = 1
),
ranked AS (
    SELECT
        event_type,
        minute,
        latency_ms,
        row_number() OVER (PARTITION BY event_type, minute ORDER BY latency_ms) AS rn,
        count(*) OVER (PARTITION BY event_type, minute) AS n
    FROM recent
)
SELECT
    strftime(minute, '%Y-%m-%dT%H:%M:00Z') AS minute,
    event_type,
    CAST(n AS BIGINT) AS events,
    CAST(min(CASE WHEN rn * 100 >= 50 * n THEN latency_ms END) AS BIGINT) AS p50_ms,
    CAST(min(CASE WHEN rn * 100 >= 95 * n THEN latency_ms END) AS BIGINT) AS p95_ms,
    CAST(max(latency_ms) AS BIGINT) AS max_ms
FROM ranked
GROUP BY minute, event_type, n
ORDER BY minute, event_type;
