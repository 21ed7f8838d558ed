-- The shopping funnel over the events landed in the last $6 minutes (publish_time, else
-- event_time), each event once: page views, product views, adds to cart and checkouts from
-- user_activity_events, purchases (orders) from order_events. Each step's conversion is its
-- count over the previous step's (NULL for the first step, or after a step of zero).
-- $1, $2: first and last landing date. $4 state and $5 store_id keep only events of a store:
-- user activity has none, so with either given only purchases remain.
-- $3 (category) does not narrow events.
WITH activity AS (
    SELECT 'user_activity' AS source, activity_type, NULL::VARCHAR AS store_id, publish_time, event_time, event_id, message_id
    FROM user_activity_events
    UNION ALL
    SELECT 'order', 'purchase', store_id, publish_time, event_time, event_id, message_id
    FROM order_events
),
recent AS (
    SELECT activity_type
    FROM activity
    WHERE epoch_ms(coalesce(publish_time, event_time)) >= epoch_ms(get_current_timestamp()) - $6 * 60000
      AND ($1::VARCHAR IS NULL OR CAST(coalesce(publish_time, event_time) AS DATE) >= CAST($1 AS DATE))
      AND ($2::VARCHAR IS NULL OR CAST(coalesce(publish_time, event_time) AS DATE) <= CAST($2 AS DATE))
      AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
      AND ($4::VARCHAR IS NULL OR store_id IN (SELECT store_id FROM stores_managed WHERE state = $4))
      AND ($5::VARCHAR IS NULL OR store_id = $5)
    QUALIFY row_number() OVER (PARTITION BY source, event_id ORDER BY publish_time NULLS LAST, message_id) = 1
),
steps AS (
    SELECT * FROM (VALUES (1, 'page_view'), (2, 'product_view'), (3, 'add_to_cart'), (4, 'checkout'), (5, 'purchase')) AS s(step_index, step)
),
counted AS (
    SELECT s.step_index, s.step, count(r.activity_type) AS events
    FROM steps AS s
    LEFT JOIN recent AS r ON r.activity_type = s.step
    GROUP BY s.step_index, s.step
)
SELECT
    CAST(step_index AS BIGINT) AS step_index,
    step,
    CAST(events AS BIGINT) AS events,
    CAST(events AS DOUBLE) / nullif(lag(events) OVER (ORDER BY step_index), 0) AS conversion
FROM counted
ORDER BY step_index;
