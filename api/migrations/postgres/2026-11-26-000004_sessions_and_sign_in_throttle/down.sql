ALTER TABLE api_tokens DROP COLUMN expires_at;
DROP TABLE sign_in_throttle;
DROP TABLE sessions;
