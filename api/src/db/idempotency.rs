//! Idempotency keys of provisioning requests: the first request with a key is recorded with
//! what it asked; a repeat is recognised and changes nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{on_each_backend, schema::idempotency_keys, DbConn};
use crate::domain::ids::AccountId;

/// Records `key` for `fingerprint`. `Ok(None)`: recorded now (a first request);
/// `Ok(Some(f))`: the key was used before, for the request `f`.
pub fn claim(
    conn: &mut DbConn,
    account: &AccountId,
    key: &str,
    fingerprint: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let row = (
        idempotency_keys::account_id.eq(account),
        idempotency_keys::key.eq(key),
        idempotency_keys::fingerprint.eq(fingerprint),
        idempotency_keys::created_at.eq(now),
    );
    let inserted = on_each_backend!(&mut *conn, |c| diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(None);
    }
    idempotency_keys::table
        .filter(idempotency_keys::account_id.eq(account))
        .filter(idempotency_keys::key.eq(key))
        .select(idempotency_keys::fingerprint)
        .first(conn)
        .map(Some)
}

/// Forgets keys older than `before`.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn)
}
