//! The job queue's rows, and the queries that decide which process runs a job.
//!
//! A claim moves one due job to `running` with a lease in one transaction: on PostgreSQL the
//! candidate is locked with `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1` and then updated, so
//! processes claiming at once each lock a different row and never wait on each other; on SQLite
//! a conditional UPDATE of the candidate (the write lock serialises writers, so only the first
//! of two processes finds the condition still true). Every claim adds one to `attempts`, so
//! `(id, attempts)` names one claim: renewing the lease, reporting progress and recording the
//! outcome all require it, and a process that lost its lease (it stalled past it and another
//! process claimed the job) changes nothing.
//!
//! Fairness between accounts: among the due jobs, a claim prefers those of the accounts with
//! the fewest jobs running now (across every process), then the oldest. It asks in tiers: first
//! the jobs of accounts with nothing running (and system jobs, which have no account), then
//! those of accounts with at most one running, and so on; each tier is the same `LIMIT 1` query
//! as before (over the `(status, run_after)` index) leaving out the few accounts running more.
//! The running jobs are few (at most the workers of all processes), so there are few tiers, and
//! most claims are answered by the first. (Measured on PostgreSQL with 50,000 due jobs of one
//! busy account: the first tier 12 ms, the plain oldest-first query 35 ms.) One account's
//! backlog therefore never holds back another account's job for longer than a worker takes to
//! come free (the runner keeps a worker from bulk jobs, see `jobs::runner`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::jobs::{JobKind, JobStatus};

use super::{schema::jobs, text_column, DbConn};
use crate::domain::ids::{AccountId, JobId};

/// A job kind as stored: its snake_case name; an unknown name fails to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredKind(pub JobKind);

text_column!(StoredKind, |k| k.0.as_str(), |text| JobKind::parse(&text)
    .map(StoredKind));

/// A job status as stored: its snake_case name; an unknown name fails to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredStatus(pub JobStatus);

text_column!(StoredStatus, |s| s.0.as_str(), |text| JobStatus::parse(
    &text
)
.map(StoredStatus));

const QUEUED: StoredStatus = StoredStatus(JobStatus::Queued);
const RUNNING: StoredStatus = StoredStatus(JobStatus::Running);
const SUCCEEDED: StoredStatus = StoredStatus(JobStatus::Succeeded);
const FAILED: StoredStatus = StoredStatus(JobStatus::Failed);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: JobId,
    /// `None`: a system job, shown to no account.
    pub account_id: Option<AccountId>,
    pub kind: StoredKind,
    /// The kind's input, as JSON.
    pub payload: String,
    pub status: StoredStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub leased_by: Option<String>,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    /// What the job produced, as JSON.
    pub result: Option<String>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// One claim of a job: the job and the attempt the claim started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: JobId,
    pub attempt: i32,
}

