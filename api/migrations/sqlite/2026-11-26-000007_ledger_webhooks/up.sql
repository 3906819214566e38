-- The ledger becomes the one record of who did what: every event carries a sentence a person
-- reads and the actor's name as it was then. The connection history moves into it.
ALTER TABLE ledger_events ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_events ADD COLUMN summary TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_events_actor ON ledger_events (account_id, actor, occurred_at);
CREATE INDEX ledger_events_user ON ledger_events (account_id, user_id, occurred_at);
CREATE INDEX ledger_events_number ON ledger_events (account_id, number, occurred_at);

INSERT INTO ledger_events (id, account_id, occurred_at, kind, actor, actor_name, summary)
SELECT e.id, e.account_id, e.at, 'tenant_connection.' || e.kind,
       COALESCE(
           (SELECT 'user:' || u.id FROM users u
             WHERE u.email = e.actor AND u.account_id = e.account_id),
           'system'),
       e.actor, e.message
  FROM connection_events e;
DROP TABLE connection_events;

-- How the account is billed: `any_day` or `pro_rata`.
ALTER TABLE accounts ADD COLUMN billing_rule TEXT NOT NULL DEFAULT 'any_day'
    CHECK (billing_rule IN ('any_day', 'pro_rata'));

-- Endpoints an admin registered. The signing secret is sealed with a key derived from the
-- server's secret (never stored in clear); `event_types` is a space-separated list.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    event_types TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, created_at);

-- The outbox: one row per (endpoint, ledger event), written in the ledger event's transaction,
-- so a committed event is delivered at least once even across a crash. `id` is the
-- Standard Webhooks message id, the same on every retry.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at);

-- Every attempt at a delivery, for the history an admin reads.
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);

-- Append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER ledger_events_no_update BEFORE UPDATE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
