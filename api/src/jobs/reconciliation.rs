//! The `reconciliation` job: compares every connected account's inventory with Teams'
//! `numberAssignments`.
//!
//! - It settles reservations left in flight (the process died between reserving a number and
//!   learning Teams' outcome, and no job follows it any more): assigned if Teams shows the
//!   number with the user, released otherwise.
//! - It flags numbers Teams disagrees about (assigned outside the portal, to another user, or
//!   not at all), and clears flags that no longer hold. It never overwrites either side.
//!
//! Runs at start-up and on a schedule.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use shared::{
    directory::ServiceState,
    jobs::JobKind,
    numbers::{Mismatch, NumberStatus},
};

use super::{Job, JobContext, JobError};
use crate::domain::phone_service::teams::holder_of;
use crate::{
    db::{self, directory::DirectoryUserRow},
    domain::{
        ids::{AccountId, JobId, TenantId},
        ledger::ActorKey,
        phone_service::Settle,
        stored,
    },
    error::ApiError,
    microsoft::client::{Operation, OperationRef, OperationStatus},
};

/// A reservation younger than this is left to the request or job that made it.
const GRACE: chrono::Duration = chrono::Duration::minutes(2);

/// Reconcile every connected account (a system job).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reconciliation {}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reconciled {
    pub accounts: u64,
    /// In-flight reservations settled.
    pub settled: u64,
    /// Numbers flagged as disagreeing with Teams.
    pub conflicts: u64,
    /// Accounts Microsoft could not be asked about this time.
    pub skipped: u64,
}

impl Job for Reconciliation {
    const KIND: JobKind = JobKind::Reconciliation;
    const MAX_ATTEMPTS: u32 = 3;
    type Output = Reconciled;

    async fn run(self, ctx: JobContext) -> Result<Reconciled, JobError> {
        let accounts = ctx
            .db
            .run(|conn| Ok(db::tenant_connections::watched(conn)?))
            .await?;
        let mut done = Reconciled::default();
        for (account, tenant) in accounts {
            match reconcile(&ctx, &account, &tenant).await {
                Ok((settled, conflicts)) => {
                    done.accounts += 1;
                    done.settled += settled;
                    done.conflicts += conflicts;
                }
                Err(e) => {
                    tracing::warn!(account = %account, error = e.message(), "reconciliation skipped an account");
                    done.skipped += 1;
                }
            }
        }
        done.settled += settle_disconnected(&ctx).await?;
        ctx.progress(done.accounts, Some(done.accounts + done.skipped))
            .await?;
        Ok(done)
    }
}

/// What Teams' operation says of a stranded change, when it was recorded and could be read.
type Verdict = (DirectoryUserRow, Option<Operation>);

/// Reconciles one account: `(settled, conflicts)`.
pub async fn reconcile(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &TenantId,
) -> Result<(u64, u64), JobError> {
    let client = ctx.connections.client();
    let assignments = client
        .number_assignments(tenant.as_str(), None)
        .await
        .map_err(|e| JobError::new(format!("Reading Teams' numbers failed: {e}")))?;
    // Number -> who Teams shows it assigned to (a user, or another kind of target).
    let teams: HashMap<String, String> = assignments
        .iter()
        .filter_map(|n| holder_of(n).map(|holder| (n.telephone_number.clone(), holder)))
        .collect();
    let stranded = {
        let account = account.clone();
        ctx.db
            .run(move |conn| stranded(conn, &account, stored::now()))
            .await?
    };
    // A change Teams accepted is settled by its operation when Teams still has it; one still
    // running is left for the next round.
    let mut verdicts: Vec<Verdict> = Vec::new();
    for user in stranded {
        let operation = match user.service_operation.as_deref() {
            Some(url) => {
                let reference = OperationRef {
                    url: url.to_owned(),
                    id: String::new(),
                };
                client.operation(tenant.as_str(), &reference).await.ok()
            }
            None => None,
        };
        if operation.as_ref().is_some_and(|op| !op.status.is_final()) {
            continue;
        }
        verdicts.push((user, operation));
    }
    let (account, aging_days) = (account.clone(), ctx.telephony.aging_days);
    Ok(ctx
        .db
        .run(move |conn| {
            let settled = settle_stranded(conn, &account, &teams, verdicts, aging_days)?;
            let conflicts = flag(conn, &account, &teams)?;
            db::idempotency::purge(conn, stored::now() - KEEP_IDEMPOTENCY_KEYS)?;
            Ok((settled, conflicts))
        })
        .await?)
}

/// Changes stranded in accounts whose tenant is no longer connected: Teams cannot be asked, so
/// an assignment ends failed with its number resting, and a removal keeps the service.
async fn settle_disconnected(ctx: &JobContext) -> Result<u64, JobError> {
    let aging_days = ctx.telephony.aging_days;
    Ok(ctx
        .db
        .run(move |conn| {
            let watched: HashSet<AccountId> = db::tenant_connections::watched(conn)?
                .into_iter()
                .map(|(account, _)| account)
                .collect();
            let mut settled = 0;
            for account in db::directory::accounts_in_flight(conn)? {
                if watched.contains(&account) {
                    continue;
                }
                for user in stranded(conn, &account, stored::now())? {
                    let Some(number) = user.service_number.as_deref() else {
                        continue;
                    };
                    let settle = Settle {
                        account: &account,
                        user: &user.id,
                        number,
                        actor: &ActorKey::System,
                        operation: None,
                    };
                    let done = match user.service_state.0 {
                        ServiceState::Pending => settle.abandoned(
                            conn,
                            "The tenant was disconnected before Teams confirmed the number; it \
                             rests before it can be given again. Reconnect, then try again.",
                            aging_days,
                        )?,
                        ServiceState::Removing => settle.removal_refused(
                            conn,
                            "The tenant was disconnected before Teams confirmed the removal; \
                             the service is shown as kept.",
                        )?,
                        _ => false,
                    };
                    settled += u64::from(done);
                }
            }
            Ok(settled)
        })
        .await?)
}

