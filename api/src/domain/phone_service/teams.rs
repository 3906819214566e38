//! The conversation with Teams a change holds: the number's operation, the policies, and the
//! read-back of what Teams reports.

use std::time::Duration;

use futures_util::future::join_all;
use shared::{
    directory::{PartState, ServicePart, ServicePartKind},
    voice_profiles::PolicyType,
};

use super::plan::{manual_note, permission_note, PriorPolicy, SagaRecord};
use crate::{
    db,
    domain::ids::AccountId,
    jobs::JobContext,
    microsoft::client::{
        AssignNumber, AssignmentCategory, AssignmentStatus, MsError, NumberAssignment, NumberType,
        OperationRef, OperationStatus, UserConfiguration,
    },
};

/// What Teams made of a number operation.
pub enum Ended {
    Done,
    Refused(String),
    /// Teams shows the number with someone else (this object id, or a resource of Teams').
    Disputed {
        detail: String,
        holder: String,
    },
}

/// Which way a number goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Assign,
    Unassign,
}

/// The number step: starts the operation (unless one is recorded: then it is followed) and
/// follows it to its end. Teams' own record is read first, so a retry never assigns twice;
/// an unassignment sends the number's own `numberType` from that record.
#[allow(clippy::too_many_arguments)]
pub async fn number_step(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    user: &str,
    number: &str,
    direction: Direction,
    plan: &SagaRecord,
    operation: Option<String>,
) -> Result<Ended, MsError> {
    let client = ctx.connections.client();
    let operation = match operation {
        Some(url) => OperationRef {
            id: operation_id(&url),
            url,
        },
        None => {
            let current = client.number_assignment_of(tenant, number).await?;
            let holder = current.as_ref().and_then(holder_of);
            match (direction, holder) {
                (Direction::Assign, Some(holder)) if holder.eq_ignore_ascii_case(user) => {
                    return Ok(Ended::Done)
                }
                (Direction::Assign, Some(holder)) => {
                    return Ok(Ended::Disputed {
                        detail: format!(
                            "Teams shows {number} assigned to another user or resource; it was \
                             not changed, and the number is flagged on the Numbers page."
                        ),
                        holder,
                    })
                }
                (Direction::Unassign, None) => return Ok(Ended::Done),
                (Direction::Unassign, Some(holder)) if !holder.eq_ignore_ascii_case(user) => {
                    return Ok(Ended::Refused(format!(
                        "Teams shows {number} assigned to another user; it was not removed."
                    )))
                }
                _ => {}
            }
            let started = match direction {
                Direction::Assign => {
                    client
                        .assign_number(
                            tenant,
                            &AssignNumber {
                                telephone_number: number.to_owned(),
                                assignment_target_id: user.to_owned(),
                                number_type: number_type(&plan.number_type),
                                assignment_category: AssignmentCategory::Primary,
                                location_id: plan.location_id.clone(),
                            },
                        )
                        .await?
                }
                Direction::Unassign => {
                    // The number's own type, as Teams records it.
                    let kind = current
                        .map(|c| c.number_type)
                        .unwrap_or_else(|| number_type(&plan.number_type));
                    client.unassign_number(tenant, number, kind).await?
                }
            };
            record_operation(ctx, account, user, &started.url).await?;
            started
        }
    };
    follow(ctx, tenant, &operation).await
}

/// Undoes a number Teams assigned: starts `unassignNumber` (or follows the one recorded in the
/// saga) and follows it. The operation is recorded in the saga before it is followed, so a run
/// again after a crash follows it instead of taking it for the assignment.
pub async fn undo_number(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    user: &str,
    number: &str,
    saga: &mut SagaRecord,
) -> Result<Ended, MsError> {
    let client = ctx.connections.client();
    let operation = match &saga.undo_operation {
        Some(url) => OperationRef {
            id: operation_id(url),
            url: url.clone(),
        },
        None => {
            let current = client.number_assignment_of(tenant, number).await?;
            let Some(current) = current.filter(|c| holder_of(c).is_some_and(|h| h == user)) else {
                return Ok(Ended::Done);
            };
            let started = client
                .unassign_number(tenant, number, current.number_type)
                .await?;
            saga.undo_operation = Some(started.url.clone());
            save_saga(ctx, account, user, saga).await?;
            started
        }
    };
    follow(ctx, tenant, &operation).await
}

fn number_type(stored: &str) -> NumberType {
    match stored {
        "operatorConnect" => NumberType::OperatorConnect,
        "callingPlan" => NumberType::CallingPlan,
        _ => NumberType::DirectRouting,
    }
}

async fn record_operation(
    ctx: &JobContext,
    account: &AccountId,
    user: &str,
    url: &str,
) -> Result<(), MsError> {
    let (account, user, url) = (account.clone(), user.to_owned(), url.to_owned());
    ctx.db
        .run(move |conn| Ok(db::directory::set_operation(conn, &account, &user, &url)?))
        .await
        .map_err(|e| MsError::Malformed(format!("could not record the operation: {e}")))?;
    Ok(())
}

