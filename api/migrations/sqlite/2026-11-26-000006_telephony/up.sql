-- Telephony (issue 9): the tenant's users as synced from Graph, the account's number inventory,
-- the reservations between them, and the append-only ledger of phone-service changes.

-- A user of the connected tenant (Graph `/users`), keyed by their Entra object id, with the
-- phone service the portal gave them. `search` is the lower-cased name, UPN and numbers.
CREATE TABLE directory_users (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    user_principal_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    usage_location TEXT,
    account_enabled BOOLEAN NOT NULL,
    licensed BOOLEAN NOT NULL,
    -- The user's numbers as Teams reports them, space-separated E.164.
    teams_numbers TEXT NOT NULL DEFAULT '',
    search TEXT NOT NULL,
    service_state TEXT NOT NULL DEFAULT 'none'
        CHECK (service_state IN ('none', 'pending', 'active', 'failed', 'removing')),
    service_number TEXT,
    service_detail TEXT,
    -- The job following Teams' operation, and the operation's URL once Teams accepted it.
    service_job_id TEXT,
    service_operation TEXT,
    service_updated_at TIMESTAMP,
    synced_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX directory_users_by_name ON directory_users (account_id, display_name, id);
CREATE INDEX directory_users_by_upn ON directory_users (account_id, user_principal_name);

-- Where each account's directory sync stands: the Graph deltaLink of the last complete round.
CREATE TABLE directory_syncs (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    delta_link TEXT,
    last_synced_at TIMESTAMP,
    last_error TEXT,
    job_id TEXT
);

CREATE TABLE number_blocks (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label TEXT,
    location TEXT,
    first_number TEXT NOT NULL,
    last_number TEXT NOT NULL,
    count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX number_blocks_account ON number_blocks (account_id, created_at);

-- A number of the account's inventory (E.164). A number is held by at most one user, and a
-- user holds at most one number: both are unique indexes, so no two writers can break them.
CREATE TABLE phone_numbers (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    block_id TEXT NOT NULL REFERENCES number_blocks (id) ON DELETE CASCADE,
    country TEXT NOT NULL,
    location TEXT,
    status TEXT NOT NULL CHECK (status IN ('available', 'reserved', 'assigned', 'aging')),
    user_id TEXT,
    available_from TIMESTAMP,
    assigned_at TIMESTAMP,
    conflict_kind TEXT,
    conflict_teams_user TEXT,
    conflict_found_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, number),
    CHECK ((status IN ('reserved', 'assigned')) = (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX phone_numbers_one_per_user ON phone_numbers (account_id, user_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX phone_numbers_pick ON phone_numbers (account_id, status, country, number);
CREATE INDEX phone_numbers_block ON phone_numbers (block_id, status);

-- An Idempotency-Key of a provisioning request: a repeat with the same key changes nothing.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    -- What the first request asked (method, user, number): the same key for another request
    -- is refused.
    fingerprint TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- Each user of a bulk job and how they came out.
CREATE TABLE bulk_items (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_ref TEXT NOT NULL,
    user_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('queued', 'assigned', 'already_active', 'failed')),
    number TEXT,
    detail TEXT,
    PRIMARY KEY (job_id, position)
);

-- Append-only: every change of a user's phone service and of the inventory, with its actor
-- (`user:<id>`, `token:<id>` or `system`) and Teams' operation id. Nothing updates or deletes it.
CREATE TABLE ledger_events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    occurred_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    user_id TEXT,
    number TEXT,
    operation_id TEXT,
    detail TEXT
);
CREATE INDEX ledger_events_account ON ledger_events (account_id, occurred_at);
CREATE INDEX ledger_events_kind ON ledger_events (account_id, kind, occurred_at);
