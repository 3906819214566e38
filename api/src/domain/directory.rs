//! The account's directory: the tenant's users as the last sync saw them, with the phone
//! service the portal gave them. Reads filter on the caller's account; the sync itself is the
//! `user_sync` job.

use shared::{
    directory::{DirectoryUser, PhoneService, ServiceState, SyncStatus},
    jobs::Job,
    paging::Page,
};

use super::{
    ids::{AccountId, JobId},
    paging::{self, ListAddress, PageRequest},
    principal::Principal,
    stored,
    telephony::{self, Need},
};
use crate::{
    db::{
        self,
        directory::{DirectoryUserRow, UserFilter},
        DbConn,
    },
    error::ApiError,
    jobs::{queue, UserSync},
};

pub fn to_user(row: DirectoryUserRow) -> Result<DirectoryUser, ApiError> {
    let state = row.service_state.0;
    let job_id = match row.service_job_id.as_deref() {
        Some(id) if state.is_in_flight() => Some(stored::uuid(id)?),
        _ => None,
    };
    Ok(DirectoryUser {
        id: row.id,
        user_principal_name: row.user_principal_name,
        display_name: row.display_name,
        usage_location: row.usage_location,
        account_enabled: row.account_enabled,
        licensed: row.licensed,
        teams_numbers: row
            .teams_numbers
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        service: PhoneService {
            state,
            number: row.service_number.filter(|_| state != ServiceState::None),
            detail: row.service_detail,
            job_id,
            updated_at: row.service_updated_at.map(stored::time),
            profile_id: row
                .service_profile_id
                .as_deref()
                .filter(|_| state != ServiceState::None)
                .map(stored::uuid)
                .transpose()?,
            parts: row
                .service_parts
                .as_deref()
                .filter(|_| state != ServiceState::None)
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default(),
        },
        synced_at: stored::time(row.synced_at),
    })
}

/// The users list's query: search text, filters, page.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub q: Option<String>,
    pub service: Option<ServiceState>,
    pub licensed: Option<bool>,
    pub usage_location: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const SEARCH_MAX_CHARS: usize = 100;

pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    query: &UserQuery,
    address: &ListAddress,
) -> Result<Page<DirectoryUser>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            super::bounds::line("q", q, SEARCH_MAX_CHARS)?;
            Ok::<_, ApiError>(q.to_lowercase())
        })
        .transpose()?;
    let usage_location = query
        .usage_location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.len() == 2 && l.chars().all(|c| c.is_ascii_alphabetic()) {
                Ok(l.to_ascii_uppercase())
            } else {
                Err(ApiError::InvalidInput(
                    "usage_location is a two-letter country code, e.g. US.".into(),
                ))
            }
        })
        .transpose()?;
    let filter = UserFilter {
        search,
        service: query.service,
        licensed: query.licensed,
        usage_location,
    };
    let after = request.after_part(0).zip(request.after_part(1));
    let rows = db::directory::list(conn, &caller.account_id, &filter, after, request.fetch())?;
    let page = paging::page(rows, &request, address, |r| {
        vec![r.display_name.clone(), r.id.clone()]
    });
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_user)
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

pub fn get(conn: &mut DbConn, account: &AccountId, id: &str) -> Result<DirectoryUser, ApiError> {
    let row = db::directory::find_by_ref(conn, account, id)?
        .ok_or_else(|| ApiError::not_found("user"))?;
    to_user(row)
}

pub fn sync_status(conn: &mut DbConn, caller: &Principal) -> Result<SyncStatus, ApiError> {
    let account = &caller.account_id;
    let state = db::directory::sync_state(conn, account)?;
    let users = u64::try_from(db::directory::count(conn, account)?).unwrap_or(0);
    let running = running_sync(conn, account)?;
    Ok(SyncStatus {
        last_synced_at: state
            .as_ref()
            .and_then(|s| s.last_synced_at)
            .map(stored::time),
        job_id: running.map(|j| j.uuid()),
        last_error: state.and_then(|s| s.last_error),
        users,
    })
}

/// The account's sync that is queued or running, if any.
fn running_sync(conn: &mut DbConn, account: &AccountId) -> Result<Option<JobId>, ApiError> {
    let Some(state) = db::directory::sync_state(conn, account)? else {
        return Ok(None);
    };
    let Some(job) = state.job_id.as_deref().and_then(JobId::parse) else {
        return Ok(None);
    };
    Ok(db::jobs::is_unfinished(conn, &job)?.then_some(job))
}

/// Starts a sync of the account's users, or answers the one already queued or running: one
/// sync per account at a time (decided under the account's lock, so two requests at once
/// start one sync).
pub fn request_sync(conn: &mut DbConn, account: &AccountId) -> Result<Job, ApiError> {
    db::transaction(conn, |conn| {
        db::lock_account(conn, account.as_str())?;
        let tenant = telephony::tenant_for(conn, account, Need::Directory)?;
        let job = match running_sync(conn, account)? {
            Some(job) => job,
            None => {
                let job = queue::enqueue(conn, Some(account), &UserSync::new(account))?;
                let mut state =
                    db::directory::sync_state(conn, account)?.unwrap_or(db::directory::SyncRow {
                        account_id: account.clone(),
                        tenant_id: tenant.to_string(),
                        delta_link: None,
                        last_synced_at: None,
                        last_error: None,
                        job_id: None,
                    });
                state.job_id = Some(job.to_string());
                db::directory::save_sync_state(conn, &state)?;
                job
            }
        };
        let row = db::jobs::find(conn, &job)?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the sync job vanished")))?;
        queue::view(row)
    })
}

/// Whether a sync is due for the account (the scheduler's question).
pub fn sync_due(
    conn: &mut DbConn,
    account: &AccountId,
    every: chrono::Duration,
    now: chrono::NaiveDateTime,
) -> Result<bool, ApiError> {
    if running_sync(conn, account)?.is_some() {
        return Ok(false);
    }
    let state = db::directory::sync_state(conn, account)?;
    Ok(state
        .and_then(|s| s.last_synced_at)
        .is_none_or(|at| at + every <= now))
}

/// Starts the user syncs that are due (the scheduler, every minute on each process; the
/// account lock in `request_sync` keeps it to one per account). How many started.
pub fn schedule_syncs(
    conn: &mut DbConn,
    every: chrono::Duration,
    now: chrono::NaiveDateTime,
) -> Result<usize, ApiError> {
    let mut started = 0;
    for (account, _) in db::tenant_connections::watched(conn)? {
        if sync_due(conn, &account, every, now)? {
            match request_sync(conn, &account) {
                Ok(_) => started += 1,
                Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => return Err(e),
                Err(e) => tracing::debug!(account = %account, reason = %e, "no scheduled sync"),
            }
        }
    }
    Ok(started)
}
