//! The end of a change, written in one transaction with its ledger event: the user's service
//! state, the number's status, and (for a bulk) the job's line.

use shared::{directory::ServiceState, numbers::Mismatch};

use super::request::rest_until;
use crate::{
    db::{
        self,
        directory::{ServiceChange, StoredServiceState},
        DbConn,
    },
    domain::{
        ids::AccountId,
        ledger::{Actor, ActorKey, Entry, LedgerKind},
        stored,
    },
    error::ApiError,
};

/// Records a change of a user's phone service in the ledger, with a sentence naming them.
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
    conn: &mut DbConn,
    account: &AccountId,
    kind: LedgerKind,
    actor: &ActorKey,
    user: &str,
    number: &str,
    operation: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    let who = db::directory::find(conn, account, user)?
        .map(|u| u.user_principal_name)
        .unwrap_or_else(|| user.to_owned());
    let summary = match kind {
        LedgerKind::PhoneServiceEnabled => format!("Gave {who} phone service with {number}."),
        LedgerKind::PhoneServiceDisabled => format!("Removed phone service ({number}) from {who}."),
        _ => format!("A phone service change for {who} ({number}) failed."),
    };
    let actor = Actor::resolve(conn, account, actor)?;
    crate::domain::ledger::record(
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
    pub actor: &'a ActorKey,
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

    fn record(
        &self,
        conn: &mut DbConn,
        kind: LedgerKind,
        detail: Option<&str>,
    ) -> Result<(), ApiError> {
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
            self.record(conn, LedgerKind::PhoneServiceEnabled, None)?;
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
            self.record(conn, LedgerKind::PhoneServiceFailed, Some(detail))?;
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
            self.record(conn, LedgerKind::PhoneServiceFailed, Some(detail))?;
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
            self.record(conn, LedgerKind::PhoneServiceDisabled, None)?;
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
                self.record(conn, LedgerKind::PhoneServiceFailed, Some(detail))?;
            }
            Ok(settled)
        })
    }
}
