-- One connection to a Microsoft tenant per account, the single-use consent states that
-- step 2 hands to Microsoft, and the connection's history.
CREATE TABLE tenant_connections (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('not_connected', 'legacy', 'consent_pending',
        'consent_granted', 'connected', 'needs_attention')),
    -- Named by Microsoft's consent redirect: informational until a token confirms it.
    claimed_tenant_id TEXT,
    -- Confirmed by the `tid` of a token Microsoft issued.
    tenant_id TEXT,
    tenant_name TEXT,
    consent_granted_at TIMESTAMP,
    connected_at TIMESTAMP,
    -- A connection made the old way, through a user account (its UPN); cleared once the
    -- app connection verifies.
    legacy_service_account TEXT,
    last_report TEXT,
    notice TEXT,
    -- Lease: while in the future, a verification is running for this account.
    verifying_until TIMESTAMP,
    next_health_check_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tenant_connections_health ON tenant_connections (next_health_check_at);

CREATE TABLE consent_states (
    -- SHA-256 of the random state sent to Microsoft; the state itself is never stored.
    state_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    -- SHA-256 of the browser-binding cookie set when the attempt started.
    binding_hash TEXT NOT NULL,
    previous_state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX consent_states_account ON consent_states (account_id, created_at);

CREATE TABLE connection_events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX connection_events_account ON connection_events (account_id, at);

-- A Microsoft tenant is connected to one account at most.
CREATE UNIQUE INDEX tenant_connections_tenant_id ON tenant_connections (tenant_id);
