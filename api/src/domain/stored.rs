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
    let now = Utc::now().naive_utc();
    now.with_nanosecond_floor()
}

trait MicrosecondFloor {
    fn with_nanosecond_floor(self) -> Self;
}

impl MicrosecondFloor for NaiveDateTime {
    fn with_nanosecond_floor(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(self.nanosecond() / 1_000 * 1_000)
            .unwrap_or(self)
    }
}
