//! The number inventory (`number_blocks`, `phone_numbers`) and the reservation that hands one
//! number to one user. Every query filters on the account.
//!
//! A reservation moves one `available` number to `reserved` for a user in a single statement
//! whose condition re-checks the status, so two writers can never take the same number: on
//! PostgreSQL the candidate is locked with `FOR UPDATE SKIP LOCKED` (concurrent requests each
//! take a different row and never wait on each other); on SQLite the database write lock
//! serialises writers and a lost race retries with the next candidate. The unique index on
//! `(account_id, user_id)` also keeps a user from holding two numbers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::numbers::{Mismatch, NumberStatus};

use super::{
    schema::{ledger_events, number_blocks, phone_numbers},
    text_column, DbConn,
};
use crate::domain::{ids::AccountId, ledger::LedgerKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredNumberStatus(pub NumberStatus);

text_column!(StoredNumberStatus, |s| s.0.as_str(), |text| {
    NumberStatus::parse(&text).map(StoredNumberStatus)
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredMismatch(pub Mismatch);

text_column!(StoredMismatch, |s| s.0.as_str(), |text| Mismatch::parse(
    &text
)
.map(StoredMismatch));

const AVAILABLE: StoredNumberStatus = StoredNumberStatus(NumberStatus::Available);
const RESERVED: StoredNumberStatus = StoredNumberStatus(NumberStatus::Reserved);
const ASSIGNED: StoredNumberStatus = StoredNumberStatus(NumberStatus::Assigned);
const AGING: StoredNumberStatus = StoredNumberStatus(NumberStatus::Aging);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = number_blocks)]
pub struct BlockRow {
    pub id: String,
    pub account_id: AccountId,
    pub label: Option<String>,
    pub location: Option<String>,
    pub first_number: String,
    pub last_number: String,
    pub count: i32,
    pub created_at: NaiveDateTime,
    /// The profile the block's numbers take when a change names none.
    pub default_profile_id: Option<String>,
    /// Teams' `numberType` of the block's numbers (`directRouting` unless loaded otherwise).
    pub number_type: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = phone_numbers)]
