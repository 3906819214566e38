//! The `phone_service_change` job: carries one reserved change to Teams (`assignNumber` or
//! `unassignNumber`), follows Teams' operation to its end and settles the outcome.
//!
//! Safe to run again (after a crash, a lost lease or a retry): a settled change is not touched;
//! an operation already started is followed, not started again; and before assigning, Teams'
//! own record of the number is read, so a retry never assigns twice.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::{
    directory::ServiceState,
    jobs::JobKind,
    phone_service::BulkItemOutcome,
    tenant_connection::{ConnectionState, VerificationTrigger},
};

use super::{Job, JobContext, JobError};
use crate::{
    db,
    domain::{
        ids::{AccountId, JobId},
        ledger::Actor,
        provisioning::Settle,
        telephony::{self, Need},
    },
    microsoft::client::{
        AssignNumber, AssignmentCategory, AssignmentStatus, MsError, NumberAssignment, NumberType,
        OperationRef, OperationStatus,
    },
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Assign,
    Unassign,
}

/// Carry `change` of `number` for `user_id` to Teams.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneServiceChange {
    pub account_id: String,
    pub user_id: String,
    pub number: String,
    pub change: Change,
    /// Who asked, for the ledger.
    pub actor: String,
}

/// How the change ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeOutcome {
    /// `assigned`, `refused`, `removed`, `removal_refused`, or `already_settled`.
    pub outcome: String,
    pub detail: Option<String>,
    /// Refused because Microsoft no longer lets the app into the tenant (consent revoked,
    /// permission removed): every further change would be refused the same way.
    #[serde(skip)]
    pub access_refused: bool,
}

impl Job for PhoneServiceChange {
    const KIND: JobKind = JobKind::PhoneServiceChange;
    // Throttling and outages are retried with backoff; a refusal by Teams is an outcome.
    const MAX_ATTEMPTS: u32 = 8;
    type Output = ChangeOutcome;

    async fn run(self, ctx: JobContext) -> Result<ChangeOutcome, JobError> {
        let outcome = carry_out(&ctx, &self, None).await?;
        ctx.progress(1, Some(1)).await?;
        Ok(outcome)
    }
}

/// What Teams made of a change.
enum Ended {
    Done,
    Refused(String),
    /// Teams shows the number with someone else (this object id, or a resource of Teams').
    Disputed {
        detail: String,
        holder: String,
    },
}

/// The line of a bulk job that a change belongs to: its outcome is written in the same
/// transaction as the settlement, so the job never lists as left a user it already settled
/// (a crash between the two would; run again, the job would then call them "already active").
#[derive(Debug, Clone)]
pub(super) struct BulkLine {
    pub job: JobId,
    pub position: i32,
}

