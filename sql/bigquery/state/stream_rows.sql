-- Rows in each stream table, in the order /status lists them.
SELECT 'order_events' AS table_name, COUNT(*) AS n FROM `${project}.${dataset}.order_events`
UNION ALL SELECT 'inventory_events', COUNT(*) FROM `${project}.${dataset}.inventory_events`
UNION ALL SELECT 'user_activity_events', COUNT(*) FROM `${project}.${dataset}.user_activity_events`
UNION ALL SELECT 'dead_letter_events', COUNT(*) FROM `${project}.${dataset}.dead_letter_events`;
