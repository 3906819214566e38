CREATE INDEX jobs_account ON jobs (account_id);
DROP INDEX jobs_account_kind_status;
