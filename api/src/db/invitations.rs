//! Invitations: people an admin invited who have not signed in yet (see `domain::members`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{roles::StoredRole, schema::invitations, DbConn};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub role: StoredRole,
    /// SHA-256 of the one-time password.
    pub secret_hash: String,
    pub invited_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &InvitationRow) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The account's invitations that still work at `now`.
pub fn list_live(
    conn: &mut DbConn,
    account_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<InvitationRow>> {
    invitations::table
        .filter(invitations::account_id.eq(account_id))
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::account_id.eq(account_id))
        .filter(invitations::id.eq(id))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// The invitation of `email` whose one-time password hashes to `secret_hash`, if it still
/// works at `now`.
pub fn find_live_by_secret(
    conn: &mut DbConn,
    email: &str,
    secret_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::secret_hash.eq(secret_hash))
        .filter(invitations::email.eq(email))
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

pub fn set_role(
    conn: &mut DbConn,
    account_id: &str,
    id: &str,
    role: StoredRole,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .filter(invitations::account_id.eq(account_id))
            .filter(invitations::id.eq(id)),
    )
    .set(invitations::role.eq(role))
    .execute(conn)
}

pub fn delete(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        invitations::table
            .filter(invitations::account_id.eq(account_id))
            .filter(invitations::id.eq(id)),
    )
    .execute(conn)
}

/// Withdraws the account's invitation of `email`, if any (a new one replaces it).
pub fn delete_for_email(conn: &mut DbConn, account_id: &str, email: &str) -> QueryResult<usize> {
    diesel::delete(
        invitations::table
            .filter(invitations::account_id.eq(account_id))
            .filter(invitations::email.eq(email)),
    )
    .execute(conn)
}

/// Deletes the account's invitations that no longer work.
pub fn purge_expired(
    conn: &mut DbConn,
    account_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        invitations::table
            .filter(invitations::account_id.eq(account_id))
            .filter(invitations::expires_at.le(now)),
    )
    .execute(conn)
}
