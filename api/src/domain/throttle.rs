//! The sign-in throttle. Failed sign-ins are counted per account (the email tried, known or
//! not, so the answer says nothing about which emails exist) and per client address, in the
//! database, so that every API process sees the same counts.
//!
//! - An account's 5th failure in a row blocks it for 30 s, each further one for twice as long
//!   as the one before, up to 15 min. Its count is forgotten 24 h after the last failure, or
//!   at a successful sign-in.
//! - An address's 20th failure (many people share an office's address) blocks it the same
//!   way. Its count is forgotten 1 h after the last failure; a successful sign-in does not
//!   clear it (else one's own account would reset it between guesses at others').
//!
//! An attempt is counted as a failure before its password is checked, in one transaction that
//! also refuses it if a key is blocked, and uncounted if it succeeds: so fifty guesses sent at
//! once, to any number of processes, get exactly as many checks as one after the other would.
//! While blocked, sign-in answers `429` with `Retry-After`, whatever the password: the answer
//! must not tell a right guess from a wrong one.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};

use super::stored;
use crate::{
    db::{self, Db},
    error::ApiError,
};

/// What is counted: one account or one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Account,
    Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The failure (counted in a row) that first blocks.
    pub block_at: i32,
    /// The first block; each further failure doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// A count is forgotten this long after its last failure.
    pub forget_after: Duration,
}

impl Kind {
    pub fn rule(self) -> Rule {
        match self {
            Kind::Account => Rule {
                block_at: 5,
                first_delay: Duration::seconds(30),
                max_delay: Duration::minutes(15),
                forget_after: Duration::hours(24),
            },
            Kind::Address => Rule {
                block_at: 20,
                first_delay: Duration::seconds(30),
                max_delay: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
        }
    }
}

/// The longest any count is remembered: rows older than this can be deleted.
pub fn longest_memory() -> Duration {
    Kind::Account
        .rule()
        .forget_after
        .max(Kind::Address.rule().forget_after)
}

/// A throttle row's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub kind: Kind,
    pub key: String,
}

impl Key {
    /// The account key of an email as typed (normalised like sign-in does); hashed, so the
    /// table holds no address and every key has the same length.
    pub fn account(email: &str) -> Key {
        use sha2::{Digest, Sha256};
        let normalised = email.trim().to_lowercase();
        Key {
            kind: Kind::Account,
            key: format!(
                "account:{}",
                hex::encode(Sha256::digest(normalised.as_bytes()))
            ),
        }
    }

