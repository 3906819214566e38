//! Reading values back from rows: ids are stored as text and times as timestamps (states,
//! roles and typed ids read themselves through `db::text_column`).

use chrono::{DateTime, NaiveDateTime, Utc};
use uuid::Uuid;

use super::ids::{AccountId, UserId};
use crate::error::ApiError;

pub fn uuid(stored: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(stored)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored id {stored:?} is not a UUID: {e}")))
}

/// A stored account id, or an error naming the broken value.
pub fn account_id(stored: &str) -> Result<AccountId, ApiError> {
    AccountId::parse(stored)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored id {stored:?} is not a UUID")))
}

/// A stored user (or API token) id.
pub fn user_id(stored: &str) -> Result<UserId, ApiError> {
    UserId::parse(stored)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored id {stored:?} is not a UUID")))
}

pub fn time(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Now, at the precision every backend keeps (microseconds).
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    Utc::now().naive_utc().trunc_subsecs(6)
}
