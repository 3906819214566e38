//! What one account may load into its inventory ("bring your own numbers"): at most a quota of
//! numbers in all, and at most so many loads in a window of time. Both are counted from the
//! database (the inventory itself, and the `numbers.loaded` event each load records in the
//! ledger), under the account's write lock, so they hold across processes.

use std::time::Duration;

use chrono::NaiveDateTime;

use crate::{db, db::DbConn, domain::ids::AccountId, error::ApiError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// The most numbers an account's inventory may hold.
    pub quota: u64,
    /// The most loads an account may make within `window`.
    pub loads_per_window: u32,
    pub window: Duration,
}

impl Default for LoadLimits {
    fn default() -> LoadLimits {
        LoadLimits {
            quota: 100_000,
            loads_per_window: 20,
            window: Duration::from_secs(3600),
        }
    }
}

/// 429 with `Retry-After` when the account has made its loads of the window already.
pub fn check_rate(
    conn: &mut DbConn,
    account: &AccountId,
    limits: &LoadLimits,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let window = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::MAX);
    let since = now.checked_sub_signed(window).unwrap_or(NaiveDateTime::MIN);
    let loads = db::numbers::loads_since(conn, account, since)?;
    let allowed = usize::try_from(limits.loads_per_window).unwrap_or(usize::MAX);
    if loads.len() < allowed {
        return Ok(());
    }
    // Another load is allowed once all but `allowed - 1` of these have left the window.
    let frees_up = loads
        .get(loads.len() - allowed)
        .map_or(now, |at| *at + window);
    let retry_after = u64::try_from((frees_up - now).num_seconds()).unwrap_or(0) + 1;
    Err(ApiError::Throttled {
        detail: format!(
            "Your account may load numbers {allowed} times per {}, and has done so {} times in \
             the last {}. Nothing was loaded; try again in {retry_after} seconds. The operator \
             of this service can raise the limit (NUMBER_LOADS_PER_WINDOW, \
             NUMBER_LOAD_WINDOW_SECONDS).",
            span(limits.window),
            loads.len(),
            span(limits.window),
        ),
        retry_after,
    })
}

/// 409 `number_quota_exceeded` when `adding` more numbers would take the inventory past the
/// quota: the load is refused whole.
pub fn check_quota(
    conn: &mut DbConn,
    account: &AccountId,
    limits: &LoadLimits,
    adding: usize,
) -> Result<(), ApiError> {
    let held = u64::try_from(db::numbers::count(conn, account)?).unwrap_or(0);
    let adding = u64::try_from(adding).unwrap_or(u64::MAX);
    if held.saturating_add(adding) <= limits.quota {
        return Ok(());
    }
    Err(ApiError::conflict(
        shared::problem::ConflictCode::NumberQuotaExceeded,
        format!(
            "Your inventory holds {held} numbers and this load would add {adding}: an account \
             may hold at most {} numbers. Nothing was loaded. The operator of this service can \
             raise the quota (NUMBER_QUOTA).",
            limits.quota
        ),
    ))
}

/// "hour", "2 hours", "15 minutes", "90 seconds".
fn span(window: Duration) -> String {
    let seconds = window.as_secs();
    let (n, unit) = if seconds > 0 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds > 0 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    match n {
        1 => unit.to_owned(),
        n => format!("{n} {unit}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_named_in_its_largest_whole_unit() {
        assert_eq!(span(Duration::from_secs(3600)), "hour");
        assert_eq!(span(Duration::from_secs(7200)), "2 hours");
        assert_eq!(span(Duration::from_secs(900)), "15 minutes");
        assert_eq!(span(Duration::from_secs(90)), "90 seconds");
    }
}
