//! Bulk provisioning: a list of users (object ids or UPNs, as JSON or a CSV) becomes one
//! `bulk_phone_service` job with a row per user.

use shared::{
    jobs::JobKind,
    numbers::RejectedRow,
    phone_service::{BulkAccepted, BulkItem, BulkItemOutcome, BulkStatus},
};
use uuid::Uuid;

use super::saga::BulkLine;
use crate::domain::{
    ids::JobId,
    principal::Principal,
    rejected::Rejected,
    telephony::{self, Need},
};
use crate::{
    db::{
        self,
        bulk_items::{BulkItemRow, StoredOutcome},
        DbConn,
    },
    error::ApiError,
    jobs::{queue, BulkPhoneService, GaveUp},
};

/// The most users one bulk request may name.
pub const MAX_USERS: usize = shared::phone_service::MAX_BULK_USERS;
const REF_MAX_CHARS: usize = 256;

/// The users of a CSV: a header row with a `user` column (or `upn`, `userPrincipalName`, `id`),
/// one user per row, at most [`MAX_USERS`] rows (reading stops at the first row past them).
/// Bad rows are reported with their line (the first of them, and how many); nothing is started
/// then.
pub fn users_from_csv(body: &[u8]) -> Result<Vec<String>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::InvalidInput(format!("The CSV header row cannot be read: {e}.")))?
        .clone();
    let column = headers
        .iter()
        .position(|h| {
            let h = h.trim_start_matches('\u{feff}');
            ["user", "upn", "userprincipalname", "id"]
                .iter()
                .any(|name| h.eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| {
            ApiError::InvalidInput("The CSV needs a header row with a 'user' column.".into())
        })?;
    let mut users = Vec::new();
    let mut rejected = Rejected::default();
    for (i, record) in reader.records().enumerate() {
        if i == MAX_USERS {
            return Err(ApiError::InvalidInput(format!(
                "A CSV may name at most {MAX_USERS} users, one per row; this one has more \
                 rows. Nothing was started."
            )));
        }
        let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
        match record {
            Ok(r) => {
                let value = r.get(column).unwrap_or_default();
                match user_problem(value) {
                    None => users.push(value.to_owned()),
                    Some(problem) => rejected.push(RejectedRow {
                        line,
                        value: value.chars().take(40).collect(),
                        problem,
                    }),
                }
            }
            Err(e) => rejected.push(RejectedRow {
                line,
                value: String::new(),
                problem: format!("The row cannot be read: {e}."),
            }),
        }
    }
    if !rejected.is_empty() {
        return Err(
            rejected.into_error(|n| format!("{n} row(s) are not acceptable; nothing was started."))
        );
    }
    Ok(users)
}

/// What is wrong with a CSV row's user, if anything: the bounds [`start`] keeps for each user.
fn user_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("Give a user principal name or object id.".into());
    }
    crate::domain::bounds::line("user", value, REF_MAX_CHARS)
        .err()
        .map(|e| e.to_string())
}

/// Starts the job (staff and admins), unless the account has `most_unfinished` bulk jobs
/// queued or running already (BULK_MAX_UNFINISHED): one account's bulks must not fill the
/// queue that every account's jobs share.
pub fn start(
    conn: &mut DbConn,
    caller: &Principal,
    users: Vec<String>,
    profile: Option<Uuid>,
    most_unfinished: u32,
) -> Result<BulkAccepted, ApiError> {
    caller.require_staff()?;
    let users: Vec<String> = users
        .into_iter()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    if users.is_empty() || users.len() > MAX_USERS {
        return Err(ApiError::InvalidInput(format!(
            "Name between 1 and {MAX_USERS} users."
        )));
    }
    for user in &users {
        crate::domain::bounds::line("users", user, REF_MAX_CHARS)?;
    }
    let account = caller.account_id.clone();
    let actor = super::actor(caller);
    db::transaction(conn, |conn| {
        // Two requests at once: the second waits here, then counts the first's job.
        db::lock_account(conn, account.as_str())?;
        telephony::tenant_for(conn, &account, Need::Numbers)?;
        // A profile named must be the account's (checked now, not user by user).
        super::plan::chosen_profile(conn, &account, profile)?;
        let unfinished = db::jobs::unfinished_of_kind(conn, &account, JobKind::BulkPhoneService)?;
        if let Some(earlier) = unfinished.first() {
            if unfinished.len() >= usize::try_from(most_unfinished.max(1)).unwrap_or(usize::MAX) {
                return Err(ApiError::conflict(
                    shared::problem::ConflictCode::BulkJobUnfinished,
                    format!(
                        "Your account's bulk job {earlier} has not finished yet. Follow it at \
                         /api/v1/phone-service/bulk/{earlier} and start this one when it is done."
                    ),
                ));
            }
        }
        let job = queue::enqueue(
            conn,
            Some(&account),
            &BulkPhoneService {
                account_id: account.clone(),
                actor,
                profile_id: profile,
            },
        )?;
        let rows: Vec<BulkItemRow> = users
            .iter()
            .enumerate()
            .map(|(i, user)| BulkItemRow {
                job_id: job.clone(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                user_ref: user.clone(),
                user_id: None,
                outcome: StoredOutcome(BulkItemOutcome::Queued),
                number: None,
                detail: None,
            })
            .collect();
        db::bulk_items::insert(conn, &rows)?;
        Ok(BulkAccepted {
            job_id: job.uuid(),
            users: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        })
    })
}

/// The job and each user's outcome so far: the account's bulk jobs only.
pub fn status(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<BulkStatus, ApiError> {
    let job = queue::get(conn, caller, id)?;
    if !matches!(job.kind, JobKind::BulkPhoneService | JobKind::BulkRollback) {
        return Err(ApiError::not_found("bulk job"));
    }
    let items = db::bulk_items::of_job(conn, &JobId::from(id))?
        .into_iter()
        .map(|row| BulkItem {
            user: row.user_ref,
            user_id: row.user_id,
            outcome: row.outcome.0,
            number: row.number,
            detail: row.detail,
        })
        .collect();
    Ok(BulkStatus { job, items })
}

/// The tracing span of the work on one line of a bulk job (or rollback), inside the job's
/// span: its position in the list and, once known, the user's id.
pub fn line_span(line: &BulkItemRow) -> tracing::Span {
    tracing::info_span!(
        "bulk_user",
        position = line.position,
        user = line.user_id.as_deref().unwrap_or_default()
    )
}

/// Writes the outcome of one line of a bulk job (or rollback): the one writer of `bulk_items`
/// outcomes.
pub fn record_line(
    conn: &mut DbConn,
    line: &BulkLine,
    user_id: Option<&str>,
    outcome: BulkItemOutcome,
    number: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    db::bulk_items::record(
        conn,
        &line.job,
        line.position,
        user_id,
        outcome,
        number,
        detail,
    )?;
    Ok(())
}

/// Gives every line of bulk job (or rollback) `job` still queued a failed outcome: the job
/// failed for good, so nobody will take them up. A number reserved for one of them is settled
/// with Teams by reconciliation (no job follows it any more).
pub fn fail_unfinished(conn: &mut DbConn, job: &JobId, why: GaveUp) -> Result<(), ApiError> {
    let detail = match why {
        GaveUp::ProcessStopped => {
            "Not done: the server running the job stopped during its last attempt. A number \
             reserved for this user is settled with Teams by reconciliation."
        }
        GaveUp::LastAttemptFailed => {
            "Not done: the job's last attempt failed (the job says why). A number reserved for \
             this user is settled with Teams by reconciliation."
        }
    };
    db::bulk_items::fail_queued(conn, job, detail)?;
    Ok(())
}
