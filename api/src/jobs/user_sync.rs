//! The `user_sync` job: reads the tenant's users and their Teams phone numbers into the
//! account's directory.
//!
//! - First run (or after Graph dropped our delta token): `/users/delta?$deltatoken=latest`
//!   marks "now", then `/users` is read page by page; users not seen are gone.
//! - Later runs: the stored deltaLink returns only what changed (added, changed, removed).
//! - Teams numbers come from `userConfigurations`.
//!
//! Each page is written in one transaction as it arrives, so memory stays flat whatever the
//! tenant's size. One sync per account runs at a time (`directory::request_sync`).

use std::collections::HashMap;

use futures_util::{pin_mut, TryStreamExt as _};
use serde::{Deserialize, Serialize};
use shared::jobs::JobKind;

use super::{Job, JobContext, JobError};
use crate::{
    db::{self, directory::SyncedUser},
    domain::{
        ids::AccountId,
        phone_service, stored,
        telephony::{self, Need},
    },
    microsoft::client::{GraphUser, MsError},
};

/// Sync the account's users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSync {
    pub account_id: AccountId,
}

impl UserSync {
    pub fn new(account: &AccountId) -> UserSync {
        UserSync {
            account_id: account.clone(),
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Synced {
    /// `full` or `delta`.
    pub mode: String,
    /// Users written (new or changed).
    pub users: u64,
    /// Users gone from the tenant.
    pub removed: u64,
    /// Users whose Teams numbers changed.
    pub teams_numbers_changed: u64,
}

impl Job for UserSync {
    const KIND: JobKind = JobKind::UserSync;
    const MAX_ATTEMPTS: u32 = 3;
    type Output = Synced;

    async fn run(self, ctx: JobContext) -> Result<Synced, JobError> {
        let account = self.account_id;
        let outcome = sync(&ctx, &account).await;
        let error = outcome.as_ref().err().map(|e| e.message().to_owned());
        let saved = account.clone();
        ctx.db
            .run(move |conn| {
                if let Some(mut state) = db::directory::sync_state(conn, &saved)? {
                    state.last_error = error;
                    if state.last_error.is_none() {
                        state.last_synced_at = Some(stored::now());
                    }
                    db::directory::save_sync_state(conn, &state)?;
                }
                Ok(())
            })
            .await?;
        outcome
    }
}

fn ms_failure(e: MsError) -> JobError {
    if e.is_permission_denied() {
        JobError::permanent(format!(
            "Microsoft refused to list the tenant's users or their phone settings: the app \
             lacks a permission (User.Read.All, TeamsUserConfiguration.Read.All). An admin \
             can grant admin consent again on the Tenant Connection page. ({e})"
        ))
    } else if matches!(e, MsError::Identity { .. }) {
        JobError::permanent(format!(
            "Microsoft no longer gives the app access to the tenant (consent revoked?): {e}"
        ))
    } else {
        JobError::new(format!("Reading users from Microsoft failed: {e}"))
    }
}

async fn sync(ctx: &JobContext, account: &AccountId) -> Result<Synced, JobError> {
    let (tenant, state) = {
        let account = account.clone();
        ctx.db
            .run(move |conn| {
                let tenant = telephony::tenant_for(conn, &account, Need::Directory)?;
                Ok((tenant, db::directory::sync_state(conn, &account)?))
            })
            .await
            .map_err(|e| JobError::permanent(e.to_string()))?
    };
    let tenant = tenant.to_string();
    let teams = teams_numbers(ctx, &tenant).await?;
    let link = state
        .filter(|s| s.tenant_id == tenant)
        .and_then(|s| s.delta_link);
    let mut synced = match link {
        Some(link) => match delta_round(ctx, account, &tenant, &link, &teams).await {
            Err(DeltaFailure::Expired) => full_round(ctx, account, &tenant, &teams).await?,
            Err(DeltaFailure::Other(e)) => return Err(e),
            Ok(synced) => synced,
        },
        None => full_round(ctx, account, &tenant, &teams).await?,
    };
    synced.teams_numbers_changed = apply_teams_numbers(ctx, account, teams).await?;
    ctx.progress(synced.users, Some(synced.users)).await?;
    Ok(synced)
}

/// Every user's Teams numbers (users without numbers are left out: the map stays small).
async fn teams_numbers(
    ctx: &JobContext,
    tenant: &str,
) -> Result<HashMap<String, String>, JobError> {
    let client = ctx.connections.client();
    let pages = client.user_configurations(tenant);
    pin_mut!(pages);
    let mut numbers = HashMap::new();
    while let Some(page) = pages.try_next().await.map_err(ms_failure)? {
        for config in page {
            let mut list: Vec<String> = config
                .telephone_numbers
                .iter()
                .map(|n| n.telephone_number.clone())
                .collect();
            list.sort();
            if !list.is_empty() {
                numbers.insert(config.id.to_ascii_lowercase(), list.join(" "));
            }
        }
    }
    Ok(numbers)
}

fn synced_user(
    account: &AccountId,
    tenant: &str,
    user: &GraphUser,
    teams: &HashMap<String, String>,
    now: chrono::NaiveDateTime,
) -> SyncedUser {
    let id = user.id.to_ascii_lowercase();
    SyncedUser {
        account_id: account.clone(),
        tenant_id: tenant.to_owned(),
        user_principal_name: user.user_principal_name.clone(),
        display_name: if user.display_name.is_empty() {
            user.user_principal_name.clone()
        } else {
            user.display_name.clone()
        },
        usage_location: user
            .usage_location
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_ascii_uppercase),
        account_enabled: user.account_enabled.unwrap_or(true),
        licensed: user.has_teams_phone(),
        teams_numbers: teams.get(&id).cloned().unwrap_or_default(),
        search: format!("{} {}", user.display_name, user.user_principal_name).to_lowercase(),
        synced_at: now,
        id,
    }
}

async fn write_page(
    ctx: &JobContext,
    account: &AccountId,
    users: Vec<SyncedUser>,
    removed: Vec<String>,
) -> Result<u64, JobError> {
    let (account, aging) = (account.clone(), ctx.telephony.aging_days);
    let written = users.len() as u64;
    ctx.db
        .run(move |conn| {
            db::transaction(conn, |conn| Ok(db::directory::upsert(conn, &users)?))?;
            if !removed.is_empty() {
                phone_service::forget_users(conn, &account, &removed, aging)?;
            }
            Ok(())
        })
        .await?;
    Ok(written)
}

async fn full_round(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    teams: &HashMap<String, String>,
) -> Result<Synced, JobError> {
    let client = ctx.connections.client();
    // "From now on": changes during the listing come again in the next delta round.
    let link = client.latest_delta_link(tenant).await.map_err(ms_failure)?;
    let started = stored::now();
    let mut synced = Synced {
        mode: "full".into(),
        ..Synced::default()
    };
    let pages = client.users(tenant);
    pin_mut!(pages);
    while let Some(page) = pages.try_next().await.map_err(ms_failure)? {
        let now = stored::now();
        let rows = page
            .iter()
            .map(|u| synced_user(account, tenant, u, teams, now))
            .collect();
        synced.users += write_page(ctx, account, rows, Vec::new()).await?;
        ctx.progress(synced.users, None).await?;
    }
    let (account_id, tenant_id, aging) =
        (account.clone(), tenant.to_owned(), ctx.telephony.aging_days);
    synced.removed = ctx
        .db
        .run(move |conn| {
            let gone = db::directory::unseen_since(conn, &account_id, started)?;
            let removed = phone_service::forget_users(conn, &account_id, &gone, aging)?;
            save_link(conn, &account_id, &tenant_id, link)?;
            Ok(removed as u64)
        })
        .await?;
    Ok(synced)
}

enum DeltaFailure {
    /// Graph no longer knows our token: start again with a full round.
    Expired,
    Other(JobError),
}

async fn delta_round(
    ctx: &JobContext,
    account: &AccountId,
    tenant: &str,
    link: &str,
    teams: &HashMap<String, String>,
) -> Result<Synced, DeltaFailure> {
    let client = ctx.connections.client();
    let mut synced = Synced {
        mode: "delta".into(),
        ..Synced::default()
    };
    let pages = client.users_delta(tenant, Some(link));
    pin_mut!(pages);
    let mut next_link = None;
    loop {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) if e.is_delta_expired() => return Err(DeltaFailure::Expired),
            Err(e) => return Err(DeltaFailure::Other(ms_failure(e))),
        };
        let now = stored::now();
        let rows = page
            .users
            .iter()
            .map(|u| synced_user(account, tenant, u, teams, now))
            .collect();
        let removed: Vec<String> = page
            .removed
            .iter()
            .map(|id| id.to_ascii_lowercase())
            .collect();
        synced.removed += removed.len() as u64;
        synced.users += write_page(ctx, account, rows, removed)
            .await
            .map_err(DeltaFailure::Other)?;
        ctx.progress(synced.users, None)
            .await
            .map_err(DeltaFailure::Other)?;
        if page.delta_link.is_some() {
            next_link = page.delta_link;
        }
    }
    let Some(link) = next_link else {
        return Err(DeltaFailure::Other(JobError::new(
            "Microsoft's delta round ended without a deltaLink.",
        )));
    };
    let (account_id, tenant_id) = (account.clone(), tenant.to_owned());
    ctx.db
        .run(move |conn| save_link(conn, &account_id, &tenant_id, link))
        .await
        .map_err(|e| DeltaFailure::Other(e.into()))?;
    Ok(synced)
}

