//! Rolling back a bulk job: a job of its own that takes away the service the bulk gave, from
//! each user whose service is still that one (`service_given_by` names the bulk job and the
//! number is the one it gave). Users changed since are left alone and listed (`skipped`).

use shared::{
    directory::ServiceState,
    jobs::{JobKind, JobStatus},
    phone_service::{BulkAccepted, BulkItemOutcome},
    problem::ConflictCode,
};
use uuid::Uuid;

use super::{
    bulk::record_line,
    saga::{self, BulkLine, Change, ChangeOf, ChangeOutcome},
};
use crate::{
    db::{
        self,
        bulk_items::{BulkItemRow, StoredOutcome},
        directory::{ServiceChange, StoredServiceState},
        DbConn,
    },
    domain::{
        ids::{AccountId, JobId},
        principal::Principal,
        stored,
        telephony::{self, Need},
    },
    error::ApiError,
    jobs::{queue, BulkRollback, JobContext, JobError},
};

/// Starts the rollback of bulk job `bulk` (admins): one per bulk job, once it has finished.
pub fn start(conn: &mut DbConn, caller: &Principal, bulk: Uuid) -> Result<BulkAccepted, ApiError> {
    caller.require_admin()?;
    let job = queue::get(conn, caller, bulk)?;
    if job.kind != JobKind::BulkPhoneService {
        return Err(ApiError::not_found("bulk job"));
    }
    if !matches!(job.status, JobStatus::Succeeded | JobStatus::Failed) {
        return Err(ApiError::conflict(
            ConflictCode::BulkJobUnfinished,
            "This bulk job has not finished yet. Roll it back once it is done.",
        ));
    }
    let account = caller.account_id.clone();
    let bulk_id = JobId::from(bulk);
    let actor = super::actor(caller);
    db::transaction(conn, |conn| {
        telephony::tenant_for(conn, &account, Need::Numbers)?;
        let payload = BulkRollback {
            account_id: account.clone(),
            bulk_job_id: bulk_id.clone(),
            actor: actor.clone(),
        };
        let key = format!("bulk_rollback@{bulk_id}");
        let Some(rollback) = queue::enqueue_keyed(conn, &account, &key, &payload)? else {
            return Err(ApiError::conflict(
                ConflictCode::RollbackStarted,
                "This bulk job has been rolled back already (or is being rolled back).",
            ));
        };
        let rows: Vec<BulkItemRow> = db::bulk_items::of_job(conn, &bulk_id)?
            .into_iter()
            .filter(|item| item.outcome.0 == BulkItemOutcome::Assigned)
            .enumerate()
            .map(|(i, item)| BulkItemRow {
                job_id: rollback.clone(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                user_ref: item.user_id.clone().unwrap_or(item.user_ref),
                user_id: item.user_id,
                outcome: StoredOutcome(BulkItemOutcome::Queued),
                number: item.number,
                detail: None,
            })
            .collect();
        db::bulk_items::insert(conn, &rows)?;
        Ok(BulkAccepted {
            job_id: rollback.uuid(),
            users: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        })
    })
}

/// Where one user of a rollback stands.
enum Begun {
    /// Removing now (or still, after a crash): follow it.
    Removing { user: String, number: String },
    /// Settled already (skipped, or this job's removal ended in an earlier attempt).
    Done,
}

/// Undoes one user's service from the bulk job (one line of the rollback).
pub async fn undo_one(
    ctx: &JobContext,
    payload: &BulkRollback,
    item: &BulkItemRow,
) -> Result<(), JobError> {
    let line = BulkLine {
        job: ctx.job_id().clone(),
        position: item.position,
    };
    let begun = {
        let (account, bulk, item, line) = (
            payload.account_id.clone(),
            payload.bulk_job_id.clone(),
            item.clone(),
            line.clone(),
        );
        ctx.db
            .run(move |conn| {
                db::transaction(conn, |conn| begin(conn, &account, &bulk, &item, &line))
            })
            .await?
    };
    let Begun::Removing { user, number } = begun else {
        return Ok(());
    };
    let change = ChangeOf {
        account_id: payload.account_id.clone(),
        user_id: user.clone(),
        number: number.clone(),
        change: Change::Unassign,
        actor: payload.actor.clone(),
    };
    let settled = saga::carry_out(ctx, &change, Some(line.clone())).await?;
    if settled.outcome == ChangeOutcome::AlreadySettled {
        // Settled by an earlier attempt of this job: its line says so unless the crash came
        // between the two; the user's state tells.
        let account = payload.account_id.clone();
        ctx.db
            .run(move |conn| {
                let row = db::directory::find(conn, &account, &user)?;
                let removed = row.is_none_or(|r| r.service_state.0 == ServiceState::None);
                let (outcome, detail) = if removed {
                    (BulkItemOutcome::Removed, None)
                } else {
                    (
                        BulkItemOutcome::Failed,
                        Some("Teams did not remove the number; see the user."),
                    )
                };
                record_line(conn, &line, Some(&user), outcome, Some(&number), detail)
            })
            .await?;
    }
    Ok(())
}

fn begin(
    conn: &mut DbConn,
    account: &AccountId,
    bulk: &JobId,
    item: &BulkItemRow,
    line: &BulkLine,
) -> Result<Begun, ApiError> {
    let Some(user) = item.user_id.as_deref() else {
        record_line(
            conn,
            line,
            None,
            BulkItemOutcome::Skipped,
            None,
            Some("No such user."),
        )?;
        return Ok(Begun::Done);
    };
    db::directory::lock(conn, account, user)?;
    let Some(row) = db::directory::find(conn, account, user)? else {
        let detail = "The user is no longer in the tenant.";
        record_line(
            conn,
            line,
            Some(user),
            BulkItemOutcome::Skipped,
            None,
            Some(detail),
        )?;
        return Ok(Begun::Done);
    };
    let given = row.service_given_by.as_deref() == Some(bulk.as_str())
        && row.service_number.is_some()
        && row.service_number == item.number;
    let this_job = line.job.to_string();
    match row.service_state.0 {
        ServiceState::Removing if row.service_job_id.as_deref() == Some(this_job.as_str()) => {
            return Ok(Begun::Removing {
                user: row.id,
                number: row.service_number.unwrap_or_default(),
            })
        }
        ServiceState::Active if given => {}
        state => {
            let now = match (state, row.service_number.as_deref()) {
                (ServiceState::None, _) => "no phone service".to_owned(),
                (state, Some(number)) => format!("{} with {number}", state.as_str()),
                (state, None) => state.as_str().to_owned(),
            };
            let detail =
                format!("Left alone: their phone service changed after the bulk job (now {now}).");
            record_line(
                conn,
                line,
                Some(user),
                BulkItemOutcome::Skipped,
                row.service_number.as_deref(),
                Some(&detail),
            )?;
            return Ok(Begun::Done);
        }
    }
    let number = row.service_number.clone().unwrap_or_default();
    db::directory::set_service(
        conn,
        account,
        &row.id,
        &ServiceChange {
            service_state: StoredServiceState(ServiceState::Removing),
            service_number: Some(number.clone()),
            service_detail: None,
            service_job_id: Some(this_job),
            service_operation: None,
            service_updated_at: Some(stored::now()),
        },
    )?;
    Ok(Begun::Removing {
        user: row.id,
        number,
    })
}
