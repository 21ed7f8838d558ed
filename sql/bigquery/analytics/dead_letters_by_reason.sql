-- Dead letters per reason landed in the last @minutes minutes (by publish_time), each once
-- (the dead_letters view), most first, with the newest's publish time.
-- @date_from, @date_to: landing dates. A dead letter has no store: with @state or @store_id
-- given there are none. @category does not narrow events.
SELECT
    reason,
    COUNT(*) AS dead_letters,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', MAX(publish_time)) AS last_seen
FROM `${project}.${dataset}.dead_letters`
WHERE UNIX_MILLIS(publish_time) >= UNIX_MILLIS(CURRENT_TIMESTAMP()) - @minutes * 60000
  AND (@date_from IS NULL OR DATE(publish_time) >= @date_from)
  AND (@date_to IS NULL OR DATE(publish_time) <= @date_to)
  AND (@category IS NULL OR @category IS NOT NULL)
  AND @state IS NULL
  AND @store_id IS NULL
GROUP BY reason
ORDER BY dead_letters DESC, reason;
