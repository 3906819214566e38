DROP TABLE invitations;
DROP INDEX api_tokens_created_by;
ALTER TABLE api_tokens DROP COLUMN creator_email;
ALTER TABLE api_tokens DROP COLUMN creator_id;
DROP TABLE rate_limits;
