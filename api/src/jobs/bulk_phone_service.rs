//! The `bulk_phone_service` job: gives phone service to many users, a bounded number at a time.
//!
//! Each user is a row of `bulk_items` (its outcome shows while the job runs). A user is
//! reserved a number exactly as a single request would be, then Teams is called and followed
//! by the same code as `phone_service_change`. When Microsoft throttles, the job waits its
//! `Retry-After` and works with fewer users at once. Run again after a crash, it takes up the
//! users still queued; one caught mid-way is followed, never assigned twice.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use shared::{directory::ServiceState, jobs::JobKind, phone_service::BulkItemOutcome};
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use super::{GaveUp, Job, JobContext, JobError};
use crate::{
    db::{self, bulk_items::BulkItemRow, DbConn},
    domain::{
        ids::{AccountId, JobId},
        ledger::{self, Actor, ActorKey, Entry, LedgerKind},
        phone_service::{
            self,
            bulk::{self, record_line},
            plan,
            saga::{carry_out, BulkLine, Change, ChangeOf, ChangeOutcome},
            Begun, Follow,
        },
    },
    error::ApiError,
};

/// Give phone service to the users listed in `bulk_items` for this job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkPhoneService {
    pub account_id: AccountId,
    /// Who asked, for the ledger.
    pub actor: ActorKey,
    /// The voice profile the request named (else the account's default applies).
    #[serde(default)]
    pub profile_id: Option<uuid::Uuid>,
}

/// Counts by outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BulkDone {
    pub assigned: u64,
    pub already_active: u64,
    pub failed: u64,
}

impl Job for BulkPhoneService {
    const KIND: JobKind = JobKind::BulkPhoneService;
    const MAX_ATTEMPTS: u32 = 5;
    const HOLDS_A_WORKER_LONG: bool = true;
    type Output = BulkDone;

    fn abandoned(conn: &mut DbConn, id: &JobId, why: GaveUp) -> Result<(), ApiError> {
        bulk::fail_unfinished(conn, id, why)
    }

