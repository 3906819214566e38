//! The runner: one per process. It polls the queue, claims due jobs (the database decides
//! which process gets which, see `db::jobs`), runs a few at a time, renews each job's lease
//! while it works, and records the outcome: a result, or a failed attempt that is retried after
//! a delay that doubles each time, until the job's last attempt fails it for good.
//!
//! Fairness: the database prefers the jobs of accounts with the fewest running (see
//! `db::jobs::claim`), and a runner with more than one worker keeps its last free one from long
//! jobs (bulks), so one account's bulk work never holds every worker while another account's
//! single change waits.
//!
//! Stopping: the runner claims nothing more, gives the jobs it is running a grace period to
//! finish, then puts the rest back in the queue for another process.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use shared::jobs::JobKind;
use tracing::Instrument;

use super::{
    kinds,
    leased::{self, chrono_duration, Leased, LoopHandle, LoopSettings},
    periodic::Schedules,
    GaveUp, JobContext, JobError,
};
use crate::{
    db::{
        self,
        jobs::{Claim, JobRow},
        Db,
    },
    domain::{
        ids::JobId, stored, telephony::TelephonySettings, tenant_connection::TenantConnections,
    },
    error::ApiError,
};

/// How often the runner fails jobs abandoned on their last attempt (see `db::jobs::fail_abandoned`).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
const ABANDONED: &str = "The server process running the job stopped during its last attempt.";

/// The delay before a failed attempt's retry: `base`, doubled after each further failure,
/// at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (1 for the first).
    pub fn after(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Names this process in `leased_by`.
    pub process_id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long the runner waits before looking again when nothing is due.
    pub poll_interval: Duration,
    /// How long a claim holds a job without being renewed; renewed every third of it.
    pub lease: Duration,
    pub backoff: Backoff,
    /// The slot of the periodic `connection_health` job; `None`: this runner schedules none
    /// (nor the periodic user syncs and reconciliation).
    pub health_slot: Option<Duration>,
    pub telephony: Arc<TelephonySettings>,
}

impl RunnerSettings {
    pub fn new(concurrency: usize, health_slot: Option<Duration>) -> RunnerSettings {
        RunnerSettings {
            process_id: process_id(),
            concurrency,
            poll_interval: Duration::from_secs(1),
            // JOB_LEASE_SECONDS' default (config.rs).
            lease: Duration::from_secs(60),
            backoff: Backoff::default(),
            health_slot,
            telephony: Arc::new(TelephonySettings::default()),
        }
    }
}

/// This process, for `leased_by`: the host name, the process id and a random suffix (a
/// restarted process with a reused pid is another process).
pub fn process_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{host}:{}:{}",
        std::process::id(),
        suffix.get(..8).unwrap_or(&suffix)
    )
}

/// Claims and runs jobs. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    db: Db,
    connections: TenantConnections,
    settings: Arc<RunnerSettings>,
    process_id: Arc<str>,
}

/// A started runner.
pub type RunnerHandle = LoopHandle<Runner>;

impl Runner {
    pub fn new(db: Db, connections: TenantConnections, settings: RunnerSettings) -> Runner {
        Runner {
            db,
            connections,
            process_id: Arc::from(settings.process_id.as_str()),
            settings: Arc::new(settings),
        }
    }

    pub fn process_id(&self) -> &str {
        &self.process_id
    }

    /// Claims the next due job, if any, and runs it here to its outcome. The polling loop of
    /// [`Runner::start`] does the same, a few jobs at a time.
    pub async fn run_next(&self) -> Result<Option<JobId>, ApiError> {
        let Some(row) = self.claim(false).await? else {
            return Ok(None);
        };
        let id = row.id.clone();
        self.work(row).await;
        Ok(Some(id))
    }

    /// Starts polling in the background; [`RunnerHandle::stop`] stops it.
    pub fn start(self) -> RunnerHandle {
        let settings = LoopSettings {
            process_id: self.process_id.clone(),
            workers: self.settings.concurrency,
            poll_interval: self.settings.poll_interval,
        };
        leased::start(self, settings)
    }