    /// The address key: an IPv4 address, or the /64 network of an IPv6 one (one subscriber
    /// usually holds a whole /64).
    pub fn address(ip: IpAddr) -> Key {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        let key = match ip {
            IpAddr::V4(v4) => format!("address:{v4}"),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        Key {
            kind: Kind::Address,
            key,
        }
    }
}

/// A key's count after one more failure at `now`, given the stored count and last failure.
pub fn next_failures(
    rule: &Rule,
    stored: i32,
    last_failure_at: NaiveDateTime,
    now: NaiveDateTime,
) -> i32 {
    if now - last_failure_at > rule.forget_after {
        1
    } else {
        stored.saturating_add(1)
    }
}

/// Until when a key with `failures` failures (the last one at `now`) is blocked, if it is.
pub fn blocked_until(rule: &Rule, failures: i32, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let over = failures.checked_sub(rule.block_at)?;
    if over < 0 {
        return None;
    }
    // 30 s, 60 s, 2 min, ... : the doubling stops well before it could overflow.
    let doublings = u32::try_from(over).unwrap_or(0).min(16);
    let delay = rule
        .first_delay
        .checked_mul(1 << doublings)
        .unwrap_or(rule.max_delay)
        .min(rule.max_delay);
    Some(now + delay)
}

/// Whole seconds until `until` (at least 1), for `Retry-After`.
pub fn retry_after(until: NaiveDateTime, now: NaiveDateTime) -> u64 {
    let millis = (until - now).num_milliseconds().max(0);
    u64::try_from((millis + 999) / 1000).unwrap_or(1).max(1)
}

/// One sign-in attempt, counted as a failure until it is known to be a success.
#[must_use = "an attempt stays counted as a failure unless it is resolved"]
pub struct Attempt {
    /// Each key with the block this attempt set on it, if it set one.
    counted: Vec<(Key, Option<NaiveDateTime>)>,
}

impl Attempt {
    /// Counts an attempt at `email` from `client`, or refuses it (`429`) while either is
    /// blocked.
    pub async fn begin(db: &Db, email: &str, client: IpAddr) -> Result<Attempt, ApiError> {
        // Always in this order ("account:" < "address:"), so two transactions never wait on
        // each other's rows the other way round.
        let keys = [Key::account(email), Key::address(client)];
        let now = stored::now();
        let counted = db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    let mut rows = Vec::with_capacity(keys.len());
                    for key in keys {
                        let row = db::sign_in_throttle::lock(conn, &key.key, now)?;
                        rows.push((key, row));
                    }
                    let blocked = rows
                        .iter()
                        .filter_map(|(_, row)| row.blocked_until)
                        .filter(|until| *until > now)
                        .max();
                    if let Some(until) = blocked {
                        return Ok(Err(until));
                    }
                    let mut counted = Vec::with_capacity(rows.len());
                    for (key, mut row) in rows {
                        let rule = key.kind.rule();
                        row.failures = next_failures(&rule, row.failures, row.last_failure_at, now);
                        row.last_failure_at = now;
                        row.blocked_until = blocked_until(&rule, row.failures, now);
                        db::sign_in_throttle::save(conn, &row)?;
                        counted.push((key, row.blocked_until));
                    }
                    Ok(Ok(counted))
                })
            })
            .await?;
        match counted {
            Ok(counted) => Ok(Attempt { counted }),
            Err(until) => {
                let seconds = retry_after(until, now);
                tracing::info!(retry_after = seconds, "sign-in throttled");
                Err(ApiError::Throttled {
                    detail: format!(
                        "Too many failed sign-ins. Please wait {} before trying again.",
                        wait_words(seconds)
                    ),
                    retry_after: seconds,
                })
            }
        }
    }

    /// The attempt was a failure: it stays counted.
    pub fn failed(self) {}

    /// The password was right: the account's count is forgotten, and the address's count
    /// loses this attempt.
    pub async fn succeeded(self, db: &Db) -> Result<(), ApiError> {
        self.resolve(db, true).await
    }

    /// The attempt could not be checked (the server was busy, the database failed): it does
    /// not count.
    pub async fn abandoned(self, db: &Db) {
        if let Err(e) = self.resolve(db, false).await {
            tracing::warn!(error = %e, "an abandoned sign-in attempt stays counted");
        }
    }

    async fn resolve(self, db: &Db, succeeded: bool) -> Result<(), ApiError> {
        let now = stored::now();
        db.run(move |conn| {
            db::transaction(conn, |conn| {
                for (key, set) in &self.counted {
                    if succeeded && key.kind == Kind::Account {
                        db::sign_in_throttle::clear(conn, &key.key)?;
                        continue;
                    }
                    let mut row = db::sign_in_throttle::lock(conn, &key.key, now)?;
                    row.failures = row.failures.saturating_sub(1).max(0);
                    if set.is_some() && row.blocked_until == *set {
                        row.blocked_until = None;
                    }
                    db::sign_in_throttle::save(conn, &row)?;
                }
                if succeeded {
                    // Now and then is enough: rows past every rule's memory are noise.
                    db::sign_in_throttle::purge(conn, now - longest_memory(), now)?;
                }
                Ok(())
            })
        })
        .await
    }
}

/// "30 seconds", "2 minutes".
fn wait_words(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_cap() {
        let rule = Kind::Account.rule();
        let delays: Vec<Option<i64>> = (1..=14)
            .map(|n| blocked_until(&rule, n, at(0)).map(|t| (t - at(0)).num_seconds()))
            .collect();
        assert_eq!(
            delays,
            [
                None,
                None,
                None,
                None,
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900),
                Some(900),
                Some(900),
                Some(900)
            ]
        );
        assert_eq!(
            blocked_until(&rule, i32::MAX, at(0)),
            Some(at(900)),
            "no overflow"
        );
        let address = Kind::Address.rule();
        assert_eq!(blocked_until(&address, 19, at(0)), None);
        assert_eq!(blocked_until(&address, 20, at(0)), Some(at(30)));
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_while() {
        let account = Kind::Account.rule();
        assert_eq!(next_failures(&account, 7, at(0), at(3600)), 8);
        assert_eq!(next_failures(&account, 7, at(0), at(24 * 3600 + 1)), 1);
        let address = Kind::Address.rule();
        assert_eq!(next_failures(&address, 30, at(0), at(3601)), 1);
    }

    #[test]
    fn keys_hide_the_email_and_group_ipv6_by_network() {
        let a = Key::account(" Admin@Contoso.Example ");
        assert_eq!(a, Key::account("admin@contoso.example"));
        assert!(!a.key.contains("contoso"));
        assert_eq!(a.key.len(), "account:".len() + 64);

        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(Key::address(ip("192.0.2.7")).key, "address:192.0.2.7");
        assert_eq!(
            Key::address(ip("::ffff:192.0.2.7")).key,
            "address:192.0.2.7"
        );
        assert_eq!(
            Key::address(ip("2001:db8:1:2:aaaa::1")),
            Key::address(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_eq!(
            Key::address(ip("2001:db8:1:2::1")).key,
            "address:2001:db8:1:2::/64"
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after(at(30), at(0)), 30);
        assert_eq!(retry_after(at(30), at(0) + Duration::milliseconds(200)), 30);
        assert_eq!(retry_after(at(0), at(5)), 1);
    }
}
