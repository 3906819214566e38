//! The tenant's users as synced from Graph (`directory_users`) and each account's sync state
//! (`directory_syncs`). Every query filters on the account.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::directory::ServiceState;

use super::{
    on_each_backend,
    schema::{directory_syncs, directory_users},
    text_column, DbConn,
};
use crate::domain::ids::AccountId;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A service state as stored: its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredServiceState(pub ServiceState);

text_column!(StoredServiceState, |s| s.0.as_str(), |text| {
    ServiceState::parse(&text).map(StoredServiceState)
});

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = directory_users)]
pub struct DirectoryUserRow {
    pub account_id: AccountId,
    pub id: String,
    pub tenant_id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub usage_location: Option<String>,
    pub account_enabled: bool,
    pub licensed: bool,
    pub teams_numbers: String,
    pub search: String,
    pub service_state: StoredServiceState,
    pub service_number: Option<String>,
    pub service_detail: Option<String>,
    pub service_job_id: Option<String>,
    pub service_operation: Option<String>,
    pub service_updated_at: Option<NaiveDateTime>,
    pub synced_at: NaiveDateTime,
    pub service_profile_id: Option<String>,
    /// `Vec<ServicePart>` as JSON.
    pub service_parts: Option<String>,
    /// The change under way (`phone_service::saga::SagaRecord`) as JSON.
    pub service_saga: Option<String>,
    /// The job whose change gave the current service.
    pub service_given_by: Option<String>,
}

/// What a sync writes of a user: who they are, never their service.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = directory_users)]
pub struct SyncedUser {
    pub account_id: AccountId,
    pub id: String,
    pub tenant_id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub usage_location: Option<String>,
    pub account_enabled: bool,
    pub licensed: bool,
    pub teams_numbers: String,
    pub search: String,
    pub synced_at: NaiveDateTime,
}

/// Writes a batch of synced users: new ones inserted, known ones updated (their service
/// columns untouched). One statement per 500 users on PostgreSQL; one per user on SQLite,
/// whose diesel backend cannot batch an upsert with nullable columns (in the caller's
/// transaction, that is cheap: no round trips).
pub fn upsert(conn: &mut DbConn, users: &[SyncedUser]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use directory_users as u;
    macro_rules! upsert {
        ($c:expr, $values:expr) => {
            diesel::insert_into(u::table)
                .values($values)
                .on_conflict((u::account_id, u::id))
                .do_update()
                .set((
                    u::tenant_id.eq(excluded(u::tenant_id)),
                    u::user_principal_name.eq(excluded(u::user_principal_name)),
                    u::display_name.eq(excluded(u::display_name)),
                    u::usage_location.eq(excluded(u::usage_location)),
                    u::account_enabled.eq(excluded(u::account_enabled)),
                    u::licensed.eq(excluded(u::licensed)),
                    u::teams_numbers.eq(excluded(u::teams_numbers)),
                    u::search.eq(excluded(u::search)),
                    u::synced_at.eq(excluded(u::synced_at)),
                ))
                .execute($c)
        };
    }
    match conn {
        DbConn::Postgres(pg) => {
            for chunk in users.chunks(500) {
                upsert!(&mut *pg, chunk)?;
            }
        }
        DbConn::Sqlite(lite) => {
            for user in users {
                upsert!(&mut *lite, user)?;
            }
        }
    }
    Ok(())
}

/// The account's user `id`.
#[diesel::dsl::auto_type]
fn one<'a>(account: &'a AccountId, id: &'a str) -> _ {
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::id.eq(id))
}

pub fn find(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
) -> QueryResult<Option<DirectoryUserRow>> {
    one(account, id)
        .select(DirectoryUserRow::as_select())
        .first(conn)
        .optional()
}

/// A user by object id or (case-insensitively) by UPN.
pub fn find_by_ref(
    conn: &mut DbConn,
    account: &AccountId,
    reference: &str,
) -> QueryResult<Option<DirectoryUserRow>> {
    let reference = reference.trim();
    if let Some(found) = find(conn, account, &reference.to_ascii_lowercase())? {
        return Ok(Some(found));
    }
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(lower(directory_users::user_principal_name).eq(reference.to_lowercase()))
        .select(DirectoryUserRow::as_select())
        .first(conn)
        .optional()
}

