-- The account's unfinished jobs of a kind (the cap of unfinished bulk jobs per account) and
-- its latest success of a kind: one index lookup, however many jobs the account ran before.
-- It starts with account_id, so it serves every query by account the old index did.
CREATE INDEX jobs_account_kind_status ON jobs (account_id, kind, status);
DROP INDEX jobs_account;
