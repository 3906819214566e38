//! What a caller asks of one user's phone service, checked and reserved in one transaction.
//!
//! A request reserves a number for the user (so no two requests can take the same number),
//! records the change's plan, and enqueues a `phone_service_change` job, which carries the
//! saga through (`super::saga`); the outcome is settled in `super::settle`:
//! - assigned: the number is `assigned`, the user `active`;
//! - refused: the number is `available` again, the user `failed` with Microsoft's words;
//! - removed: the number rests (`aging`), the user has no service.

use chrono::NaiveDateTime;
use shared::{
    directory::{DirectoryUser, ServiceState},
    voice_profiles::{NumberSource, VoiceProfile},
};

use super::plan;

use crate::domain::{
    directory::to_user,
    ids::{AccountId, JobId},
    ledger::{Actor, ActorKey, Entry, LedgerKind},
    numbers::E164,
    principal::Principal,
    stored,
    telephony::{self, Need},
};
use crate::{
    db::{
        self,
        directory::{DirectoryUserRow, ServiceChange, ServiceRecord, StoredServiceState},
        numbers::Pool,
        DbConn,
    },
    error::ApiError,
    jobs::{queue, Change, PhoneServiceChange},
};

/// Who made a change, as the ledger records it.
pub fn actor(caller: &Principal) -> ActorKey {
    ActorKey::of(caller)
}

/// What a provisioning request came to.
#[derive(Debug)]
pub struct Outcome {
    pub user: DirectoryUser,
    /// The same `Idempotency-Key` was used before: nothing changed now.
    pub replayed: bool,
}

const KEY_MAX_CHARS: usize = 255;

fn check_key(key: Option<&str>) -> Result<Option<&str>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    if key.is_empty()
        || key.chars().count() > KEY_MAX_CHARS
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(ApiError::OutOfBounds(format!(
            "Idempotency-Key must be 1 to {KEY_MAX_CHARS} visible ASCII characters."
        )));
    }
    Ok(Some(key))
}

/// Records the request's key; `Some(user)` when it repeats an earlier request (nothing to do).
fn first_time(
    conn: &mut DbConn,
    account: &AccountId,
    key: Option<&str>,
    fingerprint: &str,
    user_id: &str,
) -> Result<Option<DirectoryUser>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    match db::idempotency::claim(conn, account, key, fingerprint, stored::now())? {
        None => Ok(None),
        Some(earlier) if earlier == fingerprint => {
            Ok(Some(crate::domain::directory::get(conn, account, user_id)?))
        }
        Some(_) => Err(ApiError::conflict(
            shared::problem::ConflictCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different request. Use a new key for each \
             change.",
        )),
    }
}

fn user(conn: &mut DbConn, account: &AccountId, id: &str) -> Result<DirectoryUserRow, ApiError> {
    db::directory::find_by_ref(conn, account, id)?.ok_or_else(|| ApiError::not_found("user"))
}

/// Gives `user_id` phone service with `number`, or an auto-selected one.
pub fn request_service(
    conn: &mut DbConn,
    caller: &Principal,
    user_id: &str,
    number: Option<&str>,
    profile: Option<uuid::Uuid>,
    key: Option<&str>,
    low_stock_threshold: u64,
) -> Result<Outcome, ApiError> {
    caller.require_staff()?;
    let key = check_key(key)?;
    let number = number
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            crate::domain::bounds::line("number", n, 40)?;
            E164::parse(n).map_err(|e| ApiError::InvalidInput(e.0))
        })
        .transpose()?;
    let account = caller.account_id.clone();
    let actor = actor(caller);
    db::transaction(conn, |conn| {
        // The key belongs to this change of this user, however the user was named.
        let target = user(conn, &account, user_id)?;
        let fingerprint = format!(
            "PUT {} {}{}",
            target.id,
            number.as_ref().map_or("auto", |n| n.as_str()),
            profile.map(|p| format!(" {p}")).unwrap_or_default()
        );
        if let Some(user) = first_time(conn, &account, key, &fingerprint, &target.id)? {
            return Ok(Outcome {
                user,
                replayed: true,
            });
        }
        let chosen = plan::chosen_profile(conn, &account, profile)?;
        let started = begin_assignment(
            conn,
            &account,
            &actor,
            &target.id,
            number.as_ref(),
            chosen.as_ref(),
            Follow::OwnJob,
            low_stock_threshold,
        )?;
        Ok(Outcome {
            user: crate::domain::directory::get(conn, &account, started.user_id())?,
            replayed: false,
        })
    })
}