/// Carries the change through and settles it (shared with the bulk job).
pub(super) async fn carry_out(
    ctx: &JobContext,
    change: &PhoneServiceChange,
    line: Option<BulkLine>,
) -> Result<ChangeOutcome, JobError> {
    let account = AccountId::parse(&change.account_id)
        .ok_or_else(|| JobError::permanent("The job names no valid account."))?;
    let waiting = match change.change {
        Change::Assign => ServiceState::Pending,
        Change::Unassign => ServiceState::Removing,
    };
    let (open, tenant, operation) = {
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
                let operation =
                    db::directory::find(conn, &account, &user)?.and_then(|r| r.service_operation);
                Ok((open, tenant, operation))
            })
            .await?
    };
    if !open {
        return Ok(ChangeOutcome {
            outcome: "already_settled".into(),
            detail: None,
            access_refused: false,
        });
    }
    // Once Teams accepted the change, only Teams' answer settles it: until then a failure is
    // retried (and, past the last attempt, left to reconciliation), never taken as a refusal.
    let started = operation.is_some();
    let mut access_refused = false;
    let ended = match tenant {
        Err(refusal) if started => {
            return Err(JobError::new(format!(
                "Teams was asked already; waiting for its answer: {refusal}"
            )))
        }
        Err(refusal) => Ended::Refused(refusal.to_string()),
        Ok(tenant) => {
            let tenant = tenant.to_string();
            match talk_to_teams(ctx, &account, change, &tenant, operation).await {
                Ok(ended) => ended,
                Err(e) if refuses_access(&e) => {
                    // Consent revoked or the permission removed: verify the connection now,
                    // so that it shows `needs_attention` with what to fix, rather than at the
                    // next scheduled health check.
                    notice_lost_access(ctx, &account).await;
                    let detail = access_detail(&e);
                    if operation_recorded(ctx, &account, &change.user_id).await? {
                        // Teams may have done it: only Teams' answer (or reconciliation, once
                        // the portal is let in again) settles it.
                        return Err(JobError::access_refused(format!(
                            "Teams was asked already, but the portal can no longer follow its \
                             answer: {detail}"
                        )));
                    }
                    access_refused = true;
                    Ended::Refused(detail)
                }
                Err(e)
                    if !matches!(e, MsError::Throttled { .. })
                        && operation_recorded(ctx, &account, &change.user_id).await? =>
                {
                    return Err(JobError::new(format!(
                        "Teams was asked already; following its operation failed: {e}"
                    )))
                }
                Err(
                    e @ MsError::Graph {
                        status: 400..=499, ..
                    },
                ) => Ended::Refused(format!("Microsoft refused the change: {e}")),
                Err(e @ MsError::Throttled { .. }) => {
                    return Err(JobError::throttled(
                        format!("Microsoft is throttling the portal: {e}"),
                        e.retry_after(),
                    ))
                }
                Err(e) => return Err(JobError::new(format!("Microsoft did not answer: {e}"))),
            }
        }
    };
    let mut outcome = settle(ctx, &account, change, ended, line).await?;
    outcome.access_refused = access_refused;
    Ok(outcome)
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

/// Whether the change was sent to Teams (its operation is recorded on the user).
async fn operation_recorded(
    ctx: &JobContext,
    account: &AccountId,
    user: &str,
) -> Result<bool, JobError> {
    let (account, user) = (account.clone(), user.to_owned());
    Ok(ctx
        .db
        .run(move |conn| {
            Ok(db::directory::find(conn, &account, &user)?
                .is_some_and(|r| r.service_operation.is_some()))
        })
        .await?)
}

async fn settle(
    ctx: &JobContext,
    account: &AccountId,
    change: &PhoneServiceChange,
    ended: Ended,
    line: Option<BulkLine>,
) -> Result<ChangeOutcome, JobError> {
    let (account, change_kind, user, number, actor) = (
        account.clone(),
        change.change,
        change.user_id.clone(),
        change.number.clone(),
        change.actor.clone(),
    );
    let aging_days = ctx.telephony.aging_days;
    ctx.db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                let operation = db::directory::find(conn, &account, &user)?
                    .and_then(|r| r.service_operation)
                    .map(|url| operation_id(&url));
                let settle = Settle {
                    account: &account,
                    user: &user,
                    number: &number,
                    actor: &actor,
                    operation: operation.as_deref(),
                };
                let (outcome, detail) = match (change_kind, ended) {
                    (Change::Assign, Ended::Done) => {
                        settle.assigned(conn)?;
                        ("assigned", None)
                    }
                    (Change::Assign, Ended::Refused(detail)) => {
                        settle.refused(conn, &detail, None)?;
                        ("refused", Some(detail))
                    }
                    (Change::Assign, Ended::Disputed { detail, holder }) => {
                        settle.refused(conn, &detail, Some(&holder))?;
                        ("refused", Some(detail))
                    }
                    (Change::Unassign, Ended::Done) => {
                        settle.removed(conn, aging_days)?;
                        ("removed", None)
                    }
                    (Change::Unassign, Ended::Refused(detail) | Ended::Disputed { detail, .. }) => {
                        settle.removal_refused(conn, &detail)?;
                        ("removal_refused", Some(detail))
                    }
                };
                let item = match outcome {
                    "assigned" => Some(BulkItemOutcome::Assigned),
                    "refused" => Some(BulkItemOutcome::Failed),
                    _ => None,
                };
                if let (Some(line), Some(item)) = (&line, item) {
                    db::bulk_items::record(
                        conn,
                        &line.job,
                        line.position,
                        Some(&user),
                        item,
                        Some(&number),
                        detail.as_deref(),
                    )?;
                }
                Ok(ChangeOutcome {
                    outcome: outcome.into(),
                    detail,
                    access_refused: false,
                })
            })
        })
        .await
        .map_err(JobError::from)
}

