//! Reading values back from rows: ids, roles and times are stored as text and timestamps.

use chrono::{DateTime, NaiveDateTime, Utc};
use shared::role::Role;
use uuid::Uuid;

use crate::error::ApiError;

pub fn uuid(stored: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(stored)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored id {stored:?} is not a UUID: {e}")))
}

pub fn role(stored: &str) -> Result<Role, ApiError> {
    Role::parse(stored)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored role {stored:?} is unknown")))
}

pub fn time(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Now, at the precision every backend keeps (microseconds).
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    Utc::now().naive_utc().trunc_subsecs(6)
}
