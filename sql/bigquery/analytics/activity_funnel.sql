-- The shopping funnel over the events landed in the last @minutes minutes (publish_time,
-- else event_time), each event once: page views, product views, adds to cart and checkouts
-- from user_activity_events, purchases (orders) from order_events. Each step's conversion is
-- its count over the previous step's (NULL for the first step, or after a step of zero).
-- @date_from, @date_to: landing dates. @state and @store_id keep only events of a store: user
-- activity has none, so with either given only purchases remain. @category does not narrow.
WITH activity AS (
    SELECT 'user_activity' AS source, activity_type, CAST(NULL AS STRING) AS store_id,
        publish_time, event_time, event_id, message_id
    FROM `${project}.${dataset}.user_activity_events`
    UNION ALL
    SELECT 'order', 'purchase', store_id, publish_time, event_time, event_id, message_id
    FROM `${project}.${dataset}.order_events`
),
recent AS (
    SELECT activity_type
    FROM activity
    WHERE UNIX_MILLIS(COALESCE(publish_time, event_time)) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000
      AND (@date_from IS NULL OR DATE(COALESCE(publish_time, event_time)) >= @date_from)
      AND (@date_to IS NULL OR DATE(COALESCE(publish_time, event_time)) <= @date_to)
      AND (@category IS NULL OR @category IS NOT NULL)
      AND (@state IS NULL OR store_id IN (
          SELECT store_id FROM `${project}.${dataset}.stores_managed` WHERE state = @state))
      AND (@store_id IS NULL OR store_id = @store_id)
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY source, event_id ORDER BY publish_time IS NULL, publish_time, message_id) = 1
),
steps AS (
    SELECT * FROM UNNEST([
        STRUCT(1 AS step_index, 'page_view' AS step),
        STRUCT(2 AS step_index, 'product_view' AS step),
        STRUCT(3 AS step_index, 'add_to_cart' AS step),
        STRUCT(4 AS step_index, 'checkout' AS step),
        STRUCT(5 AS step_index, 'purchase' AS step)
    ])
),
counted AS (
    SELECT s.step_index, s.step, COUNT(r.activity_type) AS events
    FROM steps AS s
    LEFT JOIN recent AS r ON r.activity_type = s.step
    GROUP BY s.step_index, s.step
)
SELECT
    step_index,
    step,
    events,
    CAST(events AS FLOAT64) / NULLIF(LAG(events) OVER (ORDER BY step_index), 0) AS conversion
FROM counted
ORDER BY step_index;
