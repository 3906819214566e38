//! A change of a user's phone service as a saga: the steps run in order, and a step that
//! fails undoes those done before it, in reverse.
//!
//! Giving service (the number was reserved by the request):
//! 1. `assignNumber` with the profile's emergency location, and its operation followed;
//! 2. at the same time, the profile's policies, after recording what the user had;
//! 3. `userConfigurations` read back until the number and every policy are in effect.
//!
//! Undo: the policies go back to what the user had, the number is unassigned and released,
//! and the user is `failed`, naming the step and Microsoft's words. A policy type Graph does
//! not take is not a failure: it is left for an admin ("needs manual action").
//!
//! Taking service away: the policies the portal set go back to what the user had, then the
//! number is unassigned (with its own `numberType`).
//!
//! Every step can run again: a run after a crash or a retry follows a recorded operation
//! rather than starting another, assigns the same policies again (harmless), and takes the
//! undo up where it was (its operation is recorded too).

use serde::{Deserialize, Serialize};
use shared::{
    directory::{PartState, ServicePart, ServiceState},
    phone_service::BulkItemOutcome,
    tenant_connection::{ConnectionState, VerificationTrigger},
};

use super::{
    plan::SagaRecord,
    settle::Settle,
    teams::{self, Direction, Ended},
};
use crate::{
    db::{self, directory::ServiceRecord},
    domain::{
        ids::{AccountId, JobId},
        ledger::{Actor, ActorKey},
        telephony::{self, Need},
        voice_profiles,
    },
    jobs::{JobContext, JobError},
    microsoft::client::MsError,
};

/// Which way a change goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Assign,
    Unassign,
}

/// One change of one user, as its job carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeOf {
    pub account_id: AccountId,
    pub user_id: String,
    pub number: String,
    pub change: Change,
    /// Who asked, for the ledger.
    pub actor: ActorKey,
}

/// How a change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOutcome {
    Assigned,
    Refused,
    Removed,
    RemovalRefused,
    /// Settled before (a run again after a crash).
    AlreadySettled,
}

/// The outcome, with Microsoft's words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settled {
    pub outcome: ChangeOutcome,
    pub detail: Option<String>,
    /// Refused because Microsoft no longer lets the app into the tenant (consent revoked,
    /// permission removed): every further change would be refused the same way.
    #[serde(skip)]
    pub access_refused: bool,
}

/// The line of a bulk job (or rollback) that a change belongs to: its outcome is written in
/// the same transaction as the settlement.
#[derive(Debug, Clone)]
pub struct BulkLine {
    pub job: JobId,
    pub position: i32,
}

/// Carries the change through and settles it.
pub async fn carry_out(
    ctx: &JobContext,
    change: &ChangeOf,
    line: Option<BulkLine>,
) -> Result<Settled, JobError> {
    let account = change.account_id.clone();
    let waiting = match change.change {
        Change::Assign => ServiceState::Pending,
        Change::Unassign => ServiceState::Removing,
    };
    let (open, tenant, operation, saga) = {
        let (account, user, number, actor) = (
            account.clone(),
            change.user_id.clone(),
            change.number.clone(),
            change.actor.clone(),
        );
        ctx.db
            .run(move |conn| {
                let settle = Settle {
                    account: &account,
                    user: &user,
                    number: &number,
                    actor: &actor,
                    operation: None,
                };
                let open = settle.is_open(conn, waiting)?;
                let tenant = telephony::tenant_for(conn, &account, Need::Numbers);
                let row = db::directory::find(conn, &account, &user)?;
                let operation = row.as_ref().and_then(|r| r.service_operation.clone());
                let saga = SagaRecord::parse(row.as_ref().and_then(|r| r.service_saga.as_deref()));
                Ok((open, tenant, operation, saga))
            })
            .await?
    };
    if !open {
        return Ok(Settled {
            outcome: ChangeOutcome::AlreadySettled,
            detail: None,
            access_refused: false,
        });
    }
    // Once Teams accepted the change, only Teams' answer settles it: until then a failure is
    // retried (and, past the last attempt, left to reconciliation), never taken as a refusal.
    let started = operation.is_some() || saga.undo_operation.is_some();
    let tenant = match tenant {
        Err(refusal) if started => {
            return Err(JobError::new(format!(
                "Teams was asked already; waiting for its answer: {refusal}"
            )))
        }
        Err(refusal) => {
            let end = End::Refused(refusal.to_string(), None);
            return settle(ctx, change, end, saga, line).await;
        }
        Ok(tenant) => tenant.to_string(),
    };
    let steps = match change.change {
        Change::Assign => give(ctx, change, &tenant, operation, saga).await,
        Change::Unassign => take_away(ctx, change, &tenant, operation, saga).await,
    };
    let (end, saga) = match steps {
        Ok(done) => done,
        Err(e) => return microsoft_failed(ctx, change, e, line).await,
    };
    settle(ctx, change, end, saga, line).await
}

