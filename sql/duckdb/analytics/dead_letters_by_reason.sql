-- Dead letters per reason landed in the last $6 minutes (by publish_time), each once (the
-- dead_letters view), most first, with the newest's publish time.
-- $1, $2: first and last landing date. A dead letter has no store: with $4 state or
-- $5 store_id given there are none. $3 (category) does not narrow events.
SELECT
    reason,
    CAST(count(*) AS BIGINT) AS dead_letters,
    strftime(max(publish_time), '%Y-%m-%dT%H:%M:%SZ') AS last_seen
FROM dead_letters
WHERE epoch_ms(publish_time) >= epoch_ms(get_current_timestamp()) - $6 * 60000
  AND ($1::VARCHAR IS NULL OR CAST(publish_time AS DATE) >= CAST($1 AS DATE))
  AND ($2::VARCHAR IS NULL OR CAST(publish_time AS DATE) <= CAST($2 AS DATE))
  AND ($3::VARCHAR IS NULL OR $3::VARCHAR IS NOT NULL)
  AND $4::VARCHAR IS NULL
  AND $5::VARCHAR IS NULL
GROUP BY reason
ORDER BY dead_letters DESC, reason;