/// Who follows Teams' operation once a number is reserved.
#[derive(Debug, Clone, Copy)]
pub enum Follow<'a> {
    /// A `phone_service_change` job of its own.
    OwnJob,
    /// The bulk job (that job's id).
    Bulk(&'a JobId),
}

/// Where an assignment stands after [`begin_assignment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// A number was reserved now; Teams is next.
    Reserved { user_id: String, number: String },
    /// Already waiting on Teams with this number (a repeat, or a job run again).
    InFlight { user_id: String, number: String },
    /// The user has service already.
    AlreadyActive { user_id: String, number: String },
}

impl Begun {
    pub fn user_id(&self) -> &str {
        match self {
            Begun::Reserved { user_id, .. }
            | Begun::InFlight { user_id, .. }
            | Begun::AlreadyActive { user_id, .. } => user_id,
        }
    }
}

/// Reserves a number for the user (by object id or UPN), records the change's plan (the
/// profile's location and policies) and marks them pending, inside the caller's transaction.
/// Refuses, before any call to Microsoft: an unknown user, a tenant without the permission, an
/// unlicensed user, a number of another country than the user's usage location, a number not
/// in the inventory or taken, no free number where the profile takes them from.
#[allow(clippy::too_many_arguments)]
pub fn begin_assignment(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &ActorKey,
    user_ref: &str,
    number: Option<&E164>,
    profile: Option<&VoiceProfile>,
    follow: Follow<'_>,
    low_stock_threshold: u64,
) -> Result<Begun, ApiError> {
    let found = db::directory::find_by_ref(conn, account, user_ref)?
        .ok_or_else(|| ApiError::not_found("user"))?;
    // One change of a user at a time: a second request waits for the first, then reads it.
    db::directory::lock(conn, account, &found.id)?;
    let row = db::directory::find(conn, account, &found.id)?
        .ok_or_else(|| ApiError::not_found("user"))?;
    telephony::tenant_for(conn, account, Need::Numbers)?;
    let current = row.service_number.clone().unwrap_or_default();
    match row.service_state.0 {
        ServiceState::Active if number.is_none_or(|n| n.as_str() == current) => {
            return Ok(Begun::AlreadyActive {
                user_id: row.id,
                number: current,
            });
        }
        ServiceState::Pending if number.is_none_or(|n| n.as_str() == current) => {
            return Ok(Begun::InFlight {
                user_id: row.id,
                number: current,
            });
        }
        ServiceState::Active | ServiceState::Pending | ServiceState::Removing => {
            return Err(ApiError::conflict(
                shared::problem::ConflictCode::AlreadyHasService,
                format!(
                    "{} already has phone service ({}). Remove it first to change the number.",
                    row.user_principal_name,
                    row.service_number.as_deref().unwrap_or("in progress")
                ),
            ));
        }
        ServiceState::None | ServiceState::Failed => {}
    }
    if !row.licensed {
        return Err(ApiError::InvalidInput(format!(
            "{} has no Teams Phone licence (Phone System), so Teams cannot give them a \
             number. Assign the licence in Microsoft 365, then sync users.",
            row.user_principal_name
        )));
    }
    let now = stored::now();
    db::numbers::end_aging(conn, account, now)?;
    let chosen = match number {
        Some(number) => {
            check_country(&row, number.country(), None)?;
            reserve_named(conn, account, number, &row.id, now)?
        }
        None => {
            let source = profile.map(|p| (p.name.as_str(), &p.number_source));
            let (country, pool) = where_from(conn, account, &row, source)?;
            reserve_auto(conn, account, &country, pool.as_pool(), &row.id, now)?
        }
    };
    warn_if_low_stock(conn, account, actor, &chosen, low_stock_threshold)?;
    let job = match follow {
        Follow::OwnJob => queue::enqueue(
            conn,
            Some(account),
            &PhoneServiceChange {
                account_id: account.clone(),
                user_id: row.id.clone(),
                number: chosen.clone(),
                change: Change::Assign,
                actor: actor.clone(),
            },
        )?,
        Follow::Bulk(job) => job.clone(),
    };
    set_service(
        conn,
        account,
        &row.id,
        ServiceState::Pending,
        Some(&chosen),
        None,
        Some(&job),
        now,
    )?;
    let (profile, record) = plan::plan(conn, account, profile, &chosen)?;
    db::directory::set_record(
        conn,
        account,
        &row.id,
        &ServiceRecord {
            service_profile_id: profile.map(|p| p.id.to_string()),
            service_parts: serde_json::to_string(&record.pending_parts(&chosen)).ok(),
            service_saga: Some(record.to_json()),
            service_given_by: None,
        },
    )?;
    Ok(Begun::Reserved {
        user_id: row.id,
        number: chosen,
    })
}