/// How the steps came out.
enum End {
    /// Given: the parts as Teams reports them.
    Given(Vec<ServicePart>),
    /// Refused (after the undo): why, and who Teams showed holding the number, if another.
    Refused(String, Option<String>),
    Removed,
    RemovalRefused(String),
}

async fn give(
    ctx: &JobContext,
    change: &ChangeOf,
    tenant: &str,
    operation: Option<String>,
    mut saga: SagaRecord,
) -> Result<(End, SagaRecord), MsError> {
    let (account, user, number) = (&change.account_id, &change.user_id, &change.number);
    if let Some(failure) = saga.failure.clone() {
        // A run again after a crash during the undo: finish the undo.
        undo(ctx, account, tenant, user, number, &mut saga, true).await?;
        return Ok((End::Refused(failure, None), saga));
    }
    let number_plan = saga.clone();
    let (number_end, policies) = tokio::join!(
        teams::number_step(
            ctx,
            account,
            tenant,
            user,
            number,
            Direction::Assign,
            &number_plan,
            operation,
        ),
        teams::assign_policies(ctx, account, tenant, user, &mut saga),
    );
    let number_end = match number_end {
        Ok(end) => end,
        Err(e) => {
            if saga.prior.is_some()
                && matches!(
                    e,
                    MsError::Graph {
                        status: 400..=499,
                        ..
                    }
                )
            {
                // Teams refused the number outright: the policies sent beside it go back.
                teams::restore_policies(ctx, tenant, user, &saga).await?;
            }
            return Err(e);
        }
    };
    let policies = match policies {
        Ok(step) => step,
        Err(e) => {
            if matches!(number_end, Ended::Done) {
                // The number is in; the policies are tried again with the job.
                return Err(e);
            }
            teams::PolicyStep::default()
        }
    };
    if !policies.refused_types.is_empty() {
        note_refused_types(ctx, account, &saga, &policies.refused_types).await;
    }
    let failure = match number_end {
        Ended::Done => policies.failed,
        Ended::Refused(detail) => {
            undo(ctx, account, tenant, user, number, &mut saga, false).await?;
            return Ok((End::Refused(number_failed(&detail), None), saga));
        }
        Ended::Disputed { detail, holder } => {
            undo(ctx, account, tenant, user, number, &mut saga, false).await?;
            return Ok((End::Refused(detail, Some(holder)), saga));
        }
    };
    let failure = match failure {
        Some(failure) => failure,
        None => {
            let (parts, in_effect) = teams::read_back(ctx, tenant, user, number, &saga).await?;
            if in_effect {
                return Ok((End::Given(parts), saga));
            }
            not_in_effect(&parts, ctx.telephony.read_back_timeout.as_secs())
        }
    };
    saga.failure = Some(failure.clone());
    teams::save_saga(ctx, account, user, &saga).await?;
    undo(ctx, account, tenant, user, number, &mut saga, true).await?;
    Ok((End::Refused(failure, None), saga))
}