impl JobRow {
    /// A queued job, due at `run_after`.
    pub fn queued(
        kind: JobKind,
        account_id: Option<AccountId>,
        payload: String,
        max_attempts: i32,
        run_after: NaiveDateTime,
        now: NaiveDateTime,
    ) -> JobRow {
        JobRow {
            id: JobId::from(uuid::Uuid::new_v4()),
            account_id,
            kind: StoredKind(kind),
            payload,
            status: QUEUED,
            attempts: 0,
            max_attempts,
            run_after,
            lease_until: None,
            leased_by: None,
            progress_done: 0,
            progress_total: None,
            result: None,
            last_error: None,
            dedupe_key: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }

    pub fn claim(&self) -> Claim {
        Claim {
            id: self.id.clone(),
            attempt: self.attempts,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &JobRow) -> QueryResult<()> {
    diesel::insert_into(jobs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Inserts the job unless one with the same `dedupe_key` exists; true when inserted. Written
/// per backend: diesel's MultiConnection has no `ON CONFLICT`, and both backends have it.
pub fn insert_once(conn: &mut DbConn, row: &JobRow) -> QueryResult<bool> {
    let inserted = match conn {
        DbConn::Postgres(pg) => diesel::insert_into(jobs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConn::Sqlite(lite) => diesel::insert_into(jobs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(lite)?,
    };
    Ok(inserted == 1)
}

pub fn find(conn: &mut DbConn, id: &JobId) -> QueryResult<Option<JobRow>> {
    jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// Whether the job exists and is still queued or running.
pub fn is_unfinished(conn: &mut DbConn, id: &JobId) -> QueryResult<bool> {
    let open = [QUEUED, RUNNING];
    diesel::select(diesel::dsl::exists(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq_any(open)),
    ))
    .get_result(conn)
}

/// The account's jobs of `kind` still queued or running, the oldest first.
pub fn unfinished_of_kind(
    conn: &mut DbConn,
    account: &AccountId,
    kind: JobKind,
) -> QueryResult<Vec<JobId>> {
    jobs::table
        .filter(jobs::account_id.eq(account))
        .filter(jobs::kind.eq(StoredKind(kind)))
        .filter(jobs::status.eq_any([QUEUED, RUNNING]))
        .order((jobs::created_at.asc(), jobs::id.asc()))
        .select(jobs::id)
        .load(conn)
}

/// When the account's latest job of `kind` that succeeded was created.
pub fn latest_success(
    conn: &mut DbConn,
    account: &AccountId,
    kind: JobKind,
) -> QueryResult<Option<NaiveDateTime>> {
    jobs::table
        .filter(jobs::account_id.eq(account))
        .filter(jobs::kind.eq(StoredKind(kind)))
        .filter(jobs::status.eq(StoredStatus(JobStatus::Succeeded)))
        .select(diesel::dsl::max(jobs::created_at))
        .first(conn)
}

/// The account's job; a system job or another account's is `None`, as an unknown id is.
pub fn find_for_account(
    conn: &mut DbConn,
    id: &JobId,
    account_id: &AccountId,
) -> QueryResult<Option<JobRow>> {
    jobs::table
        .find(id)
        .filter(jobs::account_id.eq(account_id))
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// Jobs that may be claimed at `now`: queued and due, or running with a lease that ended
/// (its process stopped or stalled) and attempts left.
#[diesel::dsl::auto_type]
fn claimable(now: NaiveDateTime) -> _ {
    let queued: StoredStatus = QUEUED;
    let running: StoredStatus = RUNNING;
    jobs::status
        .eq(queued)
        .and(jobs::run_after.le(now))
        .or(jobs::status
            .eq(running)
            .and(jobs::lease_until.lt(now))
            .and(jobs::attempts.lt(jobs::max_attempts)))
}

/// The accounts with jobs running now (their lease holds), and how many each.
fn running_per_account(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> QueryResult<Vec<(AccountId, i64)>> {
    let rows: Vec<(Option<AccountId>, i64)> = jobs::table
        .filter(jobs::status.eq(RUNNING))
        .filter(jobs::lease_until.ge(now))
        .filter(jobs::account_id.is_not_null())
        .group_by(jobs::account_id)
        .select((jobs::account_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(account, n)| account.map(|a| (a, n)))
        .collect())
}

/// The claim's tiers, in order: for each, the accounts it leaves out. The first leaves out
/// every account with a job running; each next one lets in the accounts with the next fewest;
/// the last leaves out none.
fn tiers(running: &[(AccountId, i64)]) -> Vec<Vec<AccountId>> {
    let mut levels: Vec<i64> = running.iter().map(|(_, n)| *n).collect();
    levels.push(0);
    levels.sort_unstable();
    levels.dedup();
    levels
        .into_iter()
        .map(|level| {
            running
                .iter()
                .filter(|(_, n)| *n > level)
                .map(|(account, _)| account.clone())
                .collect()
        })
        .collect()
}

/// Claimable jobs not of `skip` kinds, of no account or of one not in `left_out`.
#[diesel::dsl::auto_type]
fn candidates<'a>(now: NaiveDateTime, skip: &'a [StoredKind], left_out: &'a [AccountId]) -> _ {
    let due: claimable = claimable(now);
    jobs::table
        .select(jobs::id)
        .filter(due)
        .filter(jobs::kind.ne_all(skip))
        .filter(
            jobs::account_id
                .is_null()
                .or(jobs::account_id.ne_all(left_out)),
        )
        .order((jobs::run_after.asc(), jobs::id.asc()))
        .limit(1_i64)
}

/// Claims the next due job for `process` until `lease_until`, or `None` when nothing is due:
/// of the accounts with the fewest jobs running, the oldest; never one of the `skip` kinds.
pub fn claim(
    conn: &mut DbConn,
    process: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    skip: &[JobKind],
) -> QueryResult<Option<JobRow>> {
    let take = || {
        (
            jobs::status.eq(RUNNING),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::lease_until.eq(Some(lease_until)),
            jobs::leased_by.eq(Some(process)),
            jobs::updated_at.eq(now),
        )
    };
    let skip: Vec<StoredKind> = skip.iter().copied().map(StoredKind).collect();
    // A snapshot: another process may claim meanwhile, which only makes the order less exact.
    let tiers = tiers(&running_per_account(conn, now)?);
    match conn {
        DbConn::Postgres(pg) => {
            // The candidate is locked first (skipping rows other processes hold), then taken
            // by its id, in one transaction. (An `UPDATE ... WHERE id IN (SELECT ... LIMIT 1
            // FOR UPDATE SKIP LOCKED)` may run its subquery again per row and take several.)
            pg.transaction(|pg| {
                for left_out in &tiers {
                    let Some(id) = candidates(now, &skip, left_out)
                        .for_update()
                        .skip_locked()
                        .first::<JobId>(pg)
                        .optional()?
                    else {
                        continue;
                    };
                    return diesel::update(jobs::table.filter(jobs::id.eq(&id)))
                        .set(take())
                        .returning(JobRow::as_returning())
                        .get_result(pg)
                        .optional();
                }
                Ok(None)
            })
        }
        DbConn::Sqlite(lite) => {
            // Another process may take the candidate between the read and the update; the
            // update's condition then fails and the next candidate is tried.
            for _ in 0..3 {
                let mut found = None;
                for left_out in &tiers {
                    found = candidates(now, &skip, left_out)
                        .first::<JobId>(lite)
                        .optional()?;
                    if found.is_some() {
                        break;
                    }
                }
                let Some(id) = found else {
                    return Ok(None);
                };
                let taken =
                    diesel::update(jobs::table.filter(jobs::id.eq(&id)).filter(claimable(now)))
                        .set(take())
                        .execute(lite)?;
                if taken == 1 {
                    return jobs::table
                        .find(&id)
                        .select(JobRow::as_select())
                        .first(lite)
                        .optional();
                }
            }
            Ok(None)
        }
    }
}

/// The job as long as this claim holds it.
#[diesel::dsl::auto_type]
fn held<'a>(id: &'a JobId, attempt: i32) -> _ {
    let running: StoredStatus = RUNNING;
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::status.eq(running))
        .filter(jobs::attempts.eq(attempt))
}

/// Extends the lease; false when the claim no longer holds the job.
pub fn renew(
    conn: &mut DbConn,
    claim: &Claim,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((jobs::lease_until.eq(Some(until)), jobs::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn set_progress(
    conn: &mut DbConn,
    claim: &Claim,
    done: i64,
    total: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((
            jobs::progress_done.eq(done),
            jobs::progress_total.eq(total),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn succeed(
    conn: &mut DbConn,
    claim: &Claim,
    result: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((
            jobs::status.eq(SUCCEEDED),
            jobs::result.eq(Some(result)),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
            jobs::finished_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// A failed attempt with attempts left: queued again, not before `run_after`.
pub fn retry_later(
    conn: &mut DbConn,
    claim: &Claim,
    error: &str,
    run_after: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((
            jobs::status.eq(QUEUED),
            jobs::run_after.eq(run_after),
            jobs::last_error.eq(Some(error)),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The last attempt failed: the job is `failed` for good, with the error.
pub fn fail(
    conn: &mut DbConn,
    claim: &Claim,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((
            jobs::status.eq(FAILED),
            jobs::last_error.eq(Some(error)),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
            jobs::finished_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Puts a job this process stopped working on back in the queue, due now.
pub fn release(conn: &mut DbConn, claim: &Claim, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(held(&claim.id, claim.attempt))
        .set((
            jobs::status.eq(QUEUED),
            jobs::run_after.eq(now),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Fails the running jobs whose lease ended with no attempt left: their process stopped
/// (or crashed) on the last attempt, so nobody would ever claim them again.
/// Answers the ids and kinds of the jobs it failed.
pub fn fail_abandoned(
    conn: &mut DbConn,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<(JobId, StoredKind)>> {
    let abandoned: Vec<(JobId, StoredKind)> = jobs::table
        .filter(jobs::status.eq(RUNNING))
        .filter(jobs::lease_until.lt(now))
        .filter(jobs::attempts.ge(jobs::max_attempts))
        .select((jobs::id, jobs::kind))
        .load(conn)?;
    if abandoned.is_empty() {
        return Ok(abandoned);
    }
    let ids: Vec<&JobId> = abandoned.iter().map(|(id, _)| id).collect();
    // The same conditions again: a job renewed or finished since the read is left alone.
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq(RUNNING))
            .filter(jobs::lease_until.lt(now))
            .filter(jobs::attempts.ge(jobs::max_attempts)),
    )
    .set((
        jobs::status.eq(FAILED),
        jobs::last_error.eq(Some(error)),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::updated_at.eq(now),
        jobs::finished_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(abandoned)
}

/// Deletes the periodic jobs (those with a `dedupe_key`) that finished before `before`.
pub fn purge_periodic(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        jobs::table
            .filter(jobs::dedupe_key.is_not_null())
            // An account's keyed jobs (a bulk rollback) stay: the account reads them.
            .filter(jobs::account_id.is_null())
            .filter(jobs::status.eq_any([SUCCEEDED, FAILED]))
            .filter(jobs::finished_at.lt(before)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use diesel::{sql_types::Text, Connection, SqliteConnection};

    use super::*;

    fn read<T>(conn: &mut SqliteConnection, stored: &str) -> QueryResult<T>
    where
        T: diesel::deserialize::FromSqlRow<Text, diesel::sqlite::Sqlite> + 'static,
    {
        diesel::select(diesel::dsl::sql::<Text>(&format!("'{stored}'"))).get_result(conn)
    }

    #[test]
    fn tiers_let_in_the_accounts_with_fewer_jobs_running_first() {
        let account = |n: u128| AccountId::from(uuid::Uuid::from_u128(n));
        assert_eq!(tiers(&[]), vec![Vec::<AccountId>::new()]);
        let running = [(account(1), 3), (account(2), 1), (account(3), 1)];
        assert_eq!(
            tiers(&running),
            vec![
                vec![account(1), account(2), account(3)],
                vec![account(1)],
                vec![],
            ]
        );
    }

    #[test]
    fn stored_kinds_and_statuses_read_back_or_fail_loudly() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        for kind in JobKind::ALL {
            let stored: StoredKind = read(&mut conn, kind.as_str()).unwrap();
            assert_eq!(stored, StoredKind(kind));
        }
        for status in JobStatus::ALL {
            let stored: StoredStatus = read(&mut conn, status.as_str()).unwrap();
            assert_eq!(stored, StoredStatus(status));
        }
        assert!(read::<StoredKind>(&mut conn, "connection-health").is_err());
        assert!(read::<StoredStatus>(&mut conn, "done").is_err());
    }
}