/// Records `numbers.low_stock` when this reservation left the country fewer available numbers
/// than the threshold, once per country until numbers are loaded again (the webhook tells
/// integrators to order more before they run out). Two reservations at the same moment may
/// both record it: deliveries are at least once anyway.
fn warn_if_low_stock(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &ActorKey,
    reserved: &str,
    threshold: u64,
) -> Result<(), ApiError> {
    let Ok(number) = E164::parse(reserved) else {
        return Ok(());
    };
    let country = number.country();
    let left = u64::try_from(db::numbers::count_available(conn, account, country)?).unwrap_or(0);
    if left >= threshold {
        return Ok(());
    }
    let marker = format!("country={country} ");
    let loaded = db::ledger::latest_of_kind(conn, account, LedgerKind::NumbersLoaded)?;
    if db::ledger::warned_since(conn, account, LedgerKind::NumbersLowStock, &marker, loaded)? {
        return Ok(());
    }
    let actor = Actor::resolve(conn, account, actor)?;
    let summary = format!(
        "Only {left} numbers are left available in {country} (the low-stock threshold is \
         {threshold}). An admin can load more on the Numbers page."
    );
    let detail = format!("{marker}available={left} threshold={threshold}");
    crate::domain::ledger::record(
        conn,
        Entry {
            detail: Some(&detail),
            ..Entry::new(account, LedgerKind::NumbersLowStock, &actor, summary)
        },
    )?;
    Ok(())
}

fn reserve_named(
    conn: &mut DbConn,
    account: &AccountId,
    number: &E164,
    user: &str,
    now: NaiveDateTime,
) -> Result<String, ApiError> {
    let Some(found) = db::numbers::find(conn, account, number.as_str())? else {
        return Err(ApiError::NotFound(format!(
            "{number} is not in your number inventory. An admin can load it on the Numbers page."
        )));
    };
    if !db::numbers::reserve_number(conn, account, number.as_str(), user, now)? {
        return Err(ApiError::conflict(
            shared::problem::ConflictCode::NumberTaken,
            format!(
                "{number} is not available (it is {}). Choose another number, or leave the \
                 number out to have one selected.",
                found.status.0.as_str()
            ),
        ));
    }
    Ok(number.to_string())
}

/// A pool of numbers auto-select takes from (owned, for [`where_from`]'s answer).
#[derive(Debug, Clone, Default)]
pub struct OwnedPool {
    pub block: Option<String>,
    pub location: Option<String>,
}

impl OwnedPool {
    pub fn as_pool(&self) -> Pool<'_> {
        Pool {
            block: self.block.as_deref(),
            location: self.location.as_deref(),
        }
    }
}

