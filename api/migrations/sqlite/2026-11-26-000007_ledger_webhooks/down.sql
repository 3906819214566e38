DROP TRIGGER ledger_events_no_delete;
DROP TRIGGER ledger_events_no_update;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
ALTER TABLE accounts DROP COLUMN billing_rule;
CREATE TABLE connection_events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX connection_events_account ON connection_events (account_id, at);
INSERT INTO connection_events (id, account_id, at, actor, kind, message)
SELECT id, account_id, occurred_at, actor_name, substr(kind, 19), summary
  FROM ledger_events WHERE kind LIKE 'tenant_connection.%';
DROP INDEX ledger_events_number;
DROP INDEX ledger_events_user;
DROP INDEX ledger_events_actor;
ALTER TABLE ledger_events DROP COLUMN summary;
ALTER TABLE ledger_events DROP COLUMN actor_name;
