-- Table macros that read lake CSV files of one table with the data contract's columns and
-- types, strictly: no type sniffing (a small file must not change a column's type), no
-- skipped or padded rows. The refresh calls them on verified copies of single partitions;
-- hive partitioning is off so that the alert file's own date and hour columns stay visible.
-- An empty field reads as NULL (guest sales have no customer_id).

CREATE OR REPLACE MACRO product_catalog_csv(files) AS TABLE
SELECT * FROM read_csv(files,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = false, ignore_errors = false, null_padding = false,
    columns = {
        'product_id': 'VARCHAR', 'name': 'VARCHAR', 'category': 'VARCHAR',
        'brand': 'VARCHAR', 'unit_price': 'DECIMAL(12,2)', 'list_price': 'DECIMAL(12,2)',
        'cost_price': 'DECIMAL(12,2)', 'supplier_id': 'VARCHAR', 'supplier_name': 'VARCHAR'
    });

CREATE OR REPLACE MACRO stores_csv(files) AS TABLE
SELECT * FROM read_csv(files,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = false, ignore_errors = false, null_padding = false,
    columns = {
        'store_id': 'VARCHAR', 'store_name': 'VARCHAR', 'city': 'VARCHAR',
        'state': 'VARCHAR', 'format': 'VARCHAR', 'size_sqft': 'BIGINT',
        'manager': 'VARCHAR', 'opened_on': 'DATE'
    });

CREATE OR REPLACE MACRO sales_data_csv(files) AS TABLE
SELECT * FROM read_csv(files,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = false, ignore_errors = false, null_padding = false,
    columns = {
        'transaction_id': 'VARCHAR', 'line_number': 'INTEGER', 'sold_at': 'TIMESTAMP',
        'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'customer_id': 'VARCHAR',
        'quantity': 'INTEGER', 'unit_price': 'DECIMAL(12,2)',
        'total_amount': 'DECIMAL(12,2)', 'payment_method': 'VARCHAR'
    });

CREATE OR REPLACE MACRO inventory_data_csv(files) AS TABLE
SELECT * FROM read_csv(files,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = false, ignore_errors = false, null_padding = false,
    columns = {
        'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'opening_stock': 'INTEGER',
        'restocked': 'INTEGER', 'returned': 'INTEGER', 'adjusted': 'INTEGER',
        'units_sold': 'INTEGER', 'closing_stock': 'INTEGER', 'par_level': 'INTEGER'
    });

CREATE OR REPLACE MACRO negative_inventory_alerts_csv(files) AS TABLE
SELECT * FROM read_csv(files,
    header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    hive_partitioning = false, ignore_errors = false, null_padding = false,
    columns = {
        'alert_id': 'VARCHAR', 'date': 'DATE', 'hour': 'INTEGER', 'store_id': 'VARCHAR',
        'product_id': 'VARCHAR', 'opening_stock': 'INTEGER', 'restocked': 'INTEGER',
        'returned': 'INTEGER', 'units_sold': 'INTEGER', 'closing_stock': 'INTEGER',
        'detected_at': 'TIMESTAMP'
    });
