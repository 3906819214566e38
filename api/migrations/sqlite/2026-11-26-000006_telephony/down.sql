DROP TABLE ledger_events;
DROP TABLE bulk_items;
DROP TABLE idempotency_keys;
DROP TABLE phone_numbers;
DROP TABLE number_blocks;
DROP TABLE directory_syncs;
DROP TABLE directory_users;