/// Teams assigns a number only in the country of the user's usage location: refuses another.
pub fn check_country(
    user: &DirectoryUserRow,
    country: &str,
    profile: Option<&str>,
) -> Result<(), ApiError> {
    let Some(usage) = user
        .usage_location
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    else {
        return Err(ApiError::InvalidInput(format!(
            "{} has no usage location, and Teams gives numbers only to users with one. Set \
             it in Microsoft 365, then sync users.",
            user.user_principal_name
        )));
    };
    if usage.eq_ignore_ascii_case(country) {
        return Ok(());
    }
    let numbers = match profile {
        Some(name) => format!("the numbers of profile '{name}' are in {country}"),
        None => format!("the number is in {country}"),
    };
    Err(ApiError::InvalidInput(format!(
        "{}'s usage location is {}, but {numbers}: Teams gives a user only numbers of their          usage location's country. Choose another number or profile, or change the usage          location in Microsoft 365.",
        user.user_principal_name,
        usage.to_ascii_uppercase()
    )))
}

/// The country and pool auto-select takes the user's number from: the profile's source
/// (`(name, source)`), in the user's usage-location country, else the account's default
/// country (that of its first block).
pub fn where_from(
    conn: &mut DbConn,
    account: &AccountId,
    user: &DirectoryUserRow,
    source: Option<(&str, &NumberSource)>,
) -> Result<(String, OwnedPool), ApiError> {
    let usage = user.usage_location.as_deref().map(str::to_ascii_uppercase);
    let (name, source) = match source {
        Some((name, source)) => (Some(name), source.clone()),
        None => (None, NumberSource::Any),
    };
    let (country, pool) = match source {
        NumberSource::Any => (
            usage.clone().or(default_country(conn, account)?),
            OwnedPool::default(),
        ),
        NumberSource::Location { location } => (
            usage.clone().or(default_country(conn, account)?),
            OwnedPool {
                location: Some(location),
                block: None,
            },
        ),
        NumberSource::Country { country } => {
            (Some(country.to_ascii_uppercase()), OwnedPool::default())
        }
        NumberSource::Block { block_id } => {
            let id = block_id.to_string();
            let block = db::numbers::block(conn, account, &id)?.ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "The number block of profile '{}' no longer exists. An admin can choose                      another on the Voice profiles page.",
                    name.unwrap_or_default()
                ))
            })?;
            let country = E164::parse(&block.first_number)
                .ok()
                .map(|n| n.country().to_owned());
            (
                country,
                OwnedPool {
                    block: Some(id),
                    location: None,
                },
            )
        }
    };
    let Some(country) = country else {
        return Err(ApiError::conflict(
            shared::problem::ConflictCode::NoAvailableNumber,
            "There is no available number: your inventory is empty. An admin can load numbers \
             on the Numbers page.",
        ));
    };
    check_country(user, &country, name)?;
    Ok((country, pool))
}

/// The country of the account's first block.
fn default_country(conn: &mut DbConn, account: &AccountId) -> Result<Option<String>, ApiError> {
    Ok(db::numbers::first_block(conn, account)?
        .and_then(|b| E164::parse(&b.first_number).ok())
        .map(|n| n.country().to_owned()))
}

/// An available number of `country` in `pool`.
fn reserve_auto(
    conn: &mut DbConn,
    account: &AccountId,
    country: &str,
    pool: Pool<'_>,
    user: &str,
    now: NaiveDateTime,
) -> Result<String, ApiError> {
    if let Some(number) = db::numbers::reserve_from(conn, account, country, pool, user, now)? {
        return Ok(number);
    }
    let within = match (pool.block, pool.location) {
        (Some(_), _) => " in the profile's number block",
        (None, Some(_)) => " at the profile's location",
        (None, None) => "",
    };
    Err(ApiError::conflict(
        shared::problem::ConflictCode::NoAvailableNumber,
        format!(
            "There is no available number in {country}{within}. An admin can load more \
             numbers on the Numbers page."
        ),
    ))
}

#[allow(clippy::too_many_arguments)]
fn set_service(
    conn: &mut DbConn,
    account: &AccountId,
    user: &str,
    state: ServiceState,
    number: Option<&str>,
    detail: Option<&str>,
    job: Option<&JobId>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    db::directory::set_service(
        conn,
        account,
        user,
        &ServiceChange {
            service_state: StoredServiceState(state),
            service_number: number.map(str::to_owned),
            service_detail: detail.map(str::to_owned),
            service_job_id: job.map(ToString::to_string),
            service_operation: None,
            service_updated_at: Some(now),
        },
    )?;
    Ok(())
}

