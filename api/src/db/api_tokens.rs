//! API tokens, stored by the hash of their secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    accounts::AccountRow,
    roles::StoredRole,
    schema::{accounts, api_tokens, users},
    DbConn,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub role: StoredRole,
    pub token_hash: String,
    pub prefix: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// After this the token is refused; `None`: it never expires.
    pub expires_at: Option<NaiveDateTime>,
    /// Who created it, kept as they were (`created_by` is cleared when they are removed).
    pub creator_id: Option<String>,
    pub creator_email: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &ApiTokenRow) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<ApiTokenRow>> {
    api_tokens::table
        .filter(api_tokens::account_id.eq(account_id))
        .order(api_tokens::created_at.desc())
        .select(ApiTokenRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, account_id: &str, id: &str) -> QueryResult<Option<ApiTokenRow>> {
    api_tokens::table
        .filter(api_tokens::account_id.eq(account_id))
        .filter(api_tokens::id.eq(id))
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()
}

/// The unrevoked token with this hash, with its account and its creator's current role, if
/// the creator is still a member of that account (expired or not: the caller says which it is).
pub fn find_active_by_hash(
    conn: &mut DbConn,
    hash: &str,
) -> QueryResult<Option<(ApiTokenRow, AccountRow, Option<StoredRole>)>> {
    api_tokens::table
        .inner_join(accounts::table)
        .left_join(
            users::table.on(users::id
                .nullable()
                .eq(api_tokens::created_by)
                .and(users::account_id.eq(api_tokens::account_id))),
        )
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            ApiTokenRow::as_select(),
            AccountRow::as_select(),
            users::role.nullable(),
        ))
        .first(conn)
        .optional()
}

/// Revokes the unrevoked tokens `user_id` created in the account; answers them.
pub fn revoke_created_by(
    conn: &mut DbConn,
    account_id: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<ApiTokenRow>> {
    let tokens: Vec<ApiTokenRow> = api_tokens::table
        .filter(api_tokens::account_id.eq(account_id))
        .filter(api_tokens::created_by.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiTokenRow::as_select())
        .load(conn)?;
    for token in &tokens {
        revoke(conn, account_id, &token.id, at)?;
    }
    Ok(tokens)
}

/// Records a use, unless one was recorded in the minute before `at`: a token used for every
/// request of an integration would otherwise make every request a write.
pub fn touch(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    let recent = at - chrono::Duration::minutes(1);
    diesel::update(
        api_tokens::table.filter(api_tokens::id.eq(id)).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(recent)),
        ),
    )
    .set(api_tokens::last_used_at.eq(at))
    .execute(conn)
}

pub fn revoke(
    conn: &mut DbConn,
    account_id: &str,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::account_id.eq(account_id))
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(at))
    .execute(conn)
}