fn number_failed(detail: &str) -> String {
    format!("Assigning the number failed: {detail}")
}

/// The failure of a read-back that ran out of time, naming what Teams showed.
fn not_in_effect(parts: &[ServicePart], seconds: u64) -> String {
    let missing: Vec<String> = parts
        .iter()
        .filter(|p| !matches!(p.state, PartState::InEffect | PartState::NeedsManualAction))
        .map(|p| {
            let what = p
                .policy_type
                .map_or_else(|| format!("{:?}", p.kind), |t| t.as_str().to_owned());
            format!(
                "{what} '{}' (Teams shows {})",
                p.wanted,
                p.reported.as_deref().unwrap_or("nothing")
            )
        })
        .collect();
    format!(
        "Reading back from Teams: not in effect after {seconds} s: {}.",
        missing.join("; ")
    )
}

/// Undoes the steps done, in reverse: policies back to what the user had, then (when Teams
/// assigned it) the number unassigned.
async fn undo(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    user: &str,
    number: &str,
    saga: &mut SagaRecord,
    number_assigned: bool,
) -> Result<(), MsError> {
    if saga.prior.is_some() {
        let left = teams::restore_policies(ctx, tenant, user, saga).await?;
        for what in left {
            tracing::warn!(user, "{what}");
        }
    }
    if number_assigned {
        if let Ended::Refused(detail) | Ended::Disputed { detail, .. } =
            teams::undo_number(ctx, account, tenant, user, number, saga).await?
        {
            // Teams keeps the number: it must not go back to the pool as free.
            return Err(MsError::Unavailable {
                status: None,
                detail: format!("undoing the number failed: {detail}"),
            });
        }
    }
    Ok(())
}

async fn take_away(
    ctx: &JobContext,
    change: &ChangeOf,
    tenant: &str,
    operation: Option<String>,
    saga: SagaRecord,
) -> Result<(End, SagaRecord), MsError> {
    let (account, user, number) = (&change.account_id, &change.user_id, &change.number);
    if saga.prior.is_some() && operation.is_none() {
        let left = teams::restore_policies(ctx, tenant, user, &saga).await?;
        for what in left {
            tracing::warn!(user, "{what}");
        }
    }
    let end = teams::number_step(
        ctx,
        account,
        tenant,
        user,
        number,
        Direction::Unassign,
        &saga,
        operation,
    )
    .await?;
    Ok(match end {
        Ended::Done => (End::Removed, saga),
        Ended::Refused(detail) | Ended::Disputed { detail, .. } => {
            (End::RemovalRefused(detail), saga)
        }
    })
}

