-- The durable job queue (src/jobs/). A job is claimed by moving it to `running` with a lease
-- (`lease_until`, `leased_by`: the process working on it, which renews the lease); a job whose
-- lease ended is claimed again. `attempts` counts claims; a failed attempt moves `run_after`
-- forward until `max_attempts`, then the job is `failed` with `last_error`.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    -- The account the job works for and shows to; NULL for a system job.
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- The kind's input, as JSON.
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    leased_by TEXT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    -- What the job produced, as JSON.
    result TEXT,
    last_error TEXT,
    -- A job that must exist once (a periodic job's run for one time slot): a second insert
    -- with the same key is ignored. NULL for the others (NULLs never collide).
    dedupe_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
-- Claiming: due queued jobs, and running jobs whose lease ended.
CREATE INDEX jobs_claim ON jobs (status, run_after);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key);
CREATE INDEX jobs_account ON jobs (account_id);
