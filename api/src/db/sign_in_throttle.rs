//! Failed sign-ins per account and per client address (see `domain::throttle`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{schema::sign_in_throttle as throttle, DbConn};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = throttle)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

/// Makes sure `key` has a row, then locks it for the rest of the transaction: a row lock on
/// PostgreSQL, the write lock on SQLite (the insert is the transaction's first statement, so
/// SQLite waits for the lock instead of failing on a stale snapshot). Two processes recording
/// a failure for one key at once then count both.
pub fn lock(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> QueryResult<ThrottleRow> {
    let fresh = ThrottleRow {
        key: key.to_owned(),
        failures: 0,
        last_failure_at: now,
        blocked_until: None,
    };
    // No upsert across both backends in diesel's MultiConnection: insert in a savepoint, and
    // a row that exists already is no error.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(throttle::table)
            .values(&fresh)
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    diesel::update(throttle::table.find(key))
        .set(throttle::key.eq(key))
        .execute(conn)?;
    throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
}

pub fn save(conn: &mut DbConn, row: &ThrottleRow) -> QueryResult<usize> {
    diesel::update(throttle::table.find(&row.key))
        .set((
            throttle::failures.eq(row.failures),
            throttle::last_failure_at.eq(row.last_failure_at),
            throttle::blocked_until.eq(row.blocked_until),
        ))
        .execute(conn)
}

/// Forgets a key's failures (a successful sign-in of that account).
pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::delete(throttle::table.find(key)).execute(conn)
}

/// Deletes rows whose last failure is before `before` and that no longer block.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        throttle::table
            .filter(throttle::last_failure_at.lt(before))
            .filter(
                throttle::blocked_until
                    .is_null()
                    .or(throttle::blocked_until.le(now)),
            ),
    )
    .execute(conn)
}
