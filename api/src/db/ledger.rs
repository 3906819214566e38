//! The append-only ledger (see `domain::ledger`). Only inserts and reads: nothing here updates
//! or deletes an event, and the database refuses it anyway (a trigger).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{schema::ledger_events, DbConn};
use crate::domain::{ids::AccountId, ledger::LedgerKind};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_events)]
pub struct LedgerEvent {
    pub id: String,
    pub account_id: AccountId,
    pub occurred_at: NaiveDateTime,
    /// A `LedgerKind`'s text.
    pub kind: String,
    /// An `ActorKey`'s text: `user:<id>`, `token:<id>`, `system` or `rule:<id>`.
    pub actor: String,
    pub user_id: Option<String>,
    pub number: Option<String>,
    pub operation_id: Option<String>,
    pub detail: Option<String>,
    /// The actor's name when it happened (an email, a token's name, what the system did).
    pub actor_name: String,
    /// What happened, in a sentence.
    pub summary: String,
}

pub fn append(conn: &mut DbConn, event: &LedgerEvent) -> QueryResult<()> {
    diesel::insert_into(ledger_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// The account's `limit` newest events whose type starts with `prefix`.
pub fn latest_with_prefix(
    conn: &mut DbConn,
    account: &AccountId,
    prefix: &str,
    limit: i64,
) -> QueryResult<Vec<LedgerEvent>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.like(format!("{prefix}%")))
        .order((ledger_events::occurred_at.desc(), ledger_events::id.desc()))
        .limit(limit)
        .select(LedgerEvent::as_select())
        .load(conn)
}

/// What the audit log is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub number: Option<String>,
    pub kind: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// A page of the account's events, newest first, after the cursor `(occurred_at, id)`.
pub fn page(
    conn: &mut DbConn,
    account: &AccountId,
    filter: &AuditFilter,
    after: Option<(NaiveDateTime, &str)>,
    limit: i64,
) -> QueryResult<Vec<LedgerEvent>> {
    let mut query = ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .order((ledger_events::occurred_at.desc(), ledger_events::id.desc()))
        .limit(limit)
        .select(LedgerEvent::as_select())
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(ledger_events::actor.eq(actor));
    }
    if let Some(user) = &filter.user_id {
        query = query.filter(ledger_events::user_id.eq(user));
    }
    if let Some(number) = &filter.number {
        query = query.filter(ledger_events::number.eq(number));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(ledger_events::kind.eq(kind));
    }
    if let Some(from) = filter.from {
        query = query.filter(ledger_events::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(ledger_events::occurred_at.lt(to));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            ledger_events::occurred_at
                .lt(at)
                .or(ledger_events::occurred_at
                    .eq(at)
                    .and(ledger_events::id.lt(id))),
        );
    }
    query.load(conn)
}

/// The account's phone-service enablements and removals before `before`, oldest first: all
/// that billing reads.
pub fn service_changes(
    conn: &mut DbConn,
    account: &AccountId,
    before: NaiveDateTime,
) -> QueryResult<Vec<LedgerEvent>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq_any([
            LedgerKind::PhoneServiceEnabled.as_str(),
            LedgerKind::PhoneServiceDisabled.as_str(),
        ]))
        .filter(ledger_events::occurred_at.lt(before))
        .order((ledger_events::occurred_at.asc(), ledger_events::id.asc()))
        .select(LedgerEvent::as_select())
        .load(conn)
}

/// Whether the account has an event of `kind` for Microsoft's (or our job's) `operation`.
pub fn exists_for_operation(
    conn: &mut DbConn,
    account: &AccountId,
    kind: LedgerKind,
    operation: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ledger_events::table
            .filter(ledger_events::account_id.eq(account))
            .filter(ledger_events::kind.eq(kind.as_str()))
            .filter(ledger_events::operation_id.eq(operation)),
    ))
    .get_result(conn)
}

/// When the account last had an event of `kind`.
pub fn latest_of_kind(
    conn: &mut DbConn,
    account: &AccountId,
    kind: LedgerKind,
) -> QueryResult<Option<NaiveDateTime>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq(kind.as_str()))
        .select(diesel::dsl::max(ledger_events::occurred_at))
        .first(conn)
}

/// Whether the account has an event of `kind` whose detail starts with `prefix`, after `since`
/// (ever, when `None`).
pub fn warned_since(
    conn: &mut DbConn,
    account: &AccountId,
    kind: LedgerKind,
    prefix: &str,
    since: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    // The epoch stands for "ever": no event is older.
    let since = since.unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc());
    diesel::select(diesel::dsl::exists(
        ledger_events::table
            .filter(ledger_events::account_id.eq(account))
            .filter(ledger_events::kind.eq(kind.as_str()))
            .filter(ledger_events::detail.like(format!("{prefix}%")))
            .filter(ledger_events::occurred_at.gt(since)),
    ))
    .get_result(conn)
}

/// When the account's latest event about `user` happened.
pub fn latest_of_user(
    conn: &mut DbConn,
    account: &AccountId,
    user: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::user_id.eq(user))
        .select(diesel::dsl::max(ledger_events::occurred_at))
        .first(conn)
}

/// The account's events of `kind`, oldest first.
pub fn of_kind(
    conn: &mut DbConn,
    account: &AccountId,
    kind: LedgerKind,
) -> QueryResult<Vec<LedgerEvent>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq(kind.as_str()))
        .order((ledger_events::occurred_at.asc(), ledger_events::id.asc()))
        .select(LedgerEvent::as_select())
        .load(conn)
}
