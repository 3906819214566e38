-- Manual verifications an account started in its current window (issue 22: a flood of them
-- filled the ledger and called Microsoft each time).
ALTER TABLE tenant_connections ADD COLUMN verify_window_started_at TIMESTAMP;
ALTER TABLE tenant_connections ADD COLUMN verify_window_count INTEGER NOT NULL DEFAULT 0;
