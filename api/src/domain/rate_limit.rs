//! Request rate limits held in the database, so that every process on it counts alike: a
//! principal's writes (and, when set, reads) per minute, and an account's invitations per hour.
//!
//! A fixed window per key that starts with the key's first request: one upsert counts a
//! request and says how many the window holds (`db::rate_limits::hit`). Past the limit the
//! request is refused with 429 and `Retry-After` (the seconds until the window ends), before
//! it does anything. Refused requests count too, so a client that keeps hammering stays
//! refused until the window ends. The sign-in throttle (`throttle`) is separate.

use std::time::Duration;

use super::{ids::AccountId, principal::Principal, stored};
use crate::{
    db::{self, DbConn},
    error::ApiError,
};

/// At most `max` requests in `window`; `max` 0: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub fn new(max: u32, window: Duration) -> Limit {
        Limit { max, window }
    }
}

/// The limits of the server (`config::Config::rate_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// POST, PUT, PATCH and DELETE of one principal.
    pub writes: Limit,
    /// Every other method of one principal (off by default: a read then costs no write).
    pub reads: Limit,
    /// Invitations of one account.
    pub invites: Limit,
    /// How long an invitation works, unused.
    pub invitation_ttl: Duration,
}

/// Signing out is never refused for being too frequent: a person flooded out of their limit
/// (or whose token leaked) must still be able to end their sessions.
const SIGN_OUTS: [&str; 2] = ["/api/v1/auth/logout", "/api/v1/auth/logout-everywhere"];

/// Whether a request of this method to this path counts as a write.
pub fn is_write(method: &actix_web::http::Method, path: &str) -> bool {
    use actix_web::http::Method;
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
        && !SIGN_OUTS.contains(&path.trim_end_matches('/'))
}

/// Counts a request of `caller`'s; refuses it past the limit of its kind.
pub fn count_request(
    conn: &mut DbConn,
    caller: &Principal,
    write: bool,
    limits: &RateLimits,
) -> Result<(), ApiError> {
    let (limit, kind) = if write {
        (limits.writes, "writes")
    } else {
        (limits.reads, "reads")
    };
    hit(
        conn,
        &format!("{kind}:{}", caller.id),
        limit,
        limits,
        |max| {
            format!(
                "Too many requests: at most {max} {kind} a minute for each user and API token. \
             Wait for Retry-After seconds."
            )
        },
    )
}

/// Counts an invitation sent by `account`'s admins; refuses it past the limit.
pub fn count_invite(
    conn: &mut DbConn,
    account: &AccountId,
    limits: &RateLimits,
) -> Result<(), ApiError> {
    hit(
        conn,
        &format!("invites:{account}"),
        limits.invites,
        limits,
        |max| {
            format!(
                "Too many invitations: at most {max} an hour for each account. Wait for \
             Retry-After seconds."
            )
        },
    )
}

fn hit(
    conn: &mut DbConn,
    key: &str,
    limit: Limit,
    limits: &RateLimits,
    detail: impl FnOnce(u32) -> String,
) -> Result<(), ApiError> {
    if limit.max == 0 {
        return Ok(());
    }
    let now = stored::now();
    let window = chrono::Duration::from_std(limit.window)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("a rate limit's window: {e}")))?;
    let count = db::rate_limits::hit(conn, key, now, now - window)?;
    if count.hits == 1 {
        // A window began: the moment to clear the counters whose windows are all over (at
        // most once a window for each key, on an index).
        let longest = [
            limits.writes.window,
            limits.reads.window,
            limits.invites.window,
        ]
        .into_iter()
        .max()
        .and_then(|longest| chrono::Duration::from_std(longest).ok())
        .unwrap_or(window);
        db::rate_limits::purge(conn, now - longest)?;
    }
    if u32::try_from(count.hits).unwrap_or(u32::MAX) <= limit.max {
        return Ok(());
    }
    Err(ApiError::Throttled {
        detail: detail(limit.max),
        retry_after: retry_after(count.window_started_at + window, now),
    })
}

/// Whole seconds from `now` until `ends`, rounded up, at least 1.
fn retry_after(ends: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> u64 {
    let left = (ends - now).num_milliseconds().max(0);
    u64::try_from((left + 999) / 1000).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let now = stored::now();
        let at = |ms| now + chrono::Duration::milliseconds(ms);
        assert_eq!(retry_after(at(59_001), now), 60);
        assert_eq!(retry_after(at(60_000), now), 60);
        assert_eq!(retry_after(at(1), now), 1);
        assert_eq!(retry_after(at(0), now), 1);
        assert_eq!(retry_after(at(-5_000), now), 1);
    }

    #[test]
    fn writes_are_the_methods_that_change_something() {
        use actix_web::http::Method;
        for write in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_write(&write, "/api/v1/numbers"), "{write}");
        }
        for read in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!is_write(&read, "/api/v1/numbers"), "{read}");
        }
        // Signing out is never refused as a write.
        assert!(!is_write(&Method::POST, "/api/v1/auth/logout"));
        assert!(!is_write(&Method::POST, "/api/v1/auth/logout-everywhere/"));
    }
}
