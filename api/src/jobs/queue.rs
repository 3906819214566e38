//! Putting jobs in the queue, and a job as its account sees it. Functions take a connection,
//! so a job can be enqueued in the same transaction as the change that needs it.

use chrono::NaiveDateTime;
use shared::jobs;
use uuid::Uuid;

use super::Job;
use crate::{
    db::{self, jobs::JobRow, DbConn},
    domain::{
        ids::{AccountId, JobId},
        principal::Principal,
        stored,
    },
    error::ApiError,
};

fn row<J: Job>(
    job: &J,
    account_id: Option<AccountId>,
    run_after: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<JobRow, ApiError> {
    let payload = serde_json::to_string(job).map_err(|e| ApiError::internal(e.into()))?;
    let max_attempts = i32::try_from(J::MAX_ATTEMPTS.max(1)).unwrap_or(i32::MAX);
    Ok(JobRow::queued(
        J::KIND,
        account_id,
        payload,
        max_attempts,
        run_after,
        now,
    ))
}

/// Enqueues a job for an account (shown to it), or a system job (`None`), due now.
pub fn enqueue<J: Job>(
    conn: &mut DbConn,
    account_id: Option<&AccountId>,
    job: &J,
) -> Result<JobId, ApiError> {
    let now = stored::now();
    let row = row(job, account_id.cloned(), now, now)?;
    db::jobs::insert(conn, &row)?;
    Ok(row.id)
}

/// Enqueues a system job unless a job with this `key` exists already (from this process or
/// another): the database's unique index decides. `true` when this call enqueued it.
pub fn enqueue_once<J: Job>(
    conn: &mut DbConn,
    key: &str,
    job: &J,
    run_after: NaiveDateTime,
) -> Result<bool, ApiError> {
    let mut row = row(job, None, run_after, stored::now())?;
    row.dedupe_key = Some(key.to_owned());
    Ok(db::jobs::insert_once(conn, &row)?)
}

/// Enqueues a job for an account unless a job with this `key` exists already; `None` then.
pub fn enqueue_keyed<J: Job>(
    conn: &mut DbConn,
    account_id: &AccountId,
    key: &str,
    job: &J,
) -> Result<Option<JobId>, ApiError> {
    let now = stored::now();
    let mut row = row(job, Some(account_id.clone()), now, now)?;
    row.dedupe_key = Some(key.to_owned());
    Ok(db::jobs::insert_once(conn, &row)?.then_some(row.id))
}

/// The caller's job. Another account's job, or a system job, is not found, exactly as an
/// unknown id is.
pub fn get(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<jobs::Job, ApiError> {
    let account = caller.account_id.clone();
    let row = db::jobs::find_for_account(conn, &JobId::from(id), &account)?
        .ok_or_else(|| ApiError::not_found("job"))?;
    view(row)
}

/// A stored job as the API shows it.
pub fn view(row: JobRow) -> Result<jobs::Job, ApiError> {
    let result = row
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| {
            ApiError::internal(anyhow::anyhow!(
                "job {} has a result that is not JSON: {e}",
                row.id
            ))
        })?;
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    let units = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(jobs::Job {
        id: row.id.uuid(),
        kind: row.kind.0,
        status: row.status.0,
        attempts: count(row.attempts),
        max_attempts: count(row.max_attempts),
        progress: jobs::JobProgress::new(units(row.progress_done), row.progress_total.map(units)),
        result,
        last_error: row.last_error,
        created_at: stored::time(row.created_at),
        updated_at: stored::time(row.updated_at),
        run_after: stored::time(row.run_after),
        finished_at: row.finished_at.map(stored::time),
    })
}
