//! Giving a user phone service and taking it away: the rules and the database side of them.
//!
//! A request reserves a number for the user in one transaction (so no two requests can take
//! the same number) and enqueues a `phone_service_change` job, which calls Teams and follows
//! its operation; the outcome is settled here, again in one transaction with its ledger event:
//! - assigned: the number is `assigned`, the user `active`;
//! - refused: the number is `available` again, the user `failed` with Microsoft's words;
//! - removed: the number rests (`aging`), the user has no service.

use chrono::NaiveDateTime;
use shared::{
    directory::{DirectoryUser, ServiceState},
    numbers::Mismatch,
};

use super::{
    directory::to_user,
    ids::{AccountId, JobId},
    ledger::{Actor, Entry},
    numbers::E164,
    principal::Principal,
    stored,
    telephony::{self, Need},
};
use crate::{
    db::{
        self,
        directory::{DirectoryUserRow, ServiceChange, StoredServiceState},
        ledger, DbConn,
    },
    error::ApiError,
    jobs::{queue, Change, PhoneServiceChange},
};

/// Who made a change, as the ledger records it.
pub fn actor(caller: &Principal) -> String {
    Actor::of(caller).key
}

pub use super::ledger::SYSTEM;

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
            Ok(Some(super::directory::get(conn, account, user_id)?))
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
    key: Option<&str>,
    low_stock_threshold: u64,
) -> Result<Outcome, ApiError> {
    caller.require_staff()?;
    let key = check_key(key)?;
    let number = number
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            super::bounds::line("number", n, 40)?;
            E164::parse(n).map_err(|e| ApiError::InvalidInput(e.0))
        })
        .transpose()?;
    let account = caller.account_id.clone();
    let actor = actor(caller);
    db::transaction(conn, |conn| {
        // The key belongs to this change of this user, however the user was named.
        let target = user(conn, &account, user_id)?;
        let fingerprint = format!(
            "PUT {} {}",
            target.id,
            number.as_ref().map_or("auto", |n| n.as_str())
        );
        if let Some(user) = first_time(conn, &account, key, &fingerprint, &target.id)? {
            return Ok(Outcome {
                user,
                replayed: true,
            });
        }
        let started = begin_assignment(
            conn,
            &account,
            &actor,
            &target.id,
            number.as_ref(),
            Follow::OwnJob,
            low_stock_threshold,
        )?;
        Ok(Outcome {
            user: super::directory::get(conn, &account, started.user_id())?,
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

/// Reserves a number for the user (by object id or UPN) and marks them pending, inside the
/// caller's transaction. Refuses, before any call to Microsoft: an unknown user, a tenant
/// without the permission, an unlicensed user, a number not in the inventory or taken, an
/// empty inventory.
pub fn begin_assignment(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &str,
    user_ref: &str,
    number: Option<&E164>,
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
        Some(number) => reserve_named(conn, account, number, &row.id, now)?,
        None => reserve_auto(conn, account, row.usage_location.as_deref(), &row.id, now)?,
    };
    warn_if_low_stock(conn, account, actor, &chosen, low_stock_threshold)?;
    let job = match follow {
        Follow::OwnJob => queue::enqueue(
            conn,
            Some(account),
            &PhoneServiceChange {
                account_id: account.to_string(),
                user_id: row.id.clone(),
                number: chosen.clone(),
                change: Change::Assign,
                actor: actor.to_owned(),
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
    actor: &str,
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
    let loaded = db::ledger::latest_of_kind(conn, account, ledger::NUMBERS_LOADED)?;
    if db::ledger::warned_since(conn, account, ledger::NUMBERS_LOW_STOCK, &marker, loaded)? {
        return Ok(());
    }
    let actor = Actor::resolve(conn, account, actor)?;
    let summary = format!(
        "Only {left} numbers are left available in {country} (the low-stock threshold is \
         {threshold}). An admin can load more on the Numbers page."
    );
    let detail = format!("{marker}available={left} threshold={threshold}");
    super::ledger::record(
        conn,
        Entry {
            detail: Some(&detail),
            ..Entry::new(account, ledger::NUMBERS_LOW_STOCK, &actor, summary)
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

/// An available number in the user's usage-location country, else in the account's default
/// country (that of its first block).
fn reserve_auto(
    conn: &mut DbConn,
    account: &AccountId,
    usage_location: Option<&str>,
    user: &str,
    now: NaiveDateTime,
) -> Result<String, ApiError> {
    let default_country = db::numbers::first_block(conn, account)?
        .and_then(|b| E164::parse(&b.first_number).ok())
        .map(|n| n.country().to_owned());
    let mut countries: Vec<String> = usage_location
        .map(str::to_ascii_uppercase)
        .into_iter()
        .collect();
    if let Some(default) = default_country {
        if !countries.contains(&default) {
            countries.push(default);
        }
    }
    for country in &countries {
        if let Some(number) = db::numbers::reserve_any(conn, account, country, user, now)? {
            return Ok(number);
        }
    }
    Err(ApiError::conflict(
        shared::problem::ConflictCode::NoAvailableNumber,
        if countries.is_empty() {
            "There is no available number: your inventory is empty. An admin can load numbers \
             on the Numbers page."
                .to_owned()
        } else {
            format!(
                "There is no available number in {}. An admin can load more numbers on the \
                 Numbers page.",
                countries.join(" or ")
            )
        },
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
                    user: super::directory::get(conn, &account, &row.id)?,
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
                account_id: account.to_string(),
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
            user: super::directory::get(conn, &account, &row.id)?,
            replayed: false,
        })
    })
}

/// Records a change of a user's phone service in the ledger, with a sentence naming them.
#[allow(clippy::too_many_arguments)]
fn event(
    conn: &mut DbConn,
    account: &AccountId,
    kind: &str,
    actor: &str,
    user: &str,
    number: &str,
    operation: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    let who = db::directory::find(conn, account, user)?
        .map(|u| u.user_principal_name)
        .unwrap_or_else(|| user.to_owned());
    let summary = match kind {
        ledger::PHONE_SERVICE_ENABLED => format!("Gave {who} phone service with {number}."),
        ledger::PHONE_SERVICE_DISABLED => format!("Removed phone service ({number}) from {who}."),
        _ => format!("A phone service change for {who} ({number}) failed."),
    };
    let actor = Actor::resolve(conn, account, actor)?;
    super::ledger::record(
        conn,
        Entry {
            user_id: Some(user),
            number: Some(number),
            operation_id: operation,
            detail,
            ..Entry::new(account, kind, &actor, summary)
        },
    )?;
    Ok(())
}

/// Which change a settlement closes.
pub struct Settle<'a> {
    pub account: &'a AccountId,
    pub user: &'a str,
    pub number: &'a str,
    pub actor: &'a str,
    pub operation: Option<&'a str>,
}

impl Settle<'_> {
    /// Whether the user still waits on this change (`state` for this number). A settled change
    /// is not settled twice (a job run again after a crash finds nothing to do).
    pub fn is_open(&self, conn: &mut DbConn, state: ServiceState) -> Result<bool, ApiError> {
        let row = db::directory::find(conn, self.account, self.user)?;
        Ok(row.is_some_and(|r| {
            r.service_state.0 == state && r.service_number.as_deref() == Some(self.number)
        }))
    }

    /// Moves the user from `from` to `to` if they still wait there: the one settlement that
    /// wins. Everything else a settlement does follows in the same transaction.
    fn claim(
        &self,
        conn: &mut DbConn,
        from: ServiceState,
        to: ServiceState,
        number: Option<&str>,
        detail: Option<&str>,
    ) -> Result<bool, ApiError> {
        let change = ServiceChange {
            service_state: StoredServiceState(to),
            service_number: number.map(str::to_owned),
            service_detail: detail.map(str::to_owned),
            service_job_id: None,
            service_operation: None,
            service_updated_at: Some(stored::now()),
        };
        Ok(db::directory::move_service(
            conn,
            self.account,
            self.user,
            from,
            self.number,
            &change,
        )?)
    }

    fn record(&self, conn: &mut DbConn, kind: &str, detail: Option<&str>) -> Result<(), ApiError> {
        event(
            conn,
            self.account,
            kind,
            self.actor,
            self.user,
            self.number,
            self.operation,
            detail,
        )
    }

    /// Teams assigned the number.
    pub fn assigned(&self, conn: &mut DbConn) -> Result<bool, ApiError> {
        db::transaction(conn, |conn| {
            let active = ServiceState::Active;
            if !self.claim(conn, ServiceState::Pending, active, Some(self.number), None)? {
                return Ok(false);
            }
            let now = stored::now();
            db::numbers::mark_assigned(conn, self.account, self.number, self.user, now)?;
            self.record(conn, ledger::PHONE_SERVICE_ENABLED, None)?;
            Ok(true)
        })
    }

    /// Teams refused the number: it goes back to the inventory (flagged when Teams showed it
    /// with someone else, so it is not chosen again before a person looks); the user shows why.
    pub fn refused(
        &self,
        conn: &mut DbConn,
        detail: &str,
        disputed_by: Option<&str>,
    ) -> Result<bool, ApiError> {
        db::transaction(conn, |conn| {
            let failed = ServiceState::Failed;
            if !self.claim(conn, ServiceState::Pending, failed, None, Some(detail))? {
                return Ok(false);
            }
            let now = stored::now();
            db::numbers::release(conn, self.account, self.number, self.user, None, now)?;
            if let Some(holder) = disputed_by {
                let conflict = (Mismatch::AssignedOutsidePortal, Some(holder));
                db::numbers::set_conflict(conn, self.account, self.number, Some(conflict), now)?;
            }
            self.record(conn, ledger::PHONE_SERVICE_FAILED, Some(detail))?;
            Ok(true)
        })
    }

    /// Teams can no longer be asked (the tenant was disconnected) whether it assigned the
    /// number: the user shows why, and the number rests rather than going straight back, as
    /// Teams may hold it.
    pub fn abandoned(
        &self,
        conn: &mut DbConn,
        detail: &str,
        aging_days: u32,
    ) -> Result<bool, ApiError> {
        db::transaction(conn, |conn| {
            let failed = ServiceState::Failed;
            if !self.claim(conn, ServiceState::Pending, failed, None, Some(detail))? {
                return Ok(false);
            }
            let now = stored::now();
            let rest = rest_until(now, aging_days);
            db::numbers::release(conn, self.account, self.number, self.user, Some(rest), now)?;
            self.record(conn, ledger::PHONE_SERVICE_FAILED, Some(detail))?;
            Ok(true)
        })
    }

    /// Teams removed the number: it rests for `aging_days`, the user has no service.
    pub fn removed(&self, conn: &mut DbConn, aging_days: u32) -> Result<bool, ApiError> {
        db::transaction(conn, |conn| {
            if !self.claim(conn, ServiceState::Removing, ServiceState::None, None, None)? {
                return Ok(false);
            }
            let now = stored::now();
            let rest = rest_until(now, aging_days);
            db::numbers::release(conn, self.account, self.number, self.user, Some(rest), now)?;
            self.record(conn, ledger::PHONE_SERVICE_DISABLED, None)?;
            Ok(true)
        })
    }

    /// Teams did not remove the number: the user keeps service, and shows why.
    pub fn removal_refused(&self, conn: &mut DbConn, detail: &str) -> Result<bool, ApiError> {
        db::transaction(conn, |conn| {
            let active = ServiceState::Active;
            let settled = self.claim(
                conn,
                ServiceState::Removing,
                active,
                Some(self.number),
                Some(detail),
            )?;
            if settled {
                self.record(conn, ledger::PHONE_SERVICE_FAILED, Some(detail))?;
            }
            Ok(settled)
        })
    }
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
                    event(
                        conn,
                        account,
                        ledger::PHONE_SERVICE_DISABLED,
                        SYSTEM,
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
