-- Step 2 signs the person in with OpenID Connect before admin consent: the attempt remembers
-- the nonce it sent and the tenant the validated ID token proved.
ALTER TABLE consent_states ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_states ADD COLUMN signed_in_at TIMESTAMP;
ALTER TABLE consent_states ADD COLUMN signed_in_tenant_id TEXT;
ALTER TABLE consent_states ADD COLUMN signed_in_user TEXT;
CREATE INDEX consent_states_expiry ON consent_states (expires_at);

-- Tenant ids are stored as the canonical lower-case GUID from Microsoft's tokens, so that the
-- "one tenant, one account" index sees every spelling of one tenant as the same.
UPDATE tenant_connections SET tenant_id = lower(tenant_id), claimed_tenant_id = lower(claimed_tenant_id);