    /// Fails the jobs abandoned on their last attempt, each with its kind's `abandoned` hook.
    async fn sweep(&self) {
        let failed = self
            .db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    let failed = db::jobs::fail_abandoned(conn, ABANDONED, stored::now())?;
                    for (id, kind) in &failed {
                        kinds::abandoned(conn, kind.0, id, GaveUp::ProcessStopped)?;
                    }
                    Ok(failed.len())
                })
            })
            .await;
        match failed {
            Ok(0) => {}
            Ok(failed) => tracing::warn!(failed, "failed jobs abandoned on their last attempt"),
            Err(e) => tracing::warn!(error = %e, "could not sweep abandoned jobs"),
        }
    }

    /// Renews the lease every third of it; returns only when the claim no longer holds the job.
    async fn keep_lease(&self, claim: Claim) {
        let lease = chrono_duration(self.settings.lease);
        let every = (self.settings.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let claim = claim.clone();
            let renewed = self
                .db
                .run(move |conn| {
                    let now = stored::now();
                    Ok(db::jobs::renew(conn, &claim, now + lease, now)?)
                })
                .await;
            match renewed {
                Ok(true) => {}
                Ok(false) => return,
                // Passing, perhaps: the next renewal tells.
                Err(e) => tracing::warn!(error = %e, "could not renew the job's lease"),
            }
        }
    }

    async fn record(
        &self,
        claim: &Claim,
        (kind, max_attempts): (JobKind, i32),
        outcome: Result<serde_json::Value, JobError>,
    ) {
        let claim = claim.clone();
        let backoff = self.settings.backoff;
        let written = match outcome {
            Ok(result) => {
                tracing::debug!("job succeeded");
                let result = result.to_string();
                self.db
                    .run(move |conn| Ok(db::jobs::succeed(conn, &claim, &result, stored::now())?))
                    .await
            }
            Err(e) => {
                let last = !e.is_retryable() || claim.attempt >= max_attempts;
                match e.cause() {
                    Some(cause) => {
                        tracing::error!(error = ?cause, last, "job attempt failed on our side");
                    }
                    None => tracing::warn!(error = e.message(), last, "job attempt failed"),
                }
                let message = e.message().to_owned();
                // Microsoft's Retry-After, when it asked for a longer pause than the backoff.
                let asked = e.retry_after().unwrap_or_default();
                self.db
                    .run(move |conn| {
                        let now = stored::now();
                        Ok(if last {
                            db::transaction(conn, |conn| {
                                let failed = db::jobs::fail(conn, &claim, &message, now)?;
                                if failed {
                                    kinds::abandoned(
                                        conn,
                                        kind,
                                        &claim.id,
                                        GaveUp::LastAttemptFailed,
                                    )?;
                                }
                                Ok(failed)
                            })?
                        } else {
                            let delay = chrono_duration(backoff.after(claim.attempt).max(asked));
                            db::jobs::retry_later(conn, &claim, &message, now + delay, now)?
                        })
                    })
                    .await
            }
        };
        match written {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the job's lease was lost before its outcome was recorded"),
            // The lease runs out and another process runs the job again.
            Err(e) => tracing::error!(error = %e, "could not record the job's outcome"),
        }
    }
}

/// What the runner keeps between the turns of its loop.
#[derive(Default)]
pub struct RunnerChores {
    schedules: Schedules,
    swept: Option<Instant>,
}

impl Leased for Runner {
    type Work = JobRow;
    type Claim = Claim;
    type Chores = RunnerChores;
    const NAME: &'static str = "job runner";

    fn claim_of(row: &JobRow) -> (String, Claim) {
        (row.id.to_string(), row.claim())
    }

    /// Schedules the periodic jobs (once per slot) and fails abandoned ones (now and then).
    async fn chores(&self, chores: &mut RunnerChores) {
        if let Some(every) = self.settings.health_slot {
            let telephony = &self.settings.telephony;
            chores
                .schedules
                .enqueue_due(&self.db, every, telephony, &self.process_id, stored::now())
                .await;
        }
        if chores.swept.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            chores.swept = Some(Instant::now());
            self.sweep().await;
        }
    }

    /// Claims a due job (the database decides which, fairly between accounts: see
    /// `db::jobs::claim`). The last free worker takes no long job: a bulk there would leave
    /// none for another account's single change.
    async fn claim(&self, last_free_worker: bool) -> Result<Option<JobRow>, ApiError> {
        let skip = if last_free_worker {
            kinds::holding_a_worker_long()
        } else {
            &[]
        };
        let process = self.process_id.clone();
        let lease = chrono_duration(self.settings.lease);
        self.db
            .run(move |conn| {
                let now = stored::now();
                Ok(db::jobs::claim(conn, &process, now, now + lease, skip)?)
            })
            .await
    }

    /// Runs one claimed job while renewing its lease, and records the outcome.
    async fn work(&self, row: JobRow) {
        let claim = row.claim();
        let (kind, max_attempts) = (row.kind.0, row.max_attempts);
        let span = tracing::info_span!(
            "job",
            id = %claim.id,
            kind = kind.as_str(),
            attempt = claim.attempt
        );
        async {
            let ctx = JobContext {
                db: self.db.clone(),
                connections: self.connections.clone(),
                process_id: self.process_id.clone(),
                telephony: self.settings.telephony.clone(),
                claim: claim.clone(),
            };
            let outcome = tokio::select! {
                outcome = kinds::run(kind, row.payload, ctx) => Some(outcome),
                () = self.keep_lease(claim.clone()) => None,
            };
            match outcome {
                Some(outcome) => self.record(&claim, (kind, max_attempts), outcome).await,
                None => tracing::warn!(
                    "the job's lease was lost (another process has it); this attempt stopped"
                ),
            }
        }
        .instrument(span)
        .await;
    }

    /// Puts jobs this process stopped working on back in the queue.
    async fn release(&self, claims: Vec<Claim>) -> Result<usize, ApiError> {
        self.db
            .run(move |conn| {
                let now = stored::now();
                let mut released = 0;
                for claim in &claims {
                    if db::jobs::release(conn, claim, now)? {
                        released += 1;
                    }
                }
                Ok(released)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_up_to_its_maximum() {
        let backoff = Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60),
        };
        let delays: Vec<u64> = (1..=6).map(|a| backoff.after(a).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 60, 60]);
        assert_eq!(backoff.after(0), Duration::from_secs(5));
        assert_eq!(backoff.after(i32::MAX), Duration::from_secs(60));
    }
}
