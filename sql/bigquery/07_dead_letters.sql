-- Every dead letter once (by message_id), with its reason. The in-process subscriber (local
-- and on the emulators) writes its own reason; deployed, the catch-all subscription (messages
-- without a known event_type attribute) and the dead-letter topic's subscription (messages a
-- table's subscription could not write; Pub/Sub names it in the attribute
-- CloudPubSubDeadLetterSourceSubscription) write the message and its metadata only, and the
-- reason follows from which of them delivered it.
CREATE OR REPLACE VIEW `${project}.${dataset}.dead_letters` AS
SELECT
    publish_time,
    COALESCE(reason,
        CASE
            WHEN JSON_VALUE(attributes, '$.CloudPubSubDeadLetterSourceSubscription') IS NOT NULL
                THEN 'rejected_by_table'
            WHEN JSON_VALUE(attributes, '$.event_type') IS NULL THEN 'missing_event_type'
            ELSE 'unknown_event_type'
        END) AS reason,
    COALESCE(detail, JSON_VALUE(attributes, '$.CloudPubSubDeadLetterSourceSubscription')) AS detail,
    data,
    attributes,
    subscription_name,
    message_id
FROM `${project}.${dataset}.dead_letter_events`
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY COALESCE(message_id, TO_HEX(MD5(COALESCE(data, ''))))
    ORDER BY publish_time IS NULL, publish_time
) = 1;
