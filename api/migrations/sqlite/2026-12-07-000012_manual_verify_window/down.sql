ALTER TABLE tenant_connections DROP COLUMN verify_window_count;
ALTER TABLE tenant_connections DROP COLUMN verify_window_started_at;
