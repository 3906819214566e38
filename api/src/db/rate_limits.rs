//! Request counters for the rate limits (see `domain::rate_limit`): one row per key.

use chrono::NaiveDateTime;
use diesel::{
    prelude::*,
    sql_types::{Integer, Text, Timestamp},
};

use super::{schema::rate_limits, DbConn};

/// A key's count in its current window.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Count {
    #[diesel(sql_type = Integer)]
    pub hits: i32,
    #[diesel(sql_type = Timestamp)]
    pub window_started_at: NaiveDateTime,
}

/// Counts one hit of `key` at `now`, in one statement: a window that started at `expired` or
/// before is over, and the hit starts a new one. Both backends have this upsert; diesel's
/// MultiConnection does not, so it is written once and bound per backend.
pub fn hit(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    expired: NaiveDateTime,
) -> QueryResult<Count> {
    const UPSERT: &str = "INSERT INTO rate_limits (key, window_started_at, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_started_at <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
         window_started_at = CASE WHEN rate_limits.window_started_at <= $3 \
             THEN excluded.window_started_at ELSE rate_limits.window_started_at END \
         RETURNING hits, window_started_at";
    match conn {
        DbConn::Postgres(pg) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(expired)
            .get_result(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(UPSERT.replace('$', "?"))
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(expired)
            .get_result(lite),
    }
}

/// Deletes the counters whose window started before `before` (over, for every window length
/// shorter than `now - before`).
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::window_started_at.lt(before)))
        .execute(conn)
}
