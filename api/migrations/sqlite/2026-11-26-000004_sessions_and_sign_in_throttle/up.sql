-- Server-side sessions (a session JWT names its row in `sid`: signing out revokes the row),
-- the sign-in throttle (failures per account and per client address), and an optional
-- expiry for API tokens.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- `key` is `account:<sha256 of the email>` or `address:<client address or IPv6 /64>`.
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
CREATE INDEX sign_in_throttle_last_failure_at ON sign_in_throttle (last_failure_at);

ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
