//! The append-only ledger of phone-service and inventory changes. Only inserts and reads:
//! nothing here updates or deletes an event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{schema::ledger_events, DbConn};
use crate::domain::ids::AccountId;

pub const PHONE_SERVICE_ENABLED: &str = "phone_service.enabled";
pub const PHONE_SERVICE_DISABLED: &str = "phone_service.disabled";
pub const PHONE_SERVICE_FAILED: &str = "phone_service.failed";
pub const NUMBERS_LOADED: &str = "numbers.loaded";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_events)]
pub struct LedgerEvent {
    pub id: String,
    pub account_id: AccountId,
    pub occurred_at: NaiveDateTime,
    pub kind: String,
    /// `user:<id>`, `token:<id>` or `system`.
    pub actor: String,
    pub user_id: Option<String>,
    pub number: Option<String>,
    pub operation_id: Option<String>,
    pub detail: Option<String>,
}

pub fn append(conn: &mut DbConn, event: &LedgerEvent) -> QueryResult<()> {
    diesel::insert_into(ledger_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// An account's events of `kind` for `user`, oldest first.
pub fn of_user(
    conn: &mut DbConn,
    account: &AccountId,
    user: &str,
) -> QueryResult<Vec<LedgerEvent>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::user_id.eq(user))
        .order((ledger_events::occurred_at.asc(), ledger_events::id.asc()))
        .select(LedgerEvent::as_select())
        .load(conn)
}

pub fn count_of_kind(conn: &mut DbConn, account: &AccountId, kind: &str) -> QueryResult<i64> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq(kind))
        .count()
        .get_result(conn)
}
