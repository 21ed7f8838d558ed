-- Events landed per type per 10-second bucket over the last $6 minutes (by landing time:
-- publish_time, else event_time), each event once (by event_id; dead letters by message_id).
-- Types: order, inventory, user_activity, and dead_letter for what no table took.
-- $1, $2: first and last landing date; $4 state (through stores_managed), $5 store_id: an
-- event without a store (user activity, dead letters) is left out when either is given.
-- $3 (category) does not narrow events (one event spans categories); it is bound as for
-- every analytics query.
WITH landed AS (
    SELECT 'order' AS event_type, event_id AS id, store_id, coalesce(publish_time, event_time) AS landed_at
    FROM order_events
    UNION ALL
    SELECT 'inventory', event_id, store_id, coalesce(publish_time, event_time) FROM inventory_events
    UNION ALL
    SELECT 'user_activity', event_id, NULL, coalesce(publish_time, event_time) FROM user_activity_events
    UNION ALL
    SELECT 'dead_letter', coalesce(message_id, md5(coalesce(data, ''))), NULL, publish_time FROM dead_letter_events
),
recent AS (
    SELECT event_type, id, epoch_ms(landed_at) AS landed_ms
    FROM landed
    WHERE epoch_ms(landed_at) >= epoch_ms(get_current_timestamp()) - $6 * 60000
      AND ($1::VARCHAR IS NULL OR CAST(landed_at AS DATE) >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR CAST(landed_at AS DATE) <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
      AND ($4::VARCHAR IS NULL OR store_id IN (SELECT store_id FROM stores_managed WHERE state = $4))
      AND ($5::VARCHAR IS NULL OR store_id = $5)
    QUALIFY row_number() OVER (PARTITION BY event_type, id ORDER BY landed_at) = 1
)
SELECT
    strftime(epoch_ms(CAST(landed_ms // 10000 * 10000 AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ') AS bucket_start,
    event_type,
    CAST(count(*) AS BIGINT) AS events,
    CAST(count(*) AS DOUBLE) / 10 AS per_second
FROM recent
GROUP BY landed_ms // 10000, event_type
ORDER BY bucket_start, event_type;
