-- Records one lake partition as loaded, with the manifest's row count and checksum.
INSERT OR REPLACE INTO partition_state (table_name, date, hour, rows, crc32c, loaded_at)
VALUES ({{table}}, {{date}}, {{hour}}, {{rows}}, {{crc32c}}, {{ingested_at}});