    async fn run(self, ctx: JobContext) -> Result<BulkDone, JobError> {
        let account = self.account_id.clone();
        let job = ctx.job_id().clone();
        let items = ctx
            .db
            .run(move |conn| Ok(db::bulk_items::of_job(conn, &job)?))
            .await?;
        let total = items.len() as u64;
        let left: Vec<BulkItemRow> = items
            .iter()
            .filter(|i| i.outcome.0 == BulkItemOutcome::Queued)
            .cloned()
            .collect();
        let done = Arc::new(AtomicU64::new(total - left.len() as u64));
        ctx.progress(done.load(Ordering::Relaxed), Some(total))
            .await?;
        let width = ctx.telephony.bulk_concurrency.max(1);
        let gate = Arc::new(Semaphore::new(width));
        // Slots still in use: each throttled call gives one up, down to one.
        let slots = Arc::new(AtomicUsize::new(width));
        // The users this run has taken up (and on which line), so a user listed twice (by id
        // and by UPN) is followed once.
        let taken = Arc::new(std::sync::Mutex::new(HashMap::new()));
        // Set when Microsoft refused the app access to the tenant: the users not started yet
        // are not sent (each would be refused the same way); they fail with this reason.
        let lost = Arc::new(OnceLock::new());
        // Users done in a row since Microsoft last throttled: every `CALM` of them gives a
        // slot back, so one storm does not leave the rest of a large job working one by one.
        let calm = Arc::new(AtomicUsize::new(0));
        // Progress is counted and written under one lock, so it never goes back.
        let reporting = Arc::new(tokio::sync::Mutex::new(()));
        let results = futures_util::stream::iter(left)
            .map(|item| {
                let (ctx, account, actor, gate, done, reporting, slots, taken, lost, calm) = (
                    ctx.clone(),
                    account.clone(),
                    (self.actor.clone(), self.profile_id),
                    gate.clone(),
                    done.clone(),
                    reporting.clone(),
                    slots.clone(),
                    taken.clone(),
                    lost.clone(),
                    calm.clone(),
                );
                let span = bulk::line_span(&item);
                async move {
                    let mut permit = gate.clone().acquire_owned().await.ok();
                    let mut waits = 0;
                    loop {
                        let outcome =
                            one(&ctx, &account, (&actor.0, actor.1), &item, &taken, &lost).await;
                        match outcome {
                            Ok(()) => {
                                if calm.fetch_add(1, Ordering::Relaxed) + 1 >= CALM {
                                    calm.store(0, Ordering::Relaxed);
                                    let more = slots.fetch_update(
                                        Ordering::Relaxed,
                                        Ordering::Relaxed,
                                        |n| (n < width).then_some(n + 1),
                                    );
                                    if more.is_ok() {
                                        gate.add_permits(1);
                                    }
                                }
                                let _turn = reporting.lock().await;
                                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                                let _ = ctx.progress(n, Some(total)).await;
                                return Ok(());
                            }
                            Err(Later {
                                retry_after: Some(pause),
                                ..
                            }) if waits < THROTTLED_WAITS && pause <= LONGEST_WAIT_IN_RUN => {
                                // Throttled: hold this slot back for good (fewer at once), wait
                                // as asked, and take the same user up again in this run (a
                                // throttling storm must not use up the job's attempts).
                                waits += 1;
                                calm.store(0, Ordering::Relaxed);
                                if let Some(held) = permit.take() {
                                    let fewer = slots.fetch_update(
                                        Ordering::Relaxed,
                                        Ordering::Relaxed,
                                        |n| (n > 1).then(|| n - 1),
                                    );
                                    match fewer {
                                        Ok(_) => held.forget(),
                                        Err(_) => permit = Some(held),
                                    }
                                }
                                tokio::time::sleep(pause).await;
                                if permit.is_none() {
                                    // Back in line: at most as many users at once as slots.
                                    permit = gate.clone().acquire_owned().await.ok();
                                }
                            }
                            // Still queued: the next attempt takes the user up again.
                            Err(later) => return Err((item.position, later.error)),
                        }
                    }
                }
                .instrument(span)
            })
            .buffer_unordered(width)
            .collect::<Vec<_>>()
            .await;
        let failures: HashMap<i32, JobError> =
            results.into_iter().filter_map(Result::err).collect();
        if !failures.is_empty() {
            let last_attempt =
                ctx.attempt() >= i32::try_from(Self::MAX_ATTEMPTS).unwrap_or(i32::MAX);
            let refused = lost.get().cloned();
            if refused.is_none() && !last_attempt {
                // Some users are still queued: the job runs again later and takes them up,
                // no sooner than the longest `Retry-After` Microsoft asked for.
                if let Some(e) = failures.into_values().max_by_key(JobError::retry_after) {
                    return Err(e);
                }
            } else {
                // No attempt left, or Microsoft no longer lets the app in: every user still
                // queued gets a clear outcome now, and the job ends.
                give_up(&ctx, &account, &failures, refused.as_deref()).await?;
            }
        }
        let job = ctx.job_id().clone();
        let items = ctx
            .db
            .run(move |conn| Ok(db::bulk_items::of_job(conn, &job)?))
            .await?;
        ctx.progress(total, Some(total)).await?;
        let mut summary = BulkDone::default();
        for item in items {
            match item.outcome.0 {
                BulkItemOutcome::Assigned => summary.assigned += 1,
                BulkItemOutcome::AlreadyActive => summary.already_active += 1,
                BulkItemOutcome::Failed | BulkItemOutcome::Queued => summary.failed += 1,
                BulkItemOutcome::Removed | BulkItemOutcome::Skipped => {}
            }
        }
        let (job, actor, done) = (ctx.job_id().clone(), self.actor.clone(), summary.clone());
        ctx.db
            .run(move |conn| record_finished(conn, &account, &job, &actor, &done))
            .await?;
        Ok(summary)
    }
}

