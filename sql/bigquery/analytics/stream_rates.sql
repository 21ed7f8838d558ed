-- Events landed per type per 10-second bucket over the last @minutes minutes (by landing
-- time: publish_time, else event_time), each event once (by event_id; dead letters by
-- message_id). Types: order, inventory, user_activity, and dead_letter for what no table took.
-- @date_from, @date_to: landing dates; @state (through stores_managed), @store_id: an event
-- without a store (user activity, dead letters) is left out when either is given. @category
-- does not narrow events (one event spans categories); it is bound as for every query.
WITH landed AS (
    SELECT 'order' AS event_type, event_id AS id, store_id, COALESCE(publish_time, event_time) AS landed_at
    FROM `${project}.${dataset}.order_events`
    UNION ALL
    SELECT 'inventory', event_id, store_id, COALESCE(publish_time, event_time)
    FROM `${project}.${dataset}.inventory_events`
    UNION ALL
    SELECT 'user_activity', event_id, CAST(NULL AS STRING), COALESCE(publish_time, event_time)
    FROM `${project}.${dataset}.user_activity_events`
    UNION ALL
    SELECT 'dead_letter', COALESCE(message_id, TO_HEX(MD5(COALESCE(data, '')))), CAST(NULL AS STRING), publish_time
    FROM `${project}.${dataset}.dead_letter_events`
),
recent AS (
    SELECT event_type, id, UNIX_MILLIS(landed_at) AS landed_ms
    FROM landed
    WHERE UNIX_MILLIS(landed_at) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000
      AND (@date_from IS NULL OR DATE(landed_at) >= @date_from)
      AND (@date_to IS NULL OR DATE(landed_at) <= @date_to)
      AND (@category IS NULL OR @category IS NOT NULL)
      AND (@state IS NULL OR store_id IN (
          SELECT store_id FROM `${project}.${dataset}.stores_managed` WHERE state = @state))
      AND (@store_id IS NULL OR store_id = @store_id)
    QUALIFY ROW_NUMBER() OVER (PARTITION BY event_type, id ORDER BY landed_at) = 1
)
SELECT
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', TIMESTAMP_MILLIS(DIV(landed_ms, 10000) * 10000)) AS bucket_start,
    event_type,
    COUNT(*) AS events,
    CAST(COUNT(*) AS FLOAT64) / 10 AS per_second
FROM recent
GROUP BY bucket_start, event_type
ORDER BY bucket_start, event_type;