/// The operation id is the last segment of its URL (`operations('{id}')`).
fn operation_id(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    last.trim_start_matches("operations(")
        .trim_end_matches(')')
        .trim_matches('\'')
        .to_owned()
}

async fn talk_to_teams(
    ctx: &JobContext,
    account: &AccountId,
    change: &PhoneServiceChange,
    tenant: &str,
    operation: Option<String>,
) -> Result<Ended, MsError> {
    let client = ctx.connections.client();
    let operation = match operation {
        Some(url) => OperationRef {
            id: operation_id(&url),
            url,
        },
        None => {
            // Teams' own record first: a retry after a crash never assigns twice.
            let current = client.number_assignment_of(tenant, &change.number).await?;
            let holder = current.as_ref().and_then(holder_of);
            match (change.change, holder) {
                (Change::Assign, Some(holder)) if holder.eq_ignore_ascii_case(&change.user_id) => {
                    return Ok(Ended::Done)
                }
                (Change::Assign, Some(holder)) => {
                    return Ok(Ended::Disputed {
                        detail: format!(
                            "Teams shows {} assigned to another user or resource; it was not \
                             changed, and the number is flagged on the Numbers page.",
                            change.number
                        ),
                        holder,
                    })
                }
                (Change::Unassign, None) => return Ok(Ended::Done),
                (Change::Unassign, Some(holder))
                    if !holder.eq_ignore_ascii_case(&change.user_id) =>
                {
                    return Ok(Ended::Refused(format!(
                        "Teams shows {} assigned to another user; it was not removed.",
                        change.number
                    )))
                }
                _ => {}
            }
            let started = match change.change {
                Change::Assign => {
                    client
                        .assign_number(
                            tenant,
                            &AssignNumber {
                                telephone_number: change.number.clone(),
                                assignment_target_id: change.user_id.clone(),
                                number_type: NumberType::DirectRouting,
                                assignment_category: AssignmentCategory::Primary,
                                location_id: None,
                            },
                        )
                        .await?
                }
                Change::Unassign => {
                    client
                        .unassign_number(tenant, &change.number, NumberType::DirectRouting)
                        .await?
                }
            };
            let (account, user, url) =
                (account.clone(), change.user_id.clone(), started.url.clone());
            ctx.db
                .run(move |conn| Ok(db::directory::set_operation(conn, &account, &user, &url)?))
                .await
                .map_err(|e| MsError::Malformed(format!("could not record the operation: {e}")))?;
            started
        }
    };
    follow(ctx, tenant, &operation).await
}

/// Who Teams shows a number assigned to: a user's object id, the id of another target (a
/// resource account, a conference bridge, a policy), or `""` when Teams names none; `None`
/// when it is unassigned.
pub fn holder_of(number: &NumberAssignment) -> Option<String> {
    match number.assignment_status {
        None | Some(AssignmentStatus::Unassigned) => None,
        Some(_) => Some(
            number
                .assignment_target_id
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        ),
    }
}

/// Polls the operation until it ends (or the configured time runs out: an error, so the job
/// is retried and follows the same operation again).
async fn follow(
    ctx: &JobContext,
    tenant: &str,
    operation: &OperationRef,
) -> Result<Ended, MsError> {
    let client = ctx.connections.client();
    let started = tokio::time::Instant::now();
    let poll = ctx.telephony.operation_poll;
    loop {
        let state = client.operation(tenant, operation).await?;
        if state.status.is_final() {
            return Ok(match state.status {
                OperationStatus::Succeeded => Ended::Done,
                _ => Ended::Refused(
                    state
                        .numbers
                        .iter()
                        .find_map(|n| n.status_detail.clone())
                        .unwrap_or_else(|| {
                            format!("Teams reported the operation {:?}.", state.status)
                        }),
                ),
            });
        }
        if started.elapsed() > ctx.telephony.operation_timeout {
            return Err(MsError::Unavailable {
                status: None,
                detail: "the Teams operation did not finish in time".into(),
            });
        }
        tokio::time::sleep(poll.min(Duration::from_secs(5))).await;
    }
}