/// Records `bulk_job.finished` once per job (the job's id is the event's operation id): a run
/// again after a crash between this and the job's end does not record it twice.
fn record_finished(
    conn: &mut crate::db::DbConn,
    account: &AccountId,
    job: &JobId,
    actor: &ActorKey,
    done: &BulkDone,
) -> Result<(), ApiError> {
    db::transaction(conn, |conn| {
        db::lock_account(conn, account.as_str())?;
        let job_id = job.to_string();
        if db::ledger::exists_for_operation(conn, account, LedgerKind::BulkJobFinished, &job_id)? {
            return Ok(());
        }
        let actor = Actor::resolve(conn, account, actor)?;
        let summary = format!(
            "Bulk phone service finished: {} assigned, {} already had service, {} failed.",
            done.assigned, done.already_active, done.failed
        );
        let detail = serde_json::to_string(done).unwrap_or_default();
        ledger::record(
            conn,
            Entry {
                operation_id: Some(&job_id),
                detail: Some(&detail),
                ..Entry::new(account, LedgerKind::BulkJobFinished, &actor, summary)
            },
        )?;
        Ok(())
    })
}

/// Why one user must be tried again later.
struct Later {
    error: JobError,
    retry_after: Option<Duration>,
}

/// One user: reserve, call Teams, follow, record the outcome.
async fn one(
    ctx: &JobContext,
    account: &AccountId,
    (actor, profile): (&ActorKey, Option<uuid::Uuid>),
    item: &BulkItemRow,
    taken: &Taken,
    lost: &OnceLock<String>,
) -> Result<(), Later> {
    let job = ctx.job_id().clone();
    if let Some(refused) = lost.get() {
        // Not sent: Microsoft refused the app access to the tenant while this job ran. The user
        // stays queued for `give_up`, which tells a user this job already holds a number for
        // (it stays reserved until reconciliation) from one never started.
        return Err(Later {
            error: JobError::access_refused(refused.clone()),
            retry_after: None,
        });
    }
    let threshold = ctx.telephony.low_stock_threshold;
    let begun = {
        let (account, actor, user_ref, job) = (
            account.clone(),
            actor.clone(),
            item.user_ref.clone(),
            job.clone(),
        );
        ctx.db
            .run(move |conn| {
                Ok(db::transaction(conn, |conn| {
                    let chosen = plan::chosen_profile(conn, &account, profile)?;
                    phone_service::begin_assignment(
                        conn,
                        &account,
                        &actor,
                        &user_ref,
                        None,
                        chosen.as_ref(),
                        Follow::Bulk(&job),
                        threshold,
                    )
                }))
            })
            .await
            .map_err(|e| Later {
                error: e.into(),
                retry_after: None,
            })?
    };
    let (outcome, user_id, number, detail) = match begun {
        Err(refused @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => {
            return Err(Later {
                error: refused.into(),
                retry_after: None,
            })
        }
        Err(refused) => (
            BulkItemOutcome::Failed,
            None,
            None,
            Some(refused.to_string()),
        ),
        Ok(Begun::AlreadyActive { user_id, number }) => (
            BulkItemOutcome::AlreadyActive,
            Some(user_id),
            Some(number),
            None,
        ),
        Ok(begun) if !first_in_run(taken, begun.user_id(), item.position) => (
            BulkItemOutcome::Failed,
            Some(begun.user_id().to_owned()),
            None,
            Some("This user is listed more than once; see their first line.".to_owned()),
        ),
        Ok(Begun::InFlight { user_id, number })
            if !followed_by(ctx, account, &user_id, &job).await? =>
        {
            // Another request's job follows this change: wait for it to settle.
            settled_elsewhere(ctx, account, user_id, number).await?
        }
        Ok(Begun::Reserved { user_id, number } | Begun::InFlight { user_id, number }) => {
            let change = ChangeOf {
                account_id: account.clone(),
                user_id: user_id.clone(),
                number: number.clone(),
                change: Change::Assign,
                actor: actor.clone(),
            };
            let line = BulkLine {
                job: job.clone(),
                position: item.position,
            };
            match carry_out(ctx, &change, Some(line)).await {
                Ok(result) if result.outcome == ChangeOutcome::Assigned => {
                    (BulkItemOutcome::Assigned, Some(user_id), Some(number), None)
                }
                Ok(result) if result.outcome == ChangeOutcome::AlreadySettled => {
                    // Settled by an earlier attempt: read what it came to.
                    settled_outcome(ctx, account, user_id, number, Settler::ThisJob).await?
                }
                Ok(result) => {
                    if result.access_refused {
                        let _ = lost.set(result.detail.clone().unwrap_or_default());
                    }
                    (
                        BulkItemOutcome::Failed,
                        Some(user_id),
                        Some(number),
                        result.detail,
                    )
                }
                Err(error) => {
                    if error.is_access_refused() {
                        let _ = lost.set(error.message().to_owned());
                    }
                    let retry_after = error.retry_after();
                    return Err(Later { error, retry_after });
                }
            }
        }
    };
    let line = BulkLine {
        job,
        position: item.position,
    };
    ctx.db
        .run(move |conn| {
            record_line(
                conn,
                &line,
                user_id.as_deref(),
                outcome,
                number.as_deref(),
                detail.as_deref(),
            )
        })
        .await
        .map_err(|e| Later {
            error: e.into(),
            retry_after: None,
        })?;
    Ok(())
}

/// The users a run has taken up, each with the line that named it first.
type Taken = std::sync::Mutex<HashMap<String, i32>>;

/// True unless an earlier line of this run named `user` (a user listed twice is followed
/// once; the same line taken up again after a throttled wait is still the first).
fn first_in_run(taken: &Taken, user: &str, position: i32) -> bool {
    *taken
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(user.to_owned())
        .or_insert(position)
        == position
}

/// A user taken up again after Microsoft throttled is waited for this many times in one run;
/// past that it is left for the job's next attempt.
const THROTTLED_WAITS: u32 = 20;

/// A longer `Retry-After` is not waited out inside the run (holding the job's lease): the user
/// is left for the job's next attempt, which the runner delays by at least as long.
const LONGEST_WAIT_IN_RUN: Duration = Duration::from_secs(60);

/// After Microsoft throttled, each run of this many users done in a row gives one slot back.
const CALM: usize = 10;

/// Ends the job with every user still queued given a clear outcome: a user whose number this
/// job reserved keeps it (Teams may have been asked already) until reconciliation settles it
/// with Teams' own record, once Microsoft answers and lets the app in again; the others were
/// not started.
async fn give_up(
    ctx: &JobContext,
    account: &AccountId,
    failures: &HashMap<i32, JobError>,
    refused: Option<&str>,
) -> Result<(), JobError> {
    let reasons: HashMap<i32, String> = failures
        .iter()
        .map(|(position, e)| (*position, e.message().to_owned()))
        .collect();
    let general = refused.map_or_else(
        || "The job ran out of attempts before this user could be started.".to_owned(),
        str::to_owned,
    );
    let (job, account) = (ctx.job_id().clone(), account.clone());
    ctx.db
        .run(move |conn| {
            let job_text = job.to_string();
            for item in db::bulk_items::of_job(conn, &job)? {
                if item.outcome.0 != BulkItemOutcome::Queued {
                    continue;
                }
                let why = reasons.get(&item.position).unwrap_or(&general);
                let user = db::directory::find_by_ref(conn, &account, &item.user_ref)?;
                let held = user.as_ref().filter(|u| {
                    u.service_state.0 == ServiceState::Pending
                        && u.service_job_id.as_deref() == Some(job_text.as_str())
                });
                let (user_id, number, detail) = match held {
                    Some(u) => (
                        Some(u.id.as_str()),
                        u.service_number.as_deref(),
                        format!(
                            "{why} The number {} stays reserved for this user until the portal \
                             can confirm with Teams (reconciliation), which then assigns or \
                             releases it.",
                            u.service_number.as_deref().unwrap_or("")
                        ),
                    ),
                    None => (
                        user.as_ref().map(|u| u.id.as_str()),
                        None,
                        format!("Not started: {why}"),
                    ),
                };
                record_line(
                    conn,
                    &BulkLine {
                        job: job.clone(),
                        position: item.position,
                    },
                    user_id,
                    BulkItemOutcome::Failed,
                    number,
                    Some(&detail),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// Whether this bulk job is the one following the user's change.
async fn followed_by(
    ctx: &JobContext,
    account: &AccountId,
    user: &str,
    job: &JobId,
) -> Result<bool, Later> {
    let (account, user, job) = (account.clone(), user.to_owned(), job.to_string());
    ctx.db
        .run(move |conn| {
            Ok(db::directory::find(conn, &account, &user)?
                .is_some_and(|r| r.service_job_id.as_deref() == Some(job.as_str())))
        })
        .await
        .map_err(|e| Later {
            error: e.into(),
            retry_after: None,
        })
}

/// Waits (up to the operation timeout) for a change another job follows, then reads its end.
async fn settled_elsewhere(
    ctx: &JobContext,
    account: &AccountId,
    user: String,
    number: String,
) -> Result<Outcome, Later> {
    let started = tokio::time::Instant::now();
    loop {
        let (a, u) = (account.clone(), user.clone());
        let state = ctx
            .db
            .run(move |conn| Ok(db::directory::find(conn, &a, &u)?.map(|r| r.service_state.0)))
            .await
            .map_err(|e| Later {
                error: e.into(),
                retry_after: None,
            })?;
        if state != Some(ServiceState::Pending) {
            return settled_outcome(ctx, account, user, number, Settler::Another).await;
        }
        if started.elapsed() > ctx.telephony.operation_timeout {
            return Err(Later {
                error: JobError::new("Another request's change of this user has not finished."),
                retry_after: None,
            });
        }
        tokio::time::sleep(ctx.telephony.operation_poll).await;
    }
}

/// How one user came out: the outcome, their id, the number and Microsoft's words.
type Outcome = (
    BulkItemOutcome,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Whose change of a user a bulk job reads the end of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settler {
    /// This job reserved the number (an earlier attempt settled it): `assigned` is its own.
    ThisJob,
    /// Another job (a single change, or an overlapping bulk) had the user in hand: service it
    /// gave is `already_active` here, never counted as this job's `assigned`.
    Another,
}

async fn settled_outcome(
    ctx: &JobContext,
    account: &AccountId,
    user_id: String,
    number: String,
    settler: Settler,
) -> Result<Outcome, Later> {
    let account = account.clone();
    ctx.db
        .run(move |conn| {
            let row = db::directory::find(conn, &account, &user_id)?;
            Ok(match row {
                Some(r) if r.service_state.0 == ServiceState::Active => {
                    let outcome = match settler {
                        Settler::ThisJob => BulkItemOutcome::Assigned,
                        Settler::Another => BulkItemOutcome::AlreadyActive,
                    };
                    let number = r.service_number.unwrap_or(number);
                    (outcome, Some(user_id), Some(number), None)
                }
                Some(r) => (
                    BulkItemOutcome::Failed,
                    Some(user_id),
                    Some(number),
                    r.service_detail,
                ),
                None => (
                    BulkItemOutcome::Failed,
                    None,
                    None,
                    Some("The user is gone.".into()),
                ),
            })
        })
        .await
        .map_err(|e| Later {
            error: e.into(),
            retry_after: None,
        })
}
