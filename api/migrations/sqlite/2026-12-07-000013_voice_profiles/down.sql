DELETE FROM bulk_items WHERE outcome IN ('removed', 'skipped');
CREATE TABLE bulk_items_old (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_ref TEXT NOT NULL,
    user_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('queued', 'assigned', 'already_active', 'failed')),
    number TEXT,
    detail TEXT,
    PRIMARY KEY (job_id, position)
);
INSERT INTO bulk_items_old SELECT job_id, position, user_ref, user_id, outcome, number, detail FROM bulk_items;
DROP TABLE bulk_items;
ALTER TABLE bulk_items_old RENAME TO bulk_items;
DROP INDEX directory_users_profile;
ALTER TABLE directory_users DROP COLUMN service_given_by;
ALTER TABLE directory_users DROP COLUMN service_saga;
ALTER TABLE directory_users DROP COLUMN service_parts;
ALTER TABLE directory_users DROP COLUMN service_profile_id;
ALTER TABLE number_blocks DROP COLUMN number_type;
ALTER TABLE number_blocks DROP COLUMN default_profile_id;
DROP TABLE voice_profiles;