/// Marks the types Graph refused as manual on the profile, so that it warns admins.
async fn note_refused_types(
    ctx: &JobContext,
    account: &AccountId,
    saga: &SagaRecord,
    types: &[shared::voice_profiles::PolicyType],
) {
    let Some(profile) = saga.profile_id.clone() else {
        return;
    };
    let (account, types) = (account.clone(), types.to_vec());
    let marked = ctx
        .db
        .run(move |conn| {
            for t in types {
                voice_profiles::mark_manual(conn, &account, t)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = marked {
        tracing::warn!(profile, error = %e, "could not mark a refused policy type");
    }
}

/// A call to Microsoft failed (not a refusal of the change itself): retried, or, when
/// Microsoft no longer lets the app in before anything was sent, a refusal.
async fn microsoft_failed(
    ctx: &JobContext,
    change: &ChangeOf,
    e: MsError,
    line: Option<BulkLine>,
) -> Result<Settled, JobError> {
    let account = &change.account_id;
    let recorded = recorded(ctx, account, &change.user_id).await?;
    if refuses_access(&e) {
        // Consent revoked or the permission removed: verify the connection now, so that it
        // shows `needs_attention` with what to fix, rather than at the next health check.
        notice_lost_access(ctx, account).await;
        let detail = access_detail(&e);
        if recorded {
            // Teams may have done it: only Teams' answer (or reconciliation, once the portal
            // is let in again) settles it.
            return Err(JobError::access_refused(format!(
                "Teams was asked already, but the portal can no longer follow its answer: \
                 {detail}"
            )));
        }
        let saga = saga_of(ctx, account, &change.user_id).await?;
        let mut settled = settle(ctx, change, End::Refused(detail, None), saga, line).await?;
        settled.access_refused = true;
        return Ok(settled);
    }
    if let e @ MsError::Throttled { .. } = e {
        return Err(JobError::throttled(
            format!("Microsoft is throttling the portal: {e}"),
            e.retry_after(),
        ));
    }
    if recorded {
        return Err(JobError::new(format!(
            "Teams was asked already; following its operation failed: {e}"
        )));
    }
    if let MsError::Graph {
        status: 400..=499, ..
    } = e
    {
        let saga = saga_of(ctx, account, &change.user_id).await?;
        let detail = format!("Microsoft refused the change: {e}");
        return settle(ctx, change, End::Refused(detail, None), saga, line).await;
    }
    Err(JobError::new(format!("Microsoft did not answer: {e}")))
}

/// Whether Teams was sent something it may still be doing (an operation or an undo).
async fn recorded(ctx: &JobContext, account: &AccountId, user: &str) -> Result<bool, JobError> {
    let (account, user) = (account.clone(), user.to_owned());
    Ok(ctx
        .db
        .run(move |conn| {
            Ok(
                db::directory::find(conn, &account, &user)?.is_some_and(|r| {
                    r.service_operation.is_some()
                        || SagaRecord::parse(r.service_saga.as_deref())
                            .undo_operation
                            .is_some()
                }),
            )
        })
        .await?)
}

async fn saga_of(
    ctx: &JobContext,
    account: &AccountId,
    user: &str,
) -> Result<SagaRecord, JobError> {
    let (account, user) = (account.clone(), user.to_owned());
    Ok(ctx
        .db
        .run(move |conn| {
            Ok(SagaRecord::parse(
                db::directory::find(conn, &account, &user)?
                    .and_then(|r| r.service_saga)
                    .as_deref(),
            ))
        })
        .await?)
}

/// Microsoft no longer lets the app into the tenant: the identity platform refuses it a token
/// (consent revoked, AADSTS700016; the app removed), or Graph refuses the token or the
/// permission (401, 403). Not a passing fault: retrying cannot help until an admin acts.
fn refuses_access(e: &MsError) -> bool {
    matches!(
        e,
        MsError::Identity { .. }
            | MsError::Graph {
                status: 401 | 403,
                ..
            }
    )
}

/// What a user shows when Microsoft refused the app access to the tenant.
fn access_detail(e: &MsError) -> String {
    if e.is_permission_denied() {
        format!(
            "Microsoft refused: the app lacks the permission to manage phone numbers \
             (TeamsTelephoneNumber.ReadWrite.All). An admin can grant admin consent again on \
             the Tenant Connection page. ({e})"
        )
    } else {
        format!(
            "Microsoft refused the app access to your tenant: admin consent was revoked or the \
             app was removed. An admin can grant admin consent again on the Tenant Connection \
             page. ({e})"
        )
    }
}

/// Verifies the account's connection (as the health check would) unless it already shows
/// `needs_attention`: a lost consent or permission moves it there, with what to fix.
async fn notice_lost_access(ctx: &JobContext, account: &AccountId) {
    let acc = account.clone();
    let state = ctx
        .db
        .run(move |conn| Ok(db::tenant_connections::find(conn, &acc)?.map(|r| r.state.0)))
        .await;
    if matches!(state, Ok(Some(ConnectionState::NeedsAttention))) {
        return;
    }
    let verified = ctx
        .connections
        .verify_account(
            account.clone(),
            Actor::system(ACCESS_ACTOR),
            VerificationTrigger::Health,
        )
        .await;
    match verified {
        Ok(report) => tracing::warn!(
            account = %account,
            outcome = ?report.outcome,
            "Microsoft refused the app access; the connection was verified again"
        ),
        Err(e) => tracing::warn!(account = %account, error = %e, "could not verify the connection"),
    }
}

const ACCESS_ACTOR: &str = "Phone service (Microsoft refused access)";

/// Writes the end in one transaction: the user's service and record, the number, the ledger
/// event and the bulk line.
async fn settle(
    ctx: &JobContext,
    change: &ChangeOf,
    end: End,
    saga: SagaRecord,
    line: Option<BulkLine>,
) -> Result<Settled, JobError> {
    let change = change.clone();
    let aging_days = ctx.telephony.aging_days;
    let given_by = line
        .as_ref()
        .map_or_else(|| ctx.job_id().to_string(), |l| l.job.to_string());
    ctx.db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                let (account, user, number) = (&change.account_id, &change.user_id, &change.number);
                let operation = db::directory::find(conn, account, user)?
                    .and_then(|r| r.service_operation)
                    .map(|url| teams::operation_id(&url));
                let settle = Settle {
                    account,
                    user,
                    number,
                    actor: &change.actor,
                    operation: operation.as_deref(),
                };
                let (outcome, detail, record) = match end {
                    End::Given(parts) => {
                        let won = settle.assigned(conn)?;
                        let record = won.then(|| ServiceRecord {
                            service_profile_id: saga.profile_id.clone(),
                            service_parts: serde_json::to_string(&parts).ok(),
                            service_saga: Some(
                                SagaRecord {
                                    failure: None,
                                    undo_operation: None,
                                    ..saga
                                }
                                .to_json(),
                            ),
                            service_given_by: Some(given_by),
                        });
                        (ChangeOutcome::Assigned, None, record)
                    }
                    End::Refused(detail, holder) => {
                        let won = settle.refused(conn, &detail, holder.as_deref())?;
                        let mut parts = saga.pending_parts(number);
                        if let Some(first) = parts.first_mut() {
                            first.state = PartState::Failed;
                            first.detail = Some(detail.clone());
                        }
                        let record = won.then(|| ServiceRecord {
                            service_profile_id: saga.profile_id.clone(),
                            service_parts: serde_json::to_string(&parts).ok(),
                            ..ServiceRecord::default()
                        });
                        (ChangeOutcome::Refused, Some(detail), record)
                    }
                    End::Removed => {
                        let won = settle.removed(conn, aging_days)?;
                        (
                            ChangeOutcome::Removed,
                            None,
                            won.then(ServiceRecord::default),
                        )
                    }
                    End::RemovalRefused(detail) => {
                        settle.removal_refused(conn, &detail)?;
                        (ChangeOutcome::RemovalRefused, Some(detail), None)
                    }
                };
                if let Some(record) = record {
                    db::directory::set_record(conn, account, user, &record)?;
                }
                let item = match outcome {
                    ChangeOutcome::Assigned => Some(BulkItemOutcome::Assigned),
                    ChangeOutcome::Refused => Some(BulkItemOutcome::Failed),
                    ChangeOutcome::Removed => Some(BulkItemOutcome::Removed),
                    ChangeOutcome::RemovalRefused => Some(BulkItemOutcome::Failed),
                    ChangeOutcome::AlreadySettled => None,
                };
                if let (Some(line), Some(item)) = (&line, item) {
                    super::bulk::record_line(
                        conn,
                        line,
                        Some(user),
                        item,
                        Some(number),
                        detail.as_deref(),
                    )?;
                }
                Ok(Settled {
                    outcome,
                    detail,
                    access_refused: false,
                })
            })
        })
        .await
        .map_err(JobError::from)
}
