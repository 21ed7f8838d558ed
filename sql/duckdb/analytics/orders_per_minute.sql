-- Orders, units and revenue (cents) per minute of event time, of the orders landed in the
-- last $6 minutes (publish_time, else event_time), each order once (by event_id). A late
-- order counts in the minute it happened.
-- $1, $2: first and last landing date; $4 state (through stores_managed), $5 store_id.
-- $3 (category) does not narrow orders (one order spans categories).
WITH recent AS (
    SELECT event_time, items, total_amount
    FROM order_events
    WHERE epoch_ms(coalesce(publish_time, event_time)) >= epoch_ms(get_current_timestamp()) - $6 * 60000
      AND ($1::VARCHAR IS NULL OR CAST(coalesce(publish_time, event_time) AS DATE) >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR CAST(coalesce(publish_time, event_time) AS DATE) <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
      AND ($4::VARCHAR IS NULL OR store_id IN (SELECT store_id FROM stores_managed WHERE state = $4))
      AND ($5::VARCHAR IS NULL OR store_id = $5)
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY publish_time NULLS LAST, message_id) = 1
)
SELECT
    strftime(date_trunc('minute', event_time), '%Y-%m-%dT%H:%M:00Z') AS minute,
    CAST(count(*) AS BIGINT) AS orders,
    CAST(sum(total_amount) * 100 AS BIGINT) AS revenue_cents
FROM recent
GROUP BY date_trunc('minute', event_time)
ORDER BY minute;