pub struct NumberRow {
    pub account_id: AccountId,
    pub number: String,
    pub block_id: String,
    pub country: String,
    pub location: Option<String>,
    pub status: StoredNumberStatus,
    pub user_id: Option<String>,
    pub available_from: Option<NaiveDateTime>,
    pub assigned_at: Option<NaiveDateTime>,
    pub conflict_kind: Option<StoredMismatch>,
    pub conflict_teams_user: Option<String>,
    pub conflict_found_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub fn insert_block(conn: &mut DbConn, block: &BlockRow, numbers: &[NumberRow]) -> QueryResult<()> {
    diesel::insert_into(number_blocks::table)
        .values(block)
        .execute(conn)?;
    // Batched on PostgreSQL; row by row on SQLite, whose diesel backend cannot batch rows
    // with nullable columns (cheap there: no round trips).
    match conn {
        DbConn::Postgres(pg) => {
            for chunk in numbers.chunks(1000) {
                diesel::insert_into(phone_numbers::table)
                    .values(chunk)
                    .execute(pg)?;
            }
        }
        DbConn::Sqlite(lite) => {
            for row in numbers {
                diesel::insert_into(phone_numbers::table)
                    .values(row)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Which of `numbers` the account's inventory already holds.
pub fn existing(
    conn: &mut DbConn,
    account: &AccountId,
    numbers: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for chunk in numbers.chunks(500) {
        found.extend(
            phone_numbers::table
                .filter(phone_numbers::account_id.eq(account))
                .filter(phone_numbers::number.eq_any(chunk))
                .select((phone_numbers::number, phone_numbers::block_id))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(found)
}

pub fn blocks(
    conn: &mut DbConn,
    account: &AccountId,
    after: Option<(NaiveDateTime, &str)>,
    limit: i64,
) -> QueryResult<Vec<BlockRow>> {
    let mut query = number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .select(BlockRow::as_select())
        .order((number_blocks::created_at.asc(), number_blocks::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            number_blocks::created_at
                .gt(at)
                .or(number_blocks::created_at
                    .eq(at)
                    .and(number_blocks::id.gt(id))),
        );
    }
    query.load(conn)
}

/// The account's first block, if any.
pub fn first_block(conn: &mut DbConn, account: &AccountId) -> QueryResult<Option<BlockRow>> {
    number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .select(BlockRow::as_select())
        .order((number_blocks::created_at.asc(), number_blocks::id.asc()))
        .first(conn)
        .optional()
}

pub fn all_blocks(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<BlockRow>> {
    number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .select(BlockRow::as_select())
        .order((number_blocks::created_at.asc(), number_blocks::id.asc()))
        .load(conn)
}

/// Makes the numbers whose rest ended available again.
/// Reads first and writes only when a rest has ended, so the lists and capacity that call it
/// stay read-only in the common case (on SQLite an UPDATE takes the write lock even when it
/// matches nothing).
pub fn end_aging(conn: &mut DbConn, account: &AccountId, now: NaiveDateTime) -> QueryResult<usize> {
    let rested = phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::status.eq(AGING))
        .filter(phone_numbers::available_from.le(now));
    if !diesel::select(diesel::dsl::exists(rested)).get_result::<bool>(conn)? {
        return Ok(0);
    }
    diesel::update(rested)
        .set((
            phone_numbers::status.eq(AVAILABLE),
            phone_numbers::available_from.eq(None::<NaiveDateTime>),
            phone_numbers::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What the numbers list is filtered by.
#[derive(Debug, Default, Clone)]
pub struct NumberFilter {
    pub status: Option<NumberStatus>,
    pub country: Option<String>,
    pub location: Option<String>,
    pub block_id: Option<String>,
    /// Digits searched in the number.
    pub search: Option<String>,
    pub conflicts_only: bool,
}

pub fn list(
    conn: &mut DbConn,
    account: &AccountId,
    filter: &NumberFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NumberRow>> {
    let mut query = phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .select(NumberRow::as_select())
        .order(phone_numbers::number.asc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(phone_numbers::status.eq(StoredNumberStatus(status)));
    }
    if let Some(country) = &filter.country {
        query = query.filter(phone_numbers::country.eq(country));
    }
    if let Some(location) = &filter.location {
        query = query.filter(phone_numbers::location.eq(location));
    }
    if let Some(block) = &filter.block_id {
        query = query.filter(phone_numbers::block_id.eq(block));
    }
    if let Some(digits) = &filter.search {
        query = query.filter(phone_numbers::number.like(format!("%{digits}%")));
    }
    if filter.conflicts_only {
        query = query.filter(phone_numbers::conflict_kind.is_not_null());
    }
    if let Some(after) = after {
        query = query.filter(phone_numbers::number.gt(after));
    }
    query.load(conn)
}

/// The account's number `number`.
#[diesel::dsl::auto_type]
fn one<'a>(account: &'a AccountId, number: &'a str) -> _ {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::number.eq(number))
}

pub fn find(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
) -> QueryResult<Option<NumberRow>> {
    one(account, number)
        .select(NumberRow::as_select())
        .first(conn)
        .optional()
}

/// The number the portal gave `user`, if any.
pub fn held_by(
    conn: &mut DbConn,
    account: &AccountId,
    user: &str,
) -> QueryResult<Option<NumberRow>> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::user_id.eq(user))
        .select(NumberRow::as_select())
        .first(conn)
        .optional()
}

/// Every number the portal shows reserved or assigned, with its user.
pub fn held(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<NumberRow>> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::user_id.is_not_null())
        .select(NumberRow::as_select())
        .load(conn)
}

/// The columns a reservation sets.
macro_rules! take {
    ($user:expr, $now:expr) => {
        (
            phone_numbers::status.eq(RESERVED),
            phone_numbers::user_id.eq(Some($user)),
            phone_numbers::available_from.eq(None::<NaiveDateTime>),
            phone_numbers::updated_at.eq($now),
        )
    };
}

/// Reserves `number` for `user` if it is available; false otherwise.
pub fn reserve_number(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
    user: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(one(account, number).filter(phone_numbers::status.eq(AVAILABLE)))
        .set(take!(user, now))
        .execute(conn)?;
    Ok(taken == 1)
}

/// The account's available numbers of `country` that Teams does not dispute (a number
/// reconciliation flagged is left for a person to settle).
#[diesel::dsl::auto_type]
fn available<'a>(account: &'a AccountId, country: &'a str) -> _ {
    let available: StoredNumberStatus = AVAILABLE;
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::status.eq(available))
        .filter(phone_numbers::country.eq(country))
        .filter(phone_numbers::conflict_kind.is_null())
}

/// Where auto-select may take a number from, within a country (a voice profile's source).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pool<'a> {
    pub block: Option<&'a str>,
    pub location: Option<&'a str>,
}

/// The lowest candidate of the query, locked on PostgreSQL (see [`reserve_from`]).
macro_rules! first_candidate {
    ($conn:expr, $query:expr) => {{
        let candidate = $query
            .select(phone_numbers::number)
            .order(phone_numbers::number.asc())
            .limit(1);
        match $conn {
            DbConn::Postgres(pg) => candidate
                .for_update()
                .skip_locked()
                .first::<String>(pg)
                .optional()?,
            DbConn::Sqlite(lite) => candidate.first::<String>(lite).optional()?,
        }
    }};
}

/// Reserves the lowest available number of `country` for `user`; `None` when there is none.
pub fn reserve_any(
    conn: &mut DbConn,
    account: &AccountId,
    country: &str,
    user: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    reserve_from(conn, account, country, Pool::default(), user, now)
}

/// Reserves the lowest available number of `country` in `pool` for `user`; `None` when there
/// is none.
pub fn reserve_from(
    conn: &mut DbConn,
    account: &AccountId,
    country: &str,
    pool: Pool<'_>,
    user: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    // The candidate is read first, then taken by its key under the condition that it is still
    // available; a lost race tries the next one. On PostgreSQL the candidate is locked with
    // `FOR UPDATE SKIP LOCKED` (held by the caller's transaction), so concurrent requests take
    // different rows without waiting. (An `UPDATE ... WHERE number IN (SELECT ... LIMIT 1 FOR
    // UPDATE SKIP LOCKED)` may run its subquery again per row and take several numbers.)
    for _ in 0..5 {
        let base = available(account, country);
        let number = match (pool.block, pool.location) {
            (Some(block), _) => {
                first_candidate!(conn, base.filter(phone_numbers::block_id.eq(block)))
            }
            (None, Some(location)) => {
                first_candidate!(conn, base.filter(phone_numbers::location.eq(location)))
            }
            (None, None) => first_candidate!(conn, base),
        };
        let Some(number) = number else {
            return Ok(None);
        };
        let taken =
            diesel::update(one(account, &number).filter(phone_numbers::status.eq(AVAILABLE)))
                .set(take!(user, now))
                .execute(conn)?;
        if taken == 1 {
            return Ok(Some(number));
        }
    }
    Ok(None)
}

/// The `limit` lowest numbers auto-select could take in `country` and `pool` at `now` (aging
/// numbers whose rest is over count as available), without taking any: what a preview hands
/// out.
pub fn could_take(
    conn: &mut DbConn,
    account: &AccountId,
    country: &str,
    pool: Pool<'_>,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let mut query = phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::country.eq(country))
        .filter(phone_numbers::conflict_kind.is_null())
        .filter(
            phone_numbers::status.eq(AVAILABLE).or(phone_numbers::status
                .eq(AGING)
                .and(phone_numbers::available_from.le(now))),
        )
        .select(phone_numbers::number)
        .order(phone_numbers::number.asc())
        .limit(limit)
        .into_boxed();
    if let Some(block) = pool.block {
        query = query.filter(phone_numbers::block_id.eq(block));
    }
    if let Some(location) = pool.location {
        query = query.filter(phone_numbers::location.eq(location));
    }
    query.load(conn)
}

/// The block a number belongs to.
pub fn block_of(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
) -> QueryResult<Option<BlockRow>> {
    phone_numbers::table
        .inner_join(number_blocks::table)
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::number.eq(number))
        .select(BlockRow::as_select())
        .first(conn)
        .optional()
}

/// One block of the account.
pub fn block(conn: &mut DbConn, account: &AccountId, id: &str) -> QueryResult<Option<BlockRow>> {
    number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .filter(number_blocks::id.eq(id))
        .select(BlockRow::as_select())
        .first(conn)
        .optional()
}

/// The reservation of `number` for `user` became an assignment.
pub fn mark_assigned(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
    user: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(one(account, number).filter(phone_numbers::user_id.eq(user)))
        .set((
            phone_numbers::status.eq(ASSIGNED),
            phone_numbers::assigned_at.eq(Some(now)),
            phone_numbers::updated_at.eq(now),
        ))
        .execute(conn)
}

/// `user` no longer holds `number`: it becomes available at once (`rest_until` None, after a
/// failed assignment) or rests until `rest_until` (after a removal).
pub fn release(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
    user: &str,
    rest_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let status = if rest_until.is_some() {
        AGING
    } else {
        AVAILABLE
    };
    diesel::update(one(account, number).filter(phone_numbers::user_id.eq(user)))
        .set((
            phone_numbers::status.eq(status),
            phone_numbers::user_id.eq(None::<String>),
            phone_numbers::available_from.eq(rest_until),
            phone_numbers::assigned_at.eq(None::<NaiveDateTime>),
            phone_numbers::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records (or clears, with `None`) what Teams disagrees with about `number`.
pub fn set_conflict(
    conn: &mut DbConn,
    account: &AccountId,
    number: &str,
    conflict: Option<(Mismatch, Option<&str>)>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (kind, teams_user) = match conflict {
        Some((kind, user)) => (Some(StoredMismatch(kind)), user),
        None => (None, None),
    };
    diesel::update(one(account, number))
        .set((
            phone_numbers::conflict_kind.eq(kind),
            phone_numbers::conflict_teams_user.eq(teams_user),
            phone_numbers::conflict_found_at.eq(kind.map(|_| now)),
        ))
        .execute(conn)
}

/// Numbers that carry a conflict now.
pub fn conflicted(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<String>> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::conflict_kind.is_not_null())
        .select(phone_numbers::number)
        .load(conn)
}

/// How many numbers of one block, country, location and status.
pub type Tally = (String, String, Option<String>, StoredNumberStatus, i64);

/// Counts by (block, country, location, status).
pub fn tallies(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<Tally>> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .group_by((
            phone_numbers::block_id,
            phone_numbers::country,
            phone_numbers::location,
            phone_numbers::status,
        ))
        .select((
            phone_numbers::block_id,
            phone_numbers::country,
            phone_numbers::location,
            phone_numbers::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// The (block, country, location) of each number enabled for a user since `since`, one row
/// per enablement, read from the ledger.
pub fn enabled_since(
    conn: &mut DbConn,
    account: &AccountId,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, String, Option<String>)>> {
    ledger_events::table
        .inner_join(
            phone_numbers::table.on(phone_numbers::account_id
                .eq(ledger_events::account_id)
                .and(ledger_events::number.eq(phone_numbers::number.nullable()))),
        )
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq(LedgerKind::PhoneServiceEnabled.as_str()))
        .filter(ledger_events::occurred_at.ge(since))
        .select((
            phone_numbers::block_id,
            phone_numbers::country,
            phone_numbers::location,
        ))
        .load(conn)
}

/// Every number of the account's inventory, whatever its status.
pub fn all_numbers(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<String>> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .select(phone_numbers::number)
        .load(conn)
}

/// How many of the account's numbers in `country` are available.
pub fn count_available(conn: &mut DbConn, account: &AccountId, country: &str) -> QueryResult<i64> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .filter(phone_numbers::country.eq(country))
        .filter(phone_numbers::status.eq(StoredNumberStatus(NumberStatus::Available)))
        .count()
        .get_result(conn)
}

/// How many numbers the account's inventory holds, whatever their status.
pub fn count(conn: &mut DbConn, account: &AccountId) -> QueryResult<i64> {
    phone_numbers::table
        .filter(phone_numbers::account_id.eq(account))
        .count()
        .get_result(conn)
}

/// When the account's loads after `since` were made, oldest first: each load records one
/// `numbers.loaded` event in the ledger.
pub fn loads_since(
    conn: &mut DbConn,
    account: &AccountId,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    ledger_events::table
        .filter(ledger_events::account_id.eq(account))
        .filter(ledger_events::kind.eq(LedgerKind::NumbersLoaded.as_str()))
        .filter(ledger_events::occurred_at.gt(since))
        .select(ledger_events::occurred_at)
        .order(ledger_events::occurred_at.asc())
        .load(conn)
}
