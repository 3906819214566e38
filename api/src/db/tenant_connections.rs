//! Tenant connections, their consent states and their history. Every query filters on the
//! account, except the health job's scan of due connections.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::tenant_connection::ConnectionState;

use super::{
    schema::{consent_states, tenant_connections},
    text_column, DbConn,
};
use crate::domain::ids::{AccountId, TenantId, UserId};

/// A connection state as stored: its snake_case name; an unknown name fails to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredState(pub ConnectionState);

impl StoredState {
    pub fn name(self) -> &'static str {
        match self.0 {
            ConnectionState::NotConnected => "not_connected",
            ConnectionState::Legacy => "legacy",
            ConnectionState::ConsentPending => "consent_pending",
            ConnectionState::ConsentGranted => "consent_granted",
            ConnectionState::Connected => "connected",
            ConnectionState::NeedsAttention => "needs_attention",
        }
    }

    pub fn parse(name: &str) -> Option<StoredState> {
        ALL_STATES
            .into_iter()
            .map(StoredState)
            .find(|s| s.name() == name)
    }
}

const ALL_STATES: [ConnectionState; 6] = [
    ConnectionState::NotConnected,
    ConnectionState::Legacy,
    ConnectionState::ConsentPending,
    ConnectionState::ConsentGranted,
    ConnectionState::Connected,
    ConnectionState::NeedsAttention,
];

/// States whose tenant is in use, and so watched by the health check.
const WATCHED: [StoredState; 2] = [
    StoredState(ConnectionState::Connected),
    StoredState(ConnectionState::NeedsAttention),
];