pub async fn save_saga(
    ctx: &JobContext,
    account: &AccountId,
    user: &str,
    saga: &SagaRecord,
) -> Result<(), MsError> {
    let (account, user, text) = (account.clone(), user.to_owned(), saga.to_json());
    ctx.db
        .run(move |conn| Ok(db::directory::set_saga(conn, &account, &user, Some(&text))?))
        .await
        .map_err(|e| MsError::Malformed(format!("could not record the change: {e}")))?;
    Ok(())
}

/// The operation id is the last segment of its URL (`operations('{id}')`).
pub fn operation_id(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    last.trim_start_matches("operations(")
        .trim_end_matches(')')
        .trim_matches('\'')
        .to_owned()
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
pub async fn follow(
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

/// How the policy step went.
#[derive(Debug, Default)]
pub struct PolicyStep {
    /// A policy Teams refused for this user (not its type): the change is undone.
    pub failed: Option<String>,
    /// Types Graph refused as such (400): now manual, on this change and on the profile.
    pub refused_types: Vec<PolicyType>,
}

/// Assigns the plan's policies (all at once), after recording what the user had before.
/// - 400 for a type: Graph does not take it; it becomes "needs manual action" (not a failure);
/// - 403: the app may not assign policies (consent not renewed): the same, with that note;
/// - another refusal (an unknown user or policy): the step fails;
/// - throttling and outages: an error, so the job runs again and assigns again (assigning
///   the same policy twice is harmless).
pub async fn assign_policies(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    user: &str,
    saga: &mut SagaRecord,
) -> Result<PolicyStep, MsError> {
    let mut step = PolicyStep::default();
    if saga.sent().next().is_none() {
        return Ok(step);
    }
    let client = ctx.connections.client();
    if saga.prior.is_none() {
        let before = configuration(ctx, tenant, user).await?;
        saga.prior = Some(
            saga.policies
                .iter()
                .map(|p| PriorPolicy {
                    policy_type: p.policy_type,
                    policy_id: before
                        .as_ref()
                        .and_then(|c| c.effective_policy(p.policy_type))
                        .filter(|a| {
                            a.assignment_type
                                .as_deref()
                                .is_none_or(|t| t.eq_ignore_ascii_case("direct"))
                        })
                        .and_then(|a| a.policy_id.clone()),
                })
                .collect(),
        );
        save_saga(ctx, account, user, saga).await?;
    }
    let sent: Vec<_> = saga.sent().cloned().collect();
    let results = join_all(
        sent.iter()
            .map(|p| client.assign_policy(tenant, user, p.policy_type, &p.policy_id)),
    )
    .await;
    let mut changed = false;
    for (policy, result) in sent.iter().zip(results) {
        match result {
            Ok(()) => {}
            Err(e) if refuses_type(&e) => {
                step.refused_types.push(policy.policy_type);
                mark(saga, policy.policy_type, manual_note(policy.policy_type));
                changed = true;
            }
            Err(MsError::Graph { status: 403, .. }) => {
                mark(
                    saga,
                    policy.policy_type,
                    permission_note(policy.policy_type),
                );
                changed = true;
            }
            Err(
                e @ MsError::Graph {
                    status: 400 | 404 | 409,
                    ..
                },
            ) => {
                step.failed.get_or_insert_with(|| {
                    format!(
                        "Assigning {} '{}' failed: {e}",
                        policy.policy_type.as_str(),
                        policy.name
                    )
                });
            }
            Err(e) => return Err(e),
        }
    }
    if changed {
        save_saga(ctx, account, user, saga).await?;
    }
    Ok(step)
}

/// Graph refused the policy type itself, not this policy or user. Which types Graph takes is
/// undocumented, and so is the wording of its refusal (TELEPHONY.md §8, UNCONFIRMED): a 400
/// that says the type is not supported counts; any other 400 (an unknown policy id, say) is a
/// failure of the step.
fn refuses_type(e: &MsError) -> bool {
    match e {
        MsError::Graph {
            status: 400,
            message,
            ..
        } => {
            let message = message.to_ascii_lowercase();
            message.contains("not supported") || message.contains("unsupported")
        }
        _ => false,
    }
}

fn mark(saga: &mut SagaRecord, policy_type: PolicyType, note: String) {
    if let Some(p) = saga
        .policies
        .iter_mut()
        .find(|p| p.policy_type == policy_type)
    {
        p.manual = true;
        p.note = Some(note);
    }
}

/// Puts back what the user had of each policy the portal sent: their previous direct policy,
/// or none (the org-wide default). A user Teams no longer knows, or a refusal, is left (there
/// is nothing the portal can put back); throttling and outages are an error, to run again.
pub async fn restore_policies(
    ctx: &JobContext,
    tenant: &str,
    user: &str,
    saga: &SagaRecord,
) -> Result<Vec<String>, MsError> {
    let client = ctx.connections.client();
    let sent: Vec<_> = saga.sent().cloned().collect();
    let results = join_all(sent.iter().map(|p| {
        let prior = saga.prior_of(p.policy_type).map(str::to_owned);
        let client = client.clone();
        async move {
            match prior {
                Some(id) => client.assign_policy(tenant, user, p.policy_type, &id).await,
                None => client.unassign_policy(tenant, user, p.policy_type).await,
            }
        }
    }))
    .await;
    let mut left = Vec::new();
    for (policy, result) in sent.iter().zip(results) {
        match result {
            Ok(()) => {}
            Err(
                e @ MsError::Graph {
                    status: 400..=499, ..
                },
            ) if e.retry_after().is_none() => {
                left.push(format!(
                    "{} could not be put back: {e}",
                    policy.policy_type.as_str()
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(left)
}

/// The user's Teams configuration; `None` when Teams does not know the user (yet).
async fn configuration(
    ctx: &JobContext,
    tenant: &str,
    user: &str,
) -> Result<Option<UserConfiguration>, MsError> {
    match ctx
        .connections
        .client()
        .user_configuration(tenant, user)
        .await
    {
        Ok(c) => Ok(Some(c)),
        Err(MsError::Graph { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads what Teams reports until the number, its location and every policy sent are in
/// effect, or the read-back time runs out. Returns the parts and whether all are in effect.
pub async fn read_back(
    ctx: &JobContext,
    tenant: &str,
    user: &str,
    number: &str,
    saga: &SagaRecord,
) -> Result<(Vec<ServicePart>, bool), MsError> {
    let started = tokio::time::Instant::now();
    loop {
        let config = match configuration(ctx, tenant, user).await {
            Ok(config) => config,
            Err(e @ MsError::Graph { status: 403, .. }) => {
                // The app may not read user configurations (TeamsUserConfiguration.Read.All
                // removed): Teams did what it was asked; the parts say they are unconfirmed.
                let mut parts = saga.pending_parts(number);
                for part in &mut parts {
                    part.detail
                        .get_or_insert_with(|| format!("Not read back from Teams: {e}"));
                }
                return Ok((parts, true));
            }
            Err(e) => return Err(e),
        };
        let location = match &saga.location_id {
            Some(_) => ctx
                .connections
                .client()
                .number_assignment_of(tenant, number)
                .await?
                .and_then(|n| n.location_id),
            None => None,
        };
        let parts = reported_parts(saga, number, config.as_ref(), location.as_deref());
        let done = parts
            .iter()
            .all(|p| matches!(p.state, PartState::InEffect | PartState::NeedsManualAction));
        if done || started.elapsed() >= ctx.telephony.read_back_timeout {
            return Ok((parts, done));
        }
        tokio::time::sleep(ctx.telephony.operation_poll).await;
    }
}

/// Each part as Teams reports it.
pub fn reported_parts(
    saga: &SagaRecord,
    number: &str,
    config: Option<&UserConfiguration>,
    location: Option<&str>,
) -> Vec<ServicePart> {
    let mut parts = saga.pending_parts(number);
    for part in &mut parts {
        match part.kind {
            ServicePartKind::Number => {
                let has = config.is_some_and(|c| {
                    c.telephone_numbers
                        .iter()
                        .any(|n| same_number(&n.telephone_number, number))
                });
                part.reported = has.then(|| number.to_owned());
                part.state = if has {
                    PartState::InEffect
                } else {
                    PartState::Pending
                };
            }
            ServicePartKind::EmergencyLocation => {
                part.reported = location.map(str::to_owned);
                part.state = match location {
                    Some(l) if l.eq_ignore_ascii_case(&part.wanted) => PartState::InEffect,
                    Some(_) => PartState::Differs,
                    None => PartState::Pending,
                };
            }
            ServicePartKind::Policy => {
                let Some(policy_type) = part.policy_type else {
                    continue;
                };
                let effective = config.and_then(|c| c.effective_policy(policy_type));
                part.reported = Some(effective.map_or_else(
                    || "Global (org-wide default)".to_owned(),
                    |a| {
                        let name = a.display_name.clone().unwrap_or_default();
                        match a.assignment_type.as_deref() {
                            Some(t) if t.eq_ignore_ascii_case("group") => {
                                format!("{name} (through a group)")
                            }
                            _ => name,
                        }
                    },
                ));
                if part.state == PartState::NeedsManualAction {
                    continue;
                }
                let wanted_id = saga
                    .policies
                    .iter()
                    .find(|p| p.policy_type == policy_type)
                    .map(|p| p.policy_id.as_str());
                part.state = match effective.and_then(|a| a.policy_id.as_deref()) {
                    Some(id) if Some(id) == wanted_id => PartState::InEffect,
                    _ if config.is_none() => PartState::Pending,
                    _ => PartState::Differs,
                };
            }
        }
    }
    parts
}

/// Teams shows numbers with `+`, and Direct Routing extensions as `;ext=`.
fn same_number(reported: &str, number: &str) -> bool {
    let digits = |s: &str| s.trim_start_matches('+').to_ascii_lowercase();
    digits(reported) == digits(number)
}
