//! Portal sessions. A session JWT names its row (`sid`); every request reads the row with its
//! user and account in one query by primary key, so revoking the row ends the session at
//! once, in every process.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    accounts::AccountRow,
    schema::{accounts, sessions, users},
    users::UserRow,
    DbConn,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub account_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The session with this id, unrevoked and unexpired at `now`, with its user and account.
pub fn find_live(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(SessionRow, UserRow, AccountRow)>> {
    sessions::table
        .inner_join(users::table.inner_join(accounts::table))
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select((
            SessionRow::as_select(),
            UserRow::as_select(),
            AccountRow::as_select(),
        ))
        .first(conn)
        .optional()
}

/// Revokes one session of a user; revoking a revoked session changes nothing.
pub fn revoke(conn: &mut DbConn, user_id: &str, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.eq(id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)
}

/// Revokes every live session of a user.
pub fn revoke_all(conn: &mut DbConn, user_id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(at)),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)
}

/// Deletes a user's sessions that can no longer be used (expired before `now`).
pub fn purge_expired(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.le(now)),
    )
    .execute(conn)
}