fn save_link(
    conn: &mut db::DbConn,
    account: &AccountId,
    tenant: &str,
    link: String,
) -> Result<(), crate::error::ApiError> {
    let mut state = db::directory::sync_state(conn, account)?.unwrap_or(db::directory::SyncRow {
        account_id: account.clone(),
        tenant_id: tenant.to_owned(),
        delta_link: None,
        last_synced_at: None,
        last_error: None,
        job_id: None,
    });
    state.tenant_id = tenant.to_owned();
    state.delta_link = Some(link);
    db::directory::save_sync_state(conn, &state)?;
    Ok(())
}

/// Brings every user's Teams numbers in line with `teams`; how many changed.
async fn apply_teams_numbers(
    ctx: &JobContext,
    account: &AccountId,
    teams: HashMap<String, String>,
) -> Result<u64, JobError> {
    let account = account.clone();
    Ok(ctx
        .db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                let mut changed = 0u64;
                let known: HashMap<String, String> =
                    db::directory::with_teams_numbers(conn, &account)?
                        .into_iter()
                        .collect();
                for (id, old) in &known {
                    if !teams.contains_key(id) {
                        changed += db::directory::set_teams_numbers(conn, &account, id, "")? as u64;
                    } else if teams.get(id) != Some(old) {
                        changed += db::directory::set_teams_numbers(conn, &account, id, &teams[id])?
                            as u64;
                    }
                }
                for (id, numbers) in &teams {
                    if !known.contains_key(id) {
                        changed +=
                            db::directory::set_teams_numbers(conn, &account, id, numbers)? as u64;
                    }
                }
                Ok(changed)
            })
        })
        .await?)
}