text_column!(StoredState, |s| s.name(), |text| StoredState::parse(&text));

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenant_connections, treat_none_as_null = true)]
pub struct ConnectionRow {
    pub account_id: AccountId,
    pub state: StoredState,
    /// The tenant a proven consent named (the signed-in person's `tid`); verify confirms it.
    pub claimed_tenant_id: Option<TenantId>,
    /// Confirmed by the `tid` of an app token Microsoft issued.
    pub tenant_id: Option<TenantId>,
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
    pub fn new(account_id: &AccountId, now: NaiveDateTime) -> ConnectionRow {
        ConnectionRow {
            account_id: account_id.clone(),
            state: StoredState(ConnectionState::NotConnected),
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

pub fn find(conn: &mut DbConn, account_id: &AccountId) -> QueryResult<Option<ConnectionRow>> {
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
    tenant: &TenantId,
    account_id: &AccountId,
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
    account_id: &AccountId,
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

/// Counts a manual verification in the account's window; false when the window is full.
/// (These columns are not part of [`ConnectionRow`], so a whole-row save never resets them.)
pub fn count_manual_verification(
    conn: &mut DbConn,
    account_id: &AccountId,
    now: NaiveDateTime,
    window: chrono::Duration,
    limit: usize,
) -> QueryResult<bool> {
    use tenant_connections::{
        account_id as account, verify_window_count, verify_window_started_at,
    };
    let fresh = diesel::update(
        tenant_connections::table
            .filter(account.eq(account_id))
            .filter(
                verify_window_started_at
                    .is_null()
                    .or(verify_window_started_at.le(now - window)),
            ),
    )
    .set((verify_window_started_at.eq(now), verify_window_count.eq(1)))
    .execute(conn)?;
    if fresh == 1 {
        return Ok(true);
    }
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    diesel::update(
        tenant_connections::table
            .filter(account.eq(account_id))
            .filter(verify_window_count.lt(limit)),
    )
    .set(verify_window_count.eq(verify_window_count + 1))
    .execute(conn)
    .map(|n| n == 1)
}

/// Accounts whose health check is due.
pub fn due_for_health_check(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> QueryResult<Vec<ConnectionRow>> {
    tenant_connections::table
        .filter(tenant_connections::state.eq_any(WATCHED))
        .filter(tenant_connections::next_health_check_at.le(now))
        .select(ConnectionRow::as_select())
        .load(conn)
}

/// Claims one due health check by moving its time forward, if no other process did first.
pub fn claim_health_check(
    conn: &mut DbConn,
    account_id: &AccountId,
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
    diesel::update(tenant_connections::table.filter(tenant_connections::state.eq_any(WATCHED)))
        .set(tenant_connections::next_health_check_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_states)]
pub struct ConsentStateRow {
    pub state_hash: String,
    pub account_id: AccountId,
    pub user_id: UserId,
    /// SHA-256 of the browser-binding cookie, which is also the PKCE code verifier.
    pub binding_hash: String,
    pub previous_state: StoredState,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// When the attempt ended (consent answered, or refused on the way).
    pub used_at: Option<NaiveDateTime>,
    /// Sent with the sign-in; the ID token must carry it back.
    pub nonce: String,
    pub signed_in_at: Option<NaiveDateTime>,
    /// The `tid` of the validated ID token: the only tenant this attempt may consent for.
    pub signed_in_tenant_id: Option<TenantId>,
    pub signed_in_user: Option<String>,
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

/// Marks the sign-in leg of an attempt taken; false when it was taken already or the attempt
/// ended (a replay racing the first use).
pub fn take_sign_in(conn: &mut DbConn, state_hash: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        consent_states::table
            .filter(consent_states::state_hash.eq(state_hash))
            .filter(consent_states::signed_in_at.is_null())
            .filter(consent_states::used_at.is_null()),
    )
    .set(consent_states::signed_in_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records who the validated ID token says signed in.
pub fn record_sign_in(
    conn: &mut DbConn,
    state_hash: &str,
    tenant: &TenantId,
    user: &str,
) -> QueryResult<()> {
    diesel::update(consent_states::table.filter(consent_states::state_hash.eq(state_hash)))
        .set((
            consent_states::signed_in_tenant_id.eq(tenant),
            consent_states::signed_in_user.eq(user),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Deletes attempts that expired before `before`: they can no longer be used, and the
/// history keeps what happened. A pending connection keeps its attempts until its expired
/// attempt has been closed (the attempt is what says where the connection returns to).
pub fn purge_consent_states(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let pending = tenant_connections::table
        .filter(tenant_connections::state.eq(StoredState(ConnectionState::ConsentPending)))
        .select(tenant_connections::account_id);
    diesel::delete(
        consent_states::table
            .filter(consent_states::expires_at.lt(before))
            .filter(diesel::dsl::not(consent_states::account_id.eq_any(pending))),
    )
    .execute(conn)
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

/// When the person's attempts for the account since `since` started, newest first, at most
/// `limit`.
pub fn attempts_since(
    conn: &mut DbConn,
    account_id: &AccountId,
    user_id: &UserId,
    since: NaiveDateTime,
    limit: usize,
) -> QueryResult<Vec<NaiveDateTime>> {
    consent_states::table
        .filter(consent_states::account_id.eq(account_id))
        .filter(consent_states::user_id.eq(user_id))
        .filter(consent_states::created_at.ge(since))
        .order(consent_states::created_at.desc())
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(consent_states::created_at)
        .load(conn)
}

/// The account's latest consent attempt.
pub fn latest_consent_state(
    conn: &mut DbConn,
    account_id: &AccountId,
) -> QueryResult<Option<ConsentStateRow>> {
    consent_states::table
        .filter(consent_states::account_id.eq(account_id))
        .order(consent_states::created_at.desc())
        .select(ConsentStateRow::as_select())
        .first(conn)
        .optional()
}

/// The accounts whose tenant is connected (or connected and needing attention), with it.
pub fn watched(conn: &mut DbConn) -> QueryResult<Vec<(AccountId, TenantId)>> {
    tenant_connections::table
        .filter(tenant_connections::state.eq_any(WATCHED))
        .filter(tenant_connections::tenant_id.is_not_null())
        .select((
            tenant_connections::account_id,
            tenant_connections::tenant_id.assume_not_null(),
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use diesel::{sql_types::Text, Connection, SqliteConnection};

    use super::*;

    fn read<T>(conn: &mut SqliteConnection, stored: &str) -> QueryResult<T>
    where
        T: diesel::deserialize::FromSqlRow<Text, diesel::sqlite::Sqlite> + 'static,
    {
        diesel::select(diesel::dsl::sql::<Text>(&format!("'{stored}'"))).get_result(conn)
    }

    #[test]
    fn stored_states_and_ids_read_back_or_fail_loudly() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let state: StoredState = read(&mut conn, "needs_attention").unwrap();
        assert_eq!(state, StoredState(ConnectionState::NeedsAttention));
        // An unknown stored value is an error, never a silent `not_connected`.
        assert!(read::<StoredState>(&mut conn, "connectd").is_err());
        assert!(read::<StoredState>(&mut conn, "").is_err());

        let tenant: TenantId = read(&mut conn, "72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap();
        assert_eq!(tenant.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert!(read::<TenantId>(&mut conn, "contoso.onmicrosoft.com").is_err());
        assert!(read::<AccountId>(&mut conn, "not-an-id").is_err());
    }

    #[test]
    fn every_state_has_a_name_that_parses_back() {
        for state in ALL_STATES {
            let stored = StoredState(state);
            assert_eq!(StoredState::parse(stored.name()), Some(stored));
        }
    }
}
