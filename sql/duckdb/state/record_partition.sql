-- Records lake partitions as loaded, with the manifests' row counts and checksums:
-- the placeholder below is one `(table, date, hour, rows, crc32c, loaded_at)` tuple per partition.
INSERT OR REPLACE INTO partition_state (table_name, date, hour, rows, crc32c, loaded_at)
VALUES {{loaded}};
