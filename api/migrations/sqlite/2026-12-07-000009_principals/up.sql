-- Issue 22, items 4, 5 and 13.

-- Requests counted per key (a principal's writes, an account's invites) in a window that
-- starts with the key's first request and lasts the key's window length (see
-- domain::rate_limit). One row per key, updated by one upsert; old rows are purged.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_window_started_at ON rate_limits (window_started_at);

-- Who created a token, kept as it was (the `created_by` reference is cleared when the
-- creator is removed, and a token whose creator is gone is refused).
ALTER TABLE api_tokens ADD COLUMN creator_id TEXT;
ALTER TABLE api_tokens ADD COLUMN creator_email TEXT;
UPDATE api_tokens
SET creator_id = created_by,
    creator_email = (SELECT email FROM users WHERE users.id = api_tokens.created_by);
-- Every token is created by a person signed in; `created_by` is empty only when that person
-- was removed since. Those tokens outlived their creator: they are revoked now.
UPDATE api_tokens
SET revoked_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
WHERE created_by IS NULL AND revoked_at IS NULL;
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);

-- An invitation: a person an admin invited, until they first sign in with the one-time
-- password (found by its SHA-256: it is random, about 119 bits). It holds no address: any
-- number of accounts may invite one, and it expires.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
    secret_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, email)
);
CREATE INDEX invitations_email ON invitations (email);
