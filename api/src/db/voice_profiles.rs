//! Voice profiles (`voice_profiles`), the blocks that default to one
//! (`number_blocks.default_profile_id`) and how many users each gives service to
//! (`directory_users.service_profile_id`). Every query filters on the account.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::directory::ServiceState;

use super::{
    directory::StoredServiceState,
    schema::{directory_users, number_blocks, voice_profiles},
    DbConn,
};
use crate::domain::ids::AccountId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = voice_profiles, treat_none_as_null = true)]
pub struct ProfileRow {
    pub id: String,
    pub account_id: AccountId,
    pub name: String,
    /// `shared::voice_profiles::NumberSource` as JSON.
    pub number_source: String,
    /// `Vec<shared::voice_profiles::ProfilePolicy>` as JSON.
    pub policies: String,
    pub location_id: Option<String>,
    pub location_label: Option<String>,
    pub is_default: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &ProfileRow) -> QueryResult<()> {
    diesel::insert_into(voice_profiles::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes every field of the account's profile but its id; false when there is none.
pub fn update(conn: &mut DbConn, row: &ProfileRow) -> QueryResult<bool> {
    diesel::update(
        voice_profiles::table
            .filter(voice_profiles::id.eq(&row.id))
            .filter(voice_profiles::account_id.eq(&row.account_id)),
    )
    .set(row)
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes the account's profile; the blocks that defaulted to it, and the users who name it,
/// then name none. False when there is none.
pub fn delete(conn: &mut DbConn, account: &AccountId, id: &str) -> QueryResult<bool> {
    diesel::update(
        number_blocks::table
            .filter(number_blocks::account_id.eq(account))
            .filter(number_blocks::default_profile_id.eq(id)),
    )
    .set(number_blocks::default_profile_id.eq(None::<String>))
    .execute(conn)?;
    // Users without service may still name it (the profile of a service since removed).
    diesel::update(
        directory_users::table
            .filter(directory_users::account_id.eq(account))
            .filter(directory_users::service_profile_id.eq(id)),
    )
    .set(directory_users::service_profile_id.eq(None::<String>))
    .execute(conn)?;
    diesel::delete(
        voice_profiles::table
            .filter(voice_profiles::id.eq(id))
            .filter(voice_profiles::account_id.eq(account)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// The account's profile; another account's is `None`, as an unknown id is.
pub fn find(conn: &mut DbConn, account: &AccountId, id: &str) -> QueryResult<Option<ProfileRow>> {
    voice_profiles::table
        .filter(voice_profiles::id.eq(id))
        .filter(voice_profiles::account_id.eq(account))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// The account's profiles, by name.
pub fn of_account(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<ProfileRow>> {
    voice_profiles::table
        .filter(voice_profiles::account_id.eq(account))
        .order((voice_profiles::name.asc(), voice_profiles::id.asc()))
        .select(ProfileRow::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConn, account: &AccountId) -> QueryResult<i64> {
    voice_profiles::table
        .filter(voice_profiles::account_id.eq(account))
        .count()
        .get_result(conn)
}

pub fn default_of_account(
    conn: &mut DbConn,
    account: &AccountId,
) -> QueryResult<Option<ProfileRow>> {
    voice_profiles::table
        .filter(voice_profiles::account_id.eq(account))
        .filter(voice_profiles::is_default.eq(true))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// The profile the account's block defaults to, if any.
pub fn default_of_block(
    conn: &mut DbConn,
    account: &AccountId,
    block_id: &str,
) -> QueryResult<Option<ProfileRow>> {
    let profile: Option<Option<String>> = number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .filter(number_blocks::id.eq(block_id))
        .select(number_blocks::default_profile_id)
        .first(conn)
        .optional()?;
    match profile.flatten() {
        Some(id) => find(conn, account, &id),
        None => Ok(None),
    }
}

/// Makes no profile of the account its default, but `except`.
pub fn clear_default(conn: &mut DbConn, account: &AccountId, except: &str) -> QueryResult<()> {
    diesel::update(
        voice_profiles::table
            .filter(voice_profiles::account_id.eq(account))
            .filter(voice_profiles::is_default.eq(true))
            .filter(voice_profiles::id.ne(except)),
    )
    .set(voice_profiles::is_default.eq(false))
    .execute(conn)
    .map(|_| ())
}

/// `(block id, profile id)` of the account's blocks that default to a profile.
pub fn block_defaults(
    conn: &mut DbConn,
    account: &AccountId,
) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .filter(number_blocks::default_profile_id.is_not_null())
        .order(number_blocks::created_at.asc())
        .select((number_blocks::id, number_blocks::default_profile_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(block, profile)| Some((block, profile?)))
        .collect())
}

/// Which of `ids` are blocks of the account.
pub fn existing_blocks(
    conn: &mut DbConn,
    account: &AccountId,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    number_blocks::table
        .filter(number_blocks::account_id.eq(account))
        .filter(number_blocks::id.eq_any(ids))
        .select(number_blocks::id)
        .load(conn)
}

/// Makes exactly `blocks` (the account's) default to the profile: other blocks that did stop,
/// and these stop defaulting to any other profile (a block has one default).
pub fn set_block_defaults(
    conn: &mut DbConn,
    account: &AccountId,
    profile: &str,
    blocks: &[String],
) -> QueryResult<()> {
    diesel::update(
        number_blocks::table
            .filter(number_blocks::account_id.eq(account))
            .filter(number_blocks::default_profile_id.eq(profile))
            .filter(number_blocks::id.ne_all(blocks)),
    )
    .set(number_blocks::default_profile_id.eq(None::<String>))
    .execute(conn)?;
    if !blocks.is_empty() {
        diesel::update(
            number_blocks::table
                .filter(number_blocks::account_id.eq(account))
                .filter(number_blocks::id.eq_any(blocks)),
        )
        .set(number_blocks::default_profile_id.eq(profile))
        .execute(conn)?;
    }
    Ok(())
}

/// `(profile id, users)`: users whose service came from each profile and who still have
/// some (any state but `none`).
pub fn users_per_profile(
    conn: &mut DbConn,
    account: &AccountId,
) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(Option<String>, i64)> = directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::service_profile_id.is_not_null())
        .filter(directory_users::service_state.ne(StoredServiceState(ServiceState::None)))
        .group_by(directory_users::service_profile_id)
        .select((
            directory_users::service_profile_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(profile, users)| Some((profile?, users)))
        .collect())
}

/// Users whose service came from the profile and who still have some.
pub fn users_of(conn: &mut DbConn, account: &AccountId, profile: &str) -> QueryResult<i64> {
    directory_users::table
        .filter(directory_users::account_id.eq(account))
        .filter(directory_users::service_profile_id.eq(profile))
        .filter(directory_users::service_state.ne(StoredServiceState(ServiceState::None)))
        .count()
        .get_result(conn)
}
