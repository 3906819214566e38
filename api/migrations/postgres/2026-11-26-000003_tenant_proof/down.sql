DROP INDEX consent_states_expiry;
ALTER TABLE consent_states DROP COLUMN signed_in_user;
ALTER TABLE consent_states DROP COLUMN signed_in_tenant_id;
ALTER TABLE consent_states DROP COLUMN signed_in_at;
ALTER TABLE consent_states DROP COLUMN nonce;
