//! Tenant connections, their consent states and their history. Every query filters on the
//! account, except the health job's scan of due connections.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    schema::{connection_events, consent_states, tenant_connections},
    DbConn,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenant_connections, treat_none_as_null = true)]
pub struct ConnectionRow {
    pub account_id: String,
    pub state: String,
    pub claimed_tenant_id: Option<String>,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub consent_granted_at: Option<NaiveDateTime>,
    pub connected_at: Option<NaiveDateTime>,
    pub legacy_service_account: Option<String>,
    pub last_report: Option<String>,
    pub notice: Option<String>,
    pub verifying_until: Option<NaiveDateTime>,
    pub next_health_check_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl ConnectionRow {
    pub fn new(account_id: &str, now: NaiveDateTime) -> ConnectionRow {
        ConnectionRow {
            account_id: account_id.to_owned(),
            state: "not_connected".to_owned(),
            claimed_tenant_id: None,
            tenant_id: None,
            tenant_name: None,
            consent_granted_at: None,
            connected_at: None,
            legacy_service_account: None,
            last_report: None,
            notice: None,
            verifying_until: None,
            next_health_check_at: None,
            updated_at: now,
        }
    }
}

pub fn find(conn: &mut DbConn, account_id: &str) -> QueryResult<Option<ConnectionRow>> {
    tenant_connections::table
        .find(account_id)
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the whole row (insert or replace).
pub fn save(conn: &mut DbConn, row: &ConnectionRow) -> QueryResult<()> {
    let updated = diesel::update(tenant_connections::table.find(&row.account_id))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(tenant_connections::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Whether another account has this tenant, connected or named by its latest consent.
pub fn tenant_held_elsewhere(
    conn: &mut DbConn,
    tenant: &str,
    account_id: &str,
) -> QueryResult<bool> {
    let held: i64 = tenant_connections::table
        .filter(tenant_connections::account_id.ne(account_id))
        .filter(
            tenant_connections::tenant_id
                .eq(tenant)
                .or(tenant_connections::claimed_tenant_id.eq(tenant)),
        )
        .count()
        .get_result(conn)?;
    Ok(held > 0)
}

/// Takes the verification lease when free: only one verification per account at a time,
/// whichever process runs it.
pub fn try_lease_verification(
    conn: &mut DbConn,
    account_id: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        tenant_connections::table
            .filter(tenant_connections::account_id.eq(account_id))
            .filter(
                tenant_connections::verifying_until
                    .is_null()
                    .or(tenant_connections::verifying_until.lt(now)),
            ),
    )
    .set(tenant_connections::verifying_until.eq(until))
    .execute(conn)
    .map(|n| n == 1)
}

/// Accounts whose health check is due.
pub fn due_for_health_check(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> QueryResult<Vec<ConnectionRow>> {
    tenant_connections::table
        .filter(tenant_connections::state.eq_any(["connected", "needs_attention"]))
        .filter(tenant_connections::next_health_check_at.le(now))
        .select(ConnectionRow::as_select())
        .load(conn)
}

/// Claims one due health check by moving its time forward, if no other process did first.
pub fn claim_health_check(
    conn: &mut DbConn,
    account_id: &str,
    seen: NaiveDateTime,
    next: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        tenant_connections::table
            .filter(tenant_connections::account_id.eq(account_id))
            .filter(tenant_connections::next_health_check_at.eq(seen)),
    )
    .set(tenant_connections::next_health_check_at.eq(next))
    .execute(conn)
    .map(|n| n == 1)
}

/// Makes every connected tenant's health check due at `at`.
pub fn make_all_due(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        tenant_connections::table
            .filter(tenant_connections::state.eq_any(["connected", "needs_attention"])),
    )
    .set(tenant_connections::next_health_check_at.eq(at))
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_states)]
pub struct ConsentStateRow {
    pub state_hash: String,
    pub account_id: String,
    pub user_id: String,
    pub binding_hash: String,
    pub previous_state: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert_consent_state(conn: &mut DbConn, row: &ConsentStateRow) -> QueryResult<()> {
    diesel::insert_into(consent_states::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_consent_state(
    conn: &mut DbConn,
    state_hash: &str,
) -> QueryResult<Option<ConsentStateRow>> {
    consent_states::table
        .find(state_hash)
        .select(ConsentStateRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a state used; false when it was used already (a replay racing the first use).
pub fn use_consent_state(
    conn: &mut DbConn,
    state_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        consent_states::table
            .filter(consent_states::state_hash.eq(state_hash))
            .filter(consent_states::used_at.is_null()),
    )
    .set(consent_states::used_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

/// The account's latest consent attempt.
pub fn latest_consent_state(
    conn: &mut DbConn,
    account_id: &str,
) -> QueryResult<Option<ConsentStateRow>> {
    consent_states::table
        .filter(consent_states::account_id.eq(account_id))
        .order(consent_states::created_at.desc())
        .select(ConsentStateRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = connection_events)]
pub struct EventRow {
    pub id: String,
    pub account_id: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub kind: String,
    pub message: String,
}

pub fn insert_event(conn: &mut DbConn, row: &EventRow) -> QueryResult<()> {
    diesel::insert_into(connection_events::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn events(conn: &mut DbConn, account_id: &str, limit: i64) -> QueryResult<Vec<EventRow>> {
    connection_events::table
        .filter(connection_events::account_id.eq(account_id))
        .order((connection_events::at.desc(), connection_events::id.desc()))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}
