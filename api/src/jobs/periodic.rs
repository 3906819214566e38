//! Jobs that run on a schedule. Time is cut into slots; each slot's job is enqueued once,
//! whichever processes schedule it and however often: its `dedupe_key` names the slot, and the
//! database's unique index keeps the first insert and ignores the others.
//!
//! - `connection_health`: every slot of [`health_slot`];
//! - `reconciliation`: once when a process starts, then every `RECONCILE_INTERVAL_SECONDS`;
//! - `user_sync`: each account's, when its last sync is `SYNC_INTERVAL_SECONDS` old.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime};

use super::{queue, ConnectionHealth, Reconciliation};
use crate::{
    db::{Db, DbConn},
    domain::{directory, telephony::TelephonySettings},
    error::ApiError,
};

/// How often a runner looks for accounts whose user sync is due.
const SYNC_CHECK_EVERY: Duration = Duration::from_secs(60);

/// What one runner has scheduled, so that each turn of its loop enqueues only what is new.
#[derive(Debug, Default)]
pub struct Schedules {
    /// The key of the latest connection-health slot scheduled.
    health: Option<String>,
    /// The key of the latest reconciliation scheduled (this process's start-up run first).
    reconciled: Option<String>,
    /// When this runner last looked for accounts due a user sync.
    syncs_checked: Option<Instant>,
}

impl Schedules {
    /// Enqueues the periodic jobs due at `now` that this runner has not enqueued yet. A failure
    /// is logged, and tried again on the next turn.
    pub async fn enqueue_due(
        &mut self,
        db: &Db,
        health_every: Duration,
        telephony: &TelephonySettings,
        process_id: &str,
        now: NaiveDateTime,
    ) {
        let key = connection_health_key(now, health_every);
        if self.health.as_ref() != Some(&key) {
            let scheduled = db
                .run(move |conn| schedule_connection_health(conn, now, health_every))
                .await;
            match scheduled {
                Ok(_) => self.health = Some(key),
                Err(e) => tracing::warn!(error = %e, "could not schedule connection health"),
            }
        }
        let key = match self.reconciled {
            None => Some(format!("reconciliation@start:{process_id}")),
            Some(_) if telephony.reconcile_interval_seconds > 0 => {
                let every = Duration::from_secs(telephony.reconcile_interval_seconds);
                Some(format!(
                    "reconciliation@{}",
                    slot_start(now, every).format("%Y-%m-%dT%H:%M:%SZ")
                ))
            }
            Some(_) => None,
        };
        if let Some(key) = key.filter(|k| self.reconciled.as_ref() != Some(k)) {
            let enqueue_key = key.clone();
            let enqueued = db
                .run(move |conn| {
                    queue::enqueue_once(conn, &enqueue_key, &Reconciliation::default(), now)
                })
                .await;
            match enqueued {
                Ok(_) => self.reconciled = Some(key),
                Err(e) => tracing::warn!(error = %e, "could not schedule reconciliation"),
            }
        }
        if telephony.sync_interval_seconds > 0
            && self
                .syncs_checked
                .is_none_or(|at| at.elapsed() >= SYNC_CHECK_EVERY)
        {
            self.syncs_checked = Some(Instant::now());
            let every = chrono::Duration::seconds(
                i64::try_from(telephony.sync_interval_seconds).unwrap_or(i64::MAX),
            );
            let started = db
                .run(move |conn| directory::schedule_syncs(conn, every, now))
                .await;
            match started {
                Ok(0) => {}
                Ok(n) => tracing::info!(syncs = n, "scheduled user syncs"),
                Err(e) => tracing::warn!(error = %e, "could not schedule user syncs"),
            }
        }
    }
}

/// Finished periodic jobs are kept this long (for whoever looks into one), then deleted.
const KEEP_FINISHED: chrono::Duration = chrono::Duration::days(1);

/// How often the `connection_health` job runs: every `HEALTH_INTERVAL_SECONDS`, at most 30 s
/// apart. Each run checks the tenants that are due, so each tenant is checked every
/// `HEALTH_INTERVAL_SECONDS` (and at most one slot later).
pub fn health_slot(health_interval_seconds: u64) -> Duration {
    Duration::from_secs(health_interval_seconds.clamp(1, 30))
}

/// The start of the slot of length `every` that `now` falls in (slots count from the epoch,
/// so every process agrees on them).
pub fn slot_start(now: NaiveDateTime, every: Duration) -> NaiveDateTime {
    let every = i64::try_from(every.as_secs().max(1)).unwrap_or(i64::MAX);
    let seconds = now.and_utc().timestamp();
    let start = seconds - seconds.rem_euclid(every);
    DateTime::from_timestamp(start, 0).map_or(now, |t| t.naive_utc())
}

/// The `dedupe_key` of the `connection_health` job of the slot `now` falls in.
pub fn connection_health_key(now: NaiveDateTime, every: Duration) -> String {
    format!(
        "connection_health@{}",
        slot_start(now, every).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Enqueues the `connection_health` job of the slot `now` falls in, unless some process did;
/// `true` when this call enqueued it. The one process that does also deletes the periodic jobs
/// that finished more than a day ago.
pub fn schedule_connection_health(
    conn: &mut DbConn,
    now: NaiveDateTime,
    every: Duration,
) -> Result<bool, ApiError> {
    let key = connection_health_key(now, every);
    let enqueued = queue::enqueue_once(conn, &key, &ConnectionHealth::default(), now)?;
    if enqueued {
        let purged = crate::db::jobs::purge_periodic(conn, now - KEEP_FINISHED)?;
        if purged > 0 {
            tracing::debug!(purged, "purged finished periodic jobs");
        }
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::NaiveDate;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_micro_opt(h, m, s, 250_000)
            .unwrap()
    }

    #[test]
    fn a_slot_is_the_same_for_every_moment_in_it() {
        let every = Duration::from_secs(30);
        let ten = NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(slot_start(at(10, 0, 29), every), ten);
        assert_eq!(
            connection_health_key(at(10, 0, 1), every),
            connection_health_key(at(10, 0, 29), every)
        );
        assert_ne!(
            connection_health_key(at(10, 0, 29), every),
            connection_health_key(at(10, 0, 30), every)
        );
        assert_eq!(
            connection_health_key(at(10, 0, 30), every),
            "connection_health@2026-11-26T10:00:30Z"
        );
    }

    #[test]
    fn the_health_slot_is_the_interval_at_most_30_seconds() {
        assert_eq!(health_slot(900), Duration::from_secs(30));
        assert_eq!(health_slot(5), Duration::from_secs(5));
        assert_eq!(health_slot(0), Duration::from_secs(1));
    }
}
