//! Portal users. Every query that a request can reach filters on the caller's account.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use shared::role::Role;

use super::{roles::StoredRole, schema::users, DbConn};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub password_hash: String,
    pub role: StoredRole,
    pub created_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Sign-in looks a user up by email across accounts: the email is unique.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::account_id.eq(account_id))
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::account_id.eq(account_id))
        .order((users::created_at.asc(), users::email.asc()))
        .select(UserRow::as_select())
        .load(conn)
}

pub fn count_admins(conn: &mut DbConn, account_id: &str) -> QueryResult<i64> {
    users::table
        .filter(users::account_id.eq(account_id))
        .filter(users::role.eq(StoredRole(Role::Admin)))
        .count()
        .get_result(conn)
}

pub fn count(conn: &mut DbConn, account_id: &str) -> QueryResult<i64> {
    users::table
        .filter(users::account_id.eq(account_id))
        .count()
        .get_result(conn)
}

pub fn set_role(conn: &mut DbConn, account_id: &str, id: &str, role: Role) -> QueryResult<usize> {
    diesel::update(
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::id.eq(id)),
    )
    .set(users::role.eq(StoredRole(role)))
    .execute(conn)
}

/// Replaces the password hash, if it is still `old_hash`.
pub fn set_password(
    conn: &mut DbConn,
    account_id: &str,
    id: &str,
    old_hash: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::id.eq(id))
            .filter(users::password_hash.eq(old_hash)),
    )
    .set((
        users::password_hash.eq(hash),
        users::password_changed_at.eq(at),
    ))
    .execute(conn)
}

pub fn delete(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::id.eq(id)),
    )
    .execute(conn)
}