/// Takes `user_id`'s phone service away (Teams `unassignNumber`; the number then rests).
pub fn remove_service(
    conn: &mut DbConn,
    caller: &Principal,
    user_id: &str,
    key: Option<&str>,
) -> Result<Outcome, ApiError> {
    caller.require_staff()?;
    let key = check_key(key)?;
    let account = caller.account_id.clone();
    let actor = actor(caller);
    db::transaction(conn, |conn| {
        let found = user(conn, &account, user_id)?;
        db::directory::lock(conn, &account, &found.id)?;
        let row = user(conn, &account, &found.id)?;
        let fingerprint = format!("DELETE {}", row.id);
        if let Some(user) = first_time(conn, &account, key, &fingerprint, &row.id)? {
            return Ok(Outcome {
                user,
                replayed: true,
            });
        }
        let now = stored::now();
        match row.service_state.0 {
            ServiceState::None | ServiceState::Removing => {
                return Ok(Outcome {
                    user: to_user(row)?,
                    replayed: false,
                })
            }
            ServiceState::Failed => {
                set_service(
                    conn,
                    &account,
                    &row.id,
                    ServiceState::None,
                    None,
                    None,
                    None,
                    now,
                )?;
                return Ok(Outcome {
                    user: crate::domain::directory::get(conn, &account, &row.id)?,
                    replayed: false,
                });
            }
            ServiceState::Pending => {
                return Err(ApiError::conflict(
                    shared::problem::ConflictCode::ServicePending,
                    "Teams is still assigning this user's number. Wait until it finishes, \
                     then remove it.",
                ))
            }
            ServiceState::Active => {}
        }
        telephony::tenant_for(conn, &account, Need::Numbers)?;
        let number = row.service_number.clone().ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("active service without a number"))
        })?;
        let job = queue::enqueue(
            conn,
            Some(&account),
            &PhoneServiceChange {
                account_id: account.clone(),
                user_id: row.id.clone(),
                number: number.clone(),
                change: Change::Unassign,
                actor,
            },
        )?;
        set_service(
            conn,
            &account,
            &row.id,
            ServiceState::Removing,
            Some(&number),
            None,
            Some(&job),
            now,
        )?;
        Ok(Outcome {
            user: crate::domain::directory::get(conn, &account, &row.id)?,
            replayed: false,
        })
    })
}

/// When a number released at `now` may be given again.
pub fn rest_until(now: NaiveDateTime, aging_days: u32) -> NaiveDateTime {
    now + chrono::Duration::days(i64::from(aging_days.min(MAX_AGING_DAYS)))
}

/// The longest rest a released number takes (ten years), whatever the setting says.
pub const MAX_AGING_DAYS: u32 = 3650;

/// Users gone from the tenant: numbers they held rest (assigned) or return (reserved), with a
/// ledger event for a removed service; then their rows go.
pub fn forget_users(
    conn: &mut DbConn,
    account: &AccountId,
    ids: &[String],
    aging_days: u32,
) -> Result<usize, ApiError> {
    db::transaction(conn, |conn| {
        let now = stored::now();
        for id in ids {
            if let Some(held) = db::numbers::held_by(conn, account, id)? {
                // Reserved numbers rest too: Teams may still be assigning one.
                let assigned = held.status.0 == shared::numbers::NumberStatus::Assigned;
                let rest = Some(rest_until(now, aging_days));
                db::numbers::release(conn, account, &held.number, id, rest, now)?;
                if assigned {
                    super::settle::event(
                        conn,
                        account,
                        LedgerKind::PhoneServiceDisabled,
                        &ActorKey::System,
                        id,
                        &held.number,
                        None,
                        Some("The user was removed from the Microsoft tenant."),
                    )?;
                }
            }
        }
        Ok(db::directory::delete(conn, account, ids)?)
    })
}
