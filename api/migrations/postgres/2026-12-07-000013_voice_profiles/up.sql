-- Voice profiles (issue 17): what phone service gives a user besides a number.
CREATE TABLE voice_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The NumberSource, as JSON.
    number_source TEXT NOT NULL,
    -- The resolved policies (type, name, Teams' id, manual), as a JSON list.
    policies TEXT NOT NULL,
    location_id TEXT,
    location_label TEXT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX voice_profiles_account_name ON voice_profiles (account_id, name);
-- At most one default per account.
CREATE UNIQUE INDEX voice_profiles_account_default ON voice_profiles (account_id) WHERE is_default;

-- A block's numbers take this profile when a change names none.
ALTER TABLE number_blocks ADD COLUMN default_profile_id TEXT;
-- Teams' numberType of the block's numbers (unassign must send the number's own type).
ALTER TABLE number_blocks ADD COLUMN number_type TEXT NOT NULL DEFAULT 'directRouting';

-- The profile the user's service came from.
ALTER TABLE directory_users ADD COLUMN service_profile_id TEXT;
-- Each part of the service (number, location, policies) with what Teams reported, as JSON.
ALTER TABLE directory_users ADD COLUMN service_parts TEXT;
-- The change under way: its plan and the policies the user had before (to undo), as JSON.
ALTER TABLE directory_users ADD COLUMN service_saga TEXT;
-- The job whose change gave the current service (a bulk rollback undoes only its own).
ALTER TABLE directory_users ADD COLUMN service_given_by TEXT;
CREATE INDEX directory_users_profile ON directory_users (account_id, service_profile_id)
    WHERE service_profile_id IS NOT NULL;

-- A rollback's lines: `removed` and `skipped` join the outcomes.
ALTER TABLE bulk_items DROP CONSTRAINT bulk_items_outcome_check;
ALTER TABLE bulk_items ADD CONSTRAINT bulk_items_outcome_check
    CHECK (outcome IN ('queued', 'assigned', 'already_active', 'failed', 'removed', 'skipped'));
