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
    jobs::{JobKind, JobStatus},
    numbers::{Mismatch, NumberStatus},
};

use super::{Job, JobContext, JobError};
use crate::{
    db,
    domain::{
        ids::{AccountId, JobId, TenantId},
        provisioning::{Settle, SYSTEM},
        stored,
    },
    error::ApiError,
    microsoft::client::AssignmentStatus,
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
        ctx.progress(done.accounts, Some(done.accounts + done.skipped))
            .await?;
        Ok(done)
    }
}

/// Reconciles one account: `(settled, conflicts)`.
pub async fn reconcile(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &TenantId,
) -> Result<(u64, u64), JobError> {
    let assignments = ctx
        .connections
        .client()
        .number_assignments(tenant.as_str(), None)
        .await
        .map_err(|e| JobError::new(format!("Reading Teams' numbers failed: {e}")))?;
    // Number -> the user Teams shows it assigned to.
    let teams: HashMap<String, String> = assignments
        .into_iter()
        .filter(|n| n.assignment_status == Some(AssignmentStatus::UserAssigned))
        .filter_map(|n| {
            n.assignment_target_id
                .map(|user| (n.telephone_number, user.to_ascii_lowercase()))
        })
        .collect();
    let account = account.clone();
    Ok(ctx
        .db
        .run(move |conn| settle_and_flag(conn, &account, &teams))
        .await?)
}

fn settle_and_flag(
    conn: &mut db::DbConn,
    account: &AccountId,
    teams: &HashMap<String, String>,
) -> Result<(u64, u64), ApiError> {
    let now = stored::now();
    let mut settled = 0;
    for user in db::directory::in_flight(conn, account)? {
        if user.service_state.0 != ServiceState::Pending
            || user.service_updated_at.is_some_and(|at| at + GRACE > now)
            || followed(conn, user.service_job_id.as_deref())?
        {
            continue;
        }
        let Some(number) = user.service_number.as_deref() else {
            continue;
        };
        let settle = Settle {
            account,
            user: &user.id,
            number,
            actor: SYSTEM,
            operation: None,
        };
        let done = if teams.get(number) == Some(&user.id) {
            settle.assigned(conn)?
        } else {
            settle.refused(
                conn,
                "The assignment was interrupted before Teams confirmed it, and Teams does not \
                 show the number with this user; the number was released. Try again.",
            )?
        };
        settled += u64::from(done);
    }

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
                flagged.insert(
                    number.clone(),
                    (Mismatch::AssignedOutsidePortal, Some(teams_user.clone())),
                );
            }
            Some((_, portal_user)) if portal_user != teams_user => {
                flagged.insert(
                    number.clone(),
                    (Mismatch::AssignedToOtherUser, Some(teams_user.clone())),
                );
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
    Ok((settled, flagged.len() as u64))
}

/// Whether a job that is not finished still follows the change.
fn followed(conn: &mut db::DbConn, job: Option<&str>) -> Result<bool, ApiError> {
    let Some(job) = job.and_then(JobId::parse) else {
        return Ok(false);
    };
    Ok(db::jobs::find(conn, &job)?
        .is_some_and(|j| matches!(j.status.0, JobStatus::Queued | JobStatus::Running)))
}
