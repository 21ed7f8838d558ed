-- Landing latency (publish_time - event_time, milliseconds) per event type and minute of
-- landing, over the events landed in the last @minutes minutes, each event once (its first
-- delivery): count, nearest-rank p50 and p95 (the smallest latency with at least 50% / 95%
-- of the minute's at or below it) and the maximum. Rows without a publish_time are left out.
-- @date_from, @date_to: landing dates; @state (through stores_managed), @store_id: user
-- activity (no store) is left out when either is given. @category does not narrow events.
WITH landed AS (
    SELECT 'order' AS event_type, event_id, store_id, event_time, publish_time, message_id
    FROM `${project}.${dataset}.order_events`
    UNION ALL
    SELECT 'inventory', event_id, store_id, event_time, publish_time, message_id
    FROM `${project}.${dataset}.inventory_events`
    UNION ALL
    SELECT 'user_activity', event_id, CAST(NULL AS STRING), event_time, publish_time, message_id
    FROM `${project}.${dataset}.user_activity_events`
),
recent AS (
    SELECT
        event_type,
        TIMESTAMP_TRUNC(publish_time, MINUTE) AS minute,
        UNIX_MILLIS(publish_time) - UNIX_MILLIS(event_time) AS latency_ms
    FROM landed
    WHERE publish_time IS NOT NULL
      AND UNIX_MILLIS(publish_time) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000
      AND (@date_from IS NULL OR DATE(publish_time) >= @date_from)
      AND (@date_to IS NULL OR DATE(publish_time) <= @date_to)
      AND (@category IS NULL OR @category IS NOT NULL)
      AND (@state IS NULL OR store_id IN (
          SELECT store_id FROM `${project}.${dataset}.stores_managed` WHERE state = @state))
      AND (@store_id IS NULL OR store_id = @store_id)
    QUALIFY ROW_NUMBER() OVER (PARTITION BY event_type, event_id ORDER BY publish_time, message_id) = 1
),
ranked AS (
    SELECT
        event_type,
        minute,
        latency_ms,
        ROW_NUMBER() OVER (PARTITION BY event_type, minute ORDER BY latency_ms) AS rn,
        COUNT(*) OVER (PARTITION BY event_type, minute) AS n
    FROM recent
)
SELECT
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:00Z', minute) AS minute,
    event_type,
    n AS events,
    MIN(CASE WHEN rn * 100 >= 50 * n THEN latency_ms END) AS p50_ms,
    MIN(CASE WHEN rn * 100 >= 95 * n THEN latency_ms END) AS p95_ms,
    MAX(latency_ms) AS max_ms
FROM ranked
GROUP BY minute, event_type, n
ORDER BY minute, event_type;