/// Idempotency keys are kept this long: a client retries within minutes, not days.
const KEEP_IDEMPOTENCY_KEYS: chrono::Duration = chrono::Duration::days(1);

/// Users waiting on Teams with no job following them any more, for longer than [`GRACE`].
fn stranded(
    conn: &mut db::DbConn,
    account: &AccountId,
    now: chrono::NaiveDateTime,
) -> Result<Vec<DirectoryUserRow>, ApiError> {
    let mut left = Vec::new();
    for user in db::directory::in_flight(conn, account)? {
        let young = user.service_updated_at.is_some_and(|at| at + GRACE > now);
        if !young && !followed(conn, user.service_job_id.as_deref())? {
            left.push(user);
        }
    }
    Ok(left)
}

fn settle_stranded(
    conn: &mut db::DbConn,
    account: &AccountId,
    teams: &HashMap<String, String>,
    verdicts: Vec<Verdict>,
    aging_days: u32,
) -> Result<u64, ApiError> {
    let mut settled = 0;
    for (user, operation) in verdicts {
        let Some(number) = user.service_number.as_deref() else {
            continue;
        };
        let settle = Settle {
            account,
            user: &user.id,
            number,
            actor: &ActorKey::System,
            operation: None,
        };
        let with_user = teams.get(number) == Some(&user.id);
        let teams_said = operation
            .as_ref()
            .map(|op| op.status == OperationStatus::Succeeded);
        let detail = operation
            .as_ref()
            .and_then(|op| op.numbers.iter().find_map(|n| n.status_detail.clone()));
        let done = match user.service_state.0 {
            ServiceState::Pending if teams_said.unwrap_or(with_user) => settle.assigned(conn)?,
            ServiceState::Pending => settle.refused(
                conn,
                detail.as_deref().unwrap_or(
                    "The assignment was interrupted before Teams confirmed it, and Teams does \
                     not show the number with this user; the number was released. Try again.",
                ),
                None,
            )?,
            ServiceState::Removing if teams_said.unwrap_or(!with_user) => {
                settle.removed(conn, aging_days)?
            }
            ServiceState::Removing => settle.removal_refused(
                conn,
                detail.as_deref().unwrap_or(
                    "The removal was interrupted, and Teams still shows the number with this \
                     user; the service was kept. Try again.",
                ),
            )?,
            _ => false,
        };
        settled += u64::from(done);
    }
    Ok(settled)
}

/// Flags the numbers Teams disagrees about and clears the flags that no longer hold; how
/// many are flagged.
fn flag(
    conn: &mut db::DbConn,
    account: &AccountId,
    teams: &HashMap<String, String>,
) -> Result<u64, ApiError> {
    let now = stored::now();
    // What the portal says of every number Teams or the portal shows assigned.
    let held: HashMap<String, (NumberStatus, String)> = db::numbers::held(conn, account)?
        .into_iter()
        .filter_map(|n| n.user_id.map(|u| (n.number, (n.status.0, u))))
        .collect();
    let teams_numbers: Vec<String> = teams.keys().cloned().collect();
    let in_inventory: HashSet<String> = db::numbers::existing(conn, account, &teams_numbers)?
        .into_iter()
        .map(|(number, _)| number)
        .collect();
    let mut flagged: HashMap<String, (Mismatch, Option<String>)> = HashMap::new();
    for (number, teams_user) in teams {
        if !in_inventory.contains(number) {
            continue;
        }
        match held.get(number) {
            None => {
                let holder = Some(teams_user.clone()).filter(|h| !h.is_empty());
                flagged.insert(number.clone(), (Mismatch::AssignedOutsidePortal, holder));
            }
            Some((_, portal_user)) if portal_user != teams_user => {
                let holder = Some(teams_user.clone()).filter(|h| !h.is_empty());
                flagged.insert(number.clone(), (Mismatch::AssignedToOtherUser, holder));
            }
            Some(_) => {}
        }
    }
    for (number, (status, _)) in &held {
        if *status == NumberStatus::Assigned && !teams.contains_key(number) {
            flagged.insert(number.clone(), (Mismatch::MissingInTeams, None));
        }
    }
    for number in db::numbers::conflicted(conn, account)? {
        if !flagged.contains_key(&number) {
            db::numbers::set_conflict(conn, account, &number, None, now)?;
        }
    }
    for (number, (kind, teams_user)) in &flagged {
        db::numbers::set_conflict(
            conn,
            account,
            number,
            Some((*kind, teams_user.as_deref())),
            now,
        )?;
    }
    Ok(flagged.len() as u64)
}

/// Whether a job that is not finished still follows the change.
fn followed(conn: &mut db::DbConn, job: Option<&str>) -> Result<bool, ApiError> {
    let Some(job) = job.and_then(JobId::parse) else {
        return Ok(false);
    };
    Ok(db::jobs::is_unfinished(conn, &job)?)
}
