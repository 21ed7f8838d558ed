-- Events of each store (orders and inventory changes) landed in the last @minutes minutes
-- and in the @minutes minutes before, each event once (by event_id), so a store that went
-- dark shows 0 beside what it sent before. Stores with no event in either window have no row.
-- @date_from, @date_to: landing dates; @state (through stores_managed), @store_id.
-- @category does not narrow events.
WITH landed AS (
    SELECT 'order' AS event_type, event_id, store_id, COALESCE(publish_time, event_time) AS landed_at, message_id
    FROM `${project}.${dataset}.order_events`
    UNION ALL
    SELECT 'inventory', event_id, store_id, COALESCE(publish_time, event_time), message_id
    FROM `${project}.${dataset}.inventory_events`
),
recent AS (
    SELECT
        store_id,
        landed_at,
        UNIX_MILLIS(landed_at) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000 AS in_window
    FROM landed
    WHERE UNIX_MILLIS(landed_at) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - 2 * @minutes * 60000
      AND (@date_from IS NULL OR DATE(landed_at) >= @date_from)
      AND (@date_to IS NULL OR DATE(landed_at) <= @date_to)
      AND (@category IS NULL OR @category IS NOT NULL)
      AND (@state IS NULL OR store_id IN (
          SELECT store_id FROM `${project}.${dataset}.stores_managed` WHERE state = @state))
      AND (@store_id IS NULL OR store_id = @store_id)
    QUALIFY ROW_NUMBER() OVER (PARTITION BY event_type, event_id ORDER BY landed_at, message_id) = 1
)
SELECT
    store_id,
    COUNTIF(in_window) AS events,
    COUNTIF(NOT in_window) AS previous_events,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', MAX(landed_at)) AS last_seen
FROM recent
GROUP BY store_id
ORDER BY store_id;
