-- Manual verifications an account started in its current window (issue 22: a flood of them
-- filled the ledger and called Microsoft each time).
ALTER TABLE tenant_connections ADD COLUMN verify_window_started_at TIMESTAMP;
ALTER TABLE tenant_connections ADD COLUMN verify_window_count INTEGER NOT NULL DEFAULT 0;
-- A claim that names another tenant than the connected one is what a member could leave behind
-- before a connected tenant was protected (issue 22, item 1): it decides nothing any more, and
-- it would keep that tenant's real owner from connecting it anywhere.
UPDATE tenant_connections SET claimed_tenant_id = NULL
  WHERE tenant_id IS NOT NULL AND claimed_tenant_id IS NOT NULL AND claimed_tenant_id <> tenant_id;
