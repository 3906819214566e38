DELETE FROM bulk_items WHERE outcome IN ('removed', 'skipped');
ALTER TABLE bulk_items DROP CONSTRAINT bulk_items_outcome_check;
ALTER TABLE bulk_items ADD CONSTRAINT bulk_items_outcome_check
    CHECK (outcome IN ('queued', 'assigned', 'already_active', 'failed'));
DROP INDEX directory_users_profile;
ALTER TABLE directory_users DROP COLUMN service_given_by;
ALTER TABLE directory_users DROP COLUMN service_saga;
ALTER TABLE directory_users DROP COLUMN service_parts;
ALTER TABLE directory_users DROP COLUMN service_profile_id;
ALTER TABLE number_blocks DROP COLUMN number_type;
ALTER TABLE number_blocks DROP COLUMN default_profile_id;
DROP TABLE voice_profiles;