/// What the users list is filtered by.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Lower-case text searched in name, UPN and numbers.
    pub search: Option<String>,
    pub service: Option<ServiceState>,
    pub licensed: Option<bool>,
    pub usage_location: Option<String>,
}

/// One page of users, ordered by name then id, after `(name, id)`.
pub fn list(
    conn: &mut DbConn,
    account: &AccountId,
    filter: &UserFilter,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<DirectoryUserRow>> {
    let mut query = directory_users::table
        .filter(directory_users::account_id.eq(account))
        .select(DirectoryUserRow::as_select())
        .order((
            directory_users::display_name.asc(),
            directory_users::id.asc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(text) = &filter.search {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            directory_users::search
                .like(pattern.clone())
                .escape('\\')
                .or(directory_users::service_number
                    .like(pattern.clone())
                    .escape('\\'))
                .or(directory_users::teams_numbers.like(pattern).escape('\\')),
        );
    }
    if let Some(state) = filter.service {
        query = query.filter(directory_users::service_state.eq(StoredServiceState(state)));
    }
    if let Some(licensed) = filter.licensed {
        query = query.filter(directory_users::licensed.eq(licensed));
    }
    if let Some(location) = &filter.usage_location {
        query = query.filter(directory_users::usage_location.eq(location));
    }
    if let Some((name, id)) = after {
        query = query.filter(
            directory_users::display_name
                .gt(name)
                .or(directory_users::display_name
                    .eq(name)
                    .and(directory_users::id.gt(id))),
        );
    }
    query.load(conn)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn count(conn: &mut DbConn, account: &AccountId) -> QueryResult<i64> {
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .count()
        .get_result(conn)
}

/// Ids of the users a sync that started at `started` did not see (gone from the tenant).
pub fn unseen_since(
    conn: &mut DbConn,
    account: &AccountId,
    started: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::synced_at.lt(started))
        .select(directory_users::id)
        .load(conn)
}

pub fn delete(conn: &mut DbConn, account: &AccountId, ids: &[String]) -> QueryResult<usize> {
    diesel::delete(
        directory_users::table
            .filter(directory_users::account_id.eq(account))
            .filter(directory_users::id.eq_any(ids)),
    )
    .execute(conn)
}

/// The users Teams reports numbers for, with those numbers.
pub fn with_teams_numbers(
    conn: &mut DbConn,
    account: &AccountId,
) -> QueryResult<Vec<(String, String)>> {
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::teams_numbers.ne(""))
        .select((directory_users::id, directory_users::teams_numbers))
        .load(conn)
}

pub fn set_teams_numbers(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    numbers: &str,
) -> QueryResult<usize> {
    diesel::update(one(account, id))
        .set(directory_users::teams_numbers.eq(numbers))
        .execute(conn)
}

/// A user's phone service columns, as one change.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = directory_users, treat_none_as_null = true)]
pub struct ServiceChange {
    pub service_state: StoredServiceState,
    pub service_number: Option<String>,
    pub service_detail: Option<String>,
    pub service_job_id: Option<String>,
    pub service_operation: Option<String>,
    pub service_updated_at: Option<NaiveDateTime>,
}

pub fn set_service(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    change: &ServiceChange,
) -> QueryResult<usize> {
    diesel::update(one(account, id)).set(change).execute(conn)
}

/// What a phone service change keeps beside its state: the profile, each part as Teams
/// reported it, the saga's record, and the job that gave the service.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = directory_users, treat_none_as_null = true)]
pub struct ServiceRecord {
    pub service_profile_id: Option<String>,
    pub service_parts: Option<String>,
    pub service_saga: Option<String>,
    pub service_given_by: Option<String>,
}

pub fn set_record(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    record: &ServiceRecord,
) -> QueryResult<usize> {
    diesel::update(one(account, id)).set(record).execute(conn)
}

/// Replaces the change's saga record alone (as a step completes).
pub fn set_saga(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    saga: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(one(account, id))
        .set(directory_users::service_saga.eq(saga))
        .execute(conn)
}

/// Replaces the service's parts alone.
pub fn set_parts(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    parts: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(one(account, id))
        .set(directory_users::service_parts.eq(parts))
        .execute(conn)
}

/// Records the Teams operation a service change waits on.
pub fn set_operation(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    operation: &str,
) -> QueryResult<usize> {
    diesel::update(one(account, id))
        .set(directory_users::service_operation.eq(Some(operation)))
        .execute(conn)
}

/// Users whose service waits on Teams (pending or removing).
pub fn in_flight(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<DirectoryUserRow>> {
    let states = [
        StoredServiceState(ServiceState::Pending),
        StoredServiceState(ServiceState::Removing),
    ];
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::service_state.eq_any(states))
        .select(DirectoryUserRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = directory_syncs)]
pub struct SyncRow {
    pub account_id: AccountId,
    pub tenant_id: String,
    pub delta_link: Option<String>,
    pub last_synced_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub job_id: Option<String>,
}

pub fn sync_state(conn: &mut DbConn, account: &AccountId) -> QueryResult<Option<SyncRow>> {
    directory_syncs::table
        .find(account)
        .select(SyncRow::as_select())
        .first(conn)
        .optional()
}

pub fn save_sync_state(conn: &mut DbConn, row: &SyncRow) -> QueryResult<()> {
    on_each_backend!(conn, |c| diesel::insert_into(directory_syncs::table)
        .values(row)
        .on_conflict(directory_syncs::account_id)
        .do_update()
        .set((
            directory_syncs::tenant_id.eq(&row.tenant_id),
            directory_syncs::delta_link.eq(&row.delta_link),
            directory_syncs::last_synced_at.eq(row.last_synced_at),
            directory_syncs::last_error.eq(&row.last_error),
            directory_syncs::job_id.eq(&row.job_id),
        ))
        .execute(c))
    .map(|_| ())
}

/// Forgets the directory of an account whose tenant changed.
pub fn clear(conn: &mut DbConn, account: &AccountId) -> QueryResult<()> {
    diesel::delete(directory_users::table.filter(directory_users::account_id.eq(account)))
        .execute(conn)?;
    diesel::delete(directory_syncs::table.filter(directory_syncs::account_id.eq(account)))
        .execute(conn)?;
    Ok(())
}

/// Locks the user's row for the caller's transaction (a write that changes nothing): a second
/// request for the same user waits here, then reads what the first one did.
pub fn lock(conn: &mut DbConn, account: &AccountId, id: &str) -> QueryResult<usize> {
    diesel::update(one(account, id))
        .set(directory_users::service_state.eq(directory_users::service_state))
        .execute(conn)
}

/// Moves the user's service from `from` (with `number`) to `change`; false when it no longer
/// stands there (another settlement came first). The condition is checked by the update
/// itself, so two settlements at once cannot both pass.
pub fn move_service(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    from: ServiceState,
    number: &str,
    change: &ServiceChange,
) -> QueryResult<bool> {
    diesel::update(
        one(account, id)
            .filter(directory_users::service_state.eq(StoredServiceState(from)))
            .filter(directory_users::service_number.eq(number)),
    )
    .set(change)
    .execute(conn)
    .map(|n| n == 1)
}

/// The accounts with a user whose service waits on Teams.
pub fn accounts_in_flight(conn: &mut DbConn) -> QueryResult<Vec<AccountId>> {
    let states = [
        StoredServiceState(ServiceState::Pending),
        StoredServiceState(ServiceState::Removing),
    ];
    directory_users::table
        .filter(directory_users::service_state.eq_any(states))
        .select(directory_users::account_id)
        .distinct()
        .load(conn)
}

/// The users billing names or compares: those Teams reports numbers for, and those `ids`.
pub fn for_billing(
    conn: &mut DbConn,
    account: &AccountId,
    ids: &[&str],
) -> QueryResult<Vec<DirectoryUserRow>> {
    let mut rows: Vec<DirectoryUserRow> = directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::teams_numbers.ne(""))
        .select(DirectoryUserRow::as_select())
        .load(conn)?;
    let known: std::collections::HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
    let rest: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !known.contains(*id))
        .collect();
    rows.extend(by_ids(conn, account, &rest)?);
    Ok(rows)
}

/// The account's users among `ids`.
pub fn by_ids(
    conn: &mut DbConn,
    account: &AccountId,
    ids: &[&str],
) -> QueryResult<Vec<DirectoryUserRow>> {
    let mut rows = Vec::new();
    // In chunks: SQLite bounds the values one statement may bind.
    for chunk in ids.chunks(500) {
        rows.extend(
            directory_users::table
                .filter(directory_users::account_id.eq(account))
                .filter(directory_users::id.eq_any(chunk))
                .select(DirectoryUserRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}
