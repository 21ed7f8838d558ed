-- Events of each store (orders and inventory changes) landed in the last $6 minutes and in
-- the $6 minutes before, each event once (by event_id), so a store that went dark shows 0
-- beside what it sent before. Stores with no event in either window have no row.
-- $1, $2: first and last landing date; $4 state (through stores_managed), $5 store_id.
-- $3 (category) does not narrow events.
WITH landed AS (
    SELECT 'order' AS event_type, event_id, store_id, coalesce(publish_time, event_time) AS landed_at, message_id FROM order_events
    UNION ALL
    SELECT 'inventory', event_id, store_id, coalesce(publish_time, event_time), message_id FROM inventory_events
),
recent AS (
    SELECT
        store_id,
        landed_at,
        epoch_ms(landed_at) >= epoch_ms(get_current_timestamp()) - $6 * 60000 AS in_window
    FROM landed
    WHERE epoch_ms(landed_at) >= epoch_ms(get_current_timestamp()) - 2 * $6 * 60000
      AND ($1::VARCHAR IS NULL OR CAST(landed_at AS DATE) >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR CAST(landed_at AS DATE) <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
      AND ($4::VARCHAR IS NULL OR store_id IN (SELECT store_id FROM stores_managed WHERE state = $4))
      AND ($5::VARCHAR IS NULL OR store_id = $5)
    QUALIFY row_number() OVER (PARTITION BY event_type, event_id ORDER BY landed_at, message_id) = 1
)
SELECT
    store_id,
    CAST(count(*) FILTER (WHERE in_window) AS BIGINT) AS events,
    CAST(count(*) FILTER (WHERE NOT in_window) AS BIGINT) AS previous_events,
    strftime(max(landed_at), '%Y-%m-%dT%H:%M:%SZ') AS last_seen
FROM recent
GROUP BY store_id
ORDER BY store_id;
