-- Orders and revenue (cents) per minute of event time, of the orders landed in the last
-- @minutes minutes (publish_time, else event_time), each order once (by event_id). A late
-- order counts in the minute it happened.
-- @date_from, @date_to: landing dates; @state (through stores_managed), @store_id.
-- @category does not narrow orders (one order spans categories).
WITH recent AS (
    SELECT event_time, total_amount
    FROM `${project}.${dataset}.order_events`
    WHERE UNIX_MILLIS(COALESCE(publish_time, event_time)) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000
      AND (@date_from IS NULL OR DATE(COALESCE(publish_time, event_time)) >= @date_from)
      AND (@date_to IS NULL OR DATE(COALESCE(publish_time, event_time)) <= @date_to)
      AND (@category IS NULL OR @category IS NOT NULL)
      AND (@state IS NULL OR store_id IN (
          SELECT store_id FROM `${project}.${dataset}.stores_managed` WHERE state = @state))
      AND (@store_id IS NULL OR store_id = @store_id)
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY event_id ORDER BY publish_time IS NULL, publish_time, message_id) = 1
)
SELECT
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:00Z', TIMESTAMP_TRUNC(event_time, MINUTE)) AS minute,
    COUNT(*) AS orders,
    CAST(SUM(total_amount) * 100 AS INT64) AS revenue_cents
FROM recent
GROUP BY minute
ORDER BY minute;
