//! Display formats shared by the pages.

use chrono::{DateTime, Utc};

/// A day, e.g. `26 Nov 2025` (UTC).
pub fn date(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// A moment, e.g. `26 Nov 2025, 14:05 UTC`.
pub fn date_time(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}
