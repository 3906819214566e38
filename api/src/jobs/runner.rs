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
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use shared::jobs::JobKind;
use tokio::{
    sync::{watch, Semaphore},
    task::{JoinHandle, JoinSet},
};
use tracing::Instrument;

use super::{
    periodic, queue, BulkPhoneService, BulkRollback, ConnectionHealth, Echo, Job, JobContext,
    JobError, PhoneServiceChange, Reconciliation, UserSync,
};
use crate::{
    db::{
        self,
        jobs::{Claim, JobRow},
        Db,
    },
    domain::{
        directory, ids::JobId, stored, telephony::TelephonySettings,
        tenant_connection::TenantConnections,
    },
    error::ApiError,
};

/// The kinds that hold a worker for minutes (a bulk of thousands of users): never given a
/// runner's last free worker, which stays for the short ones (one user's change, a sync).
const HOLDS_A_WORKER_LONG: [JobKind; 2] = [JobKind::BulkPhoneService, JobKind::BulkRollback];
/// How often the runner fails jobs abandoned on their last attempt (see `db::jobs::fail_abandoned`).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How often the runner looks for accounts whose user sync is due.
const SYNC_CHECK_EVERY: Duration = Duration::from_secs(60);
const ABANDONED: &str = "The server process running the job stopped during its last attempt.";
/// The outcome of a bulk job's user still queued when the job failed for good. A number
/// reserved for them is settled by reconciliation (no job follows it any more).
const ABANDONED_USER: &str = "Not done: the server running the job stopped during its last \
     attempt. A number reserved for this user is settled with Teams by reconciliation.";
const OUT_OF_ATTEMPTS_USER: &str = "Not done: the job ran out of attempts. A number reserved \
     for this user is settled with Teams by reconciliation.";

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
    /// The claims this runner is working on, to put back when it stops.
    in_flight: Arc<Mutex<HashMap<JobId, Claim>>>,
}

impl Runner {
    pub fn new(db: Db, connections: TenantConnections, settings: RunnerSettings) -> Runner {
        Runner {
            db,
            connections,
            process_id: Arc::from(settings.process_id.as_str()),
            settings: Arc::new(settings),
            in_flight: Arc::default(),
        }
    }

    pub fn process_id(&self) -> &str {
        &self.process_id
    }

    /// Claims the next due job, if any, and runs it here to its outcome. The polling loop of
    /// [`Runner::start`] does the same, a few jobs at a time.
    pub async fn run_next(&self) -> Result<Option<JobId>, ApiError> {
        let Some(row) = self.claim(&[]).await? else {
            return Ok(None);
        };
        let id = row.id.clone();
        self.work(row).await;
        Ok(Some(id))
    }

    /// Starts polling in the background; [`RunnerHandle::stop`] stops it.
    pub fn start(self) -> RunnerHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.clone().poll(stopped));
        RunnerHandle {
            stop,
            task,
            runner: self,
        }
    }

    async fn poll(self, mut stop: watch::Receiver<bool>) -> JoinSet<()> {
        let workers = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut chores = Chores::default();
        tracing::info!(
            process = %self.process_id,
            concurrency = self.settings.concurrency.max(1),
            "job runner started"
        );
        while !stopping(&stop) {
            self.chores(&mut chores).await;
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                permit = workers.clone().acquire_owned() => permit,
                _ = stop.changed() => continue,
                () = tokio::time::sleep(self.settings.poll_interval) => continue,
            };
            let Ok(permit) = permit else { break };
            // The last free worker takes no long job: a bulk there would leave none for
            // another account's single change (with one worker there is nothing to keep).
            let last = self.settings.concurrency > 1 && workers.available_permits() == 0;
            let skip: &[JobKind] = if last { &HOLDS_A_WORKER_LONG } else { &[] };
            match self.claim(skip).await {
                Ok(Some(row)) => {
                    let runner = self.clone();
                    tasks.spawn(async move {
                        runner.work(row).await;
                        drop(permit);
                    });
                    // Something was due: look again at once.
                    continue;
                }
                Ok(None) => drop(permit),
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "could not claim a job");
                }
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        tasks
    }

    /// Schedules the periodic jobs (once per slot) and fails abandoned ones (now and then).
    async fn chores(&self, chores: &mut Chores) {
        let now = stored::now();
        if let Some(every) = self.settings.health_slot {
            let key = periodic::connection_health_key(now, every);
            if chores.scheduled.as_ref() != Some(&key) {
                let scheduled = self
                    .db
                    .run(move |conn| periodic::schedule_connection_health(conn, now, every))
                    .await;
                match scheduled {
                    Ok(_) => chores.scheduled = Some(key),
                    Err(e) => tracing::warn!(error = %e, "could not schedule connection health"),
                }
            }
        }
        if self.settings.health_slot.is_some() {
            self.telephony_chores(chores, now).await;
        }
        if chores.swept.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            chores.swept = Some(Instant::now());
            let failed = self
                .db
                .run(move |conn| {
                    db::transaction(conn, |conn| {
                        let failed = db::jobs::fail_abandoned(conn, ABANDONED, now)?;
                        db::bulk_items::fail_queued(conn, &failed, ABANDONED_USER)?;
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
    }

    /// Reconciliation once at start-up and then once per slot (by one process), and the
    /// user syncs that are due.
    async fn telephony_chores(&self, chores: &mut Chores, now: chrono::NaiveDateTime) {
        let telephony = self.settings.telephony.clone();
        let key = match chores.reconciled {
            None => Some(format!("reconciliation@start:{}", self.process_id)),
            Some(_) if telephony.reconcile_interval_seconds > 0 => {
                let every = Duration::from_secs(telephony.reconcile_interval_seconds);
                Some(format!(
                    "reconciliation@{}",
                    periodic::slot_start(now, every).format("%Y-%m-%dT%H:%M:%SZ")
                ))
            }
            Some(_) => None,
        };
        if let Some(key) = key.filter(|k| chores.reconciled.as_ref() != Some(k)) {
            let enqueue_key = key.clone();
            let enqueued = self
                .db
                .run(move |conn| {
                    queue::enqueue_once(conn, &enqueue_key, &Reconciliation::default(), now)
                })
                .await;
            match enqueued {
                Ok(_) => chores.reconciled = Some(key),
                Err(e) => tracing::warn!(error = %e, "could not schedule reconciliation"),
            }
        }
        if telephony.sync_interval_seconds > 0
            && chores
                .syncs_checked
                .is_none_or(|at| at.elapsed() >= SYNC_CHECK_EVERY)
        {
            chores.syncs_checked = Some(Instant::now());
            let every = chrono::Duration::seconds(
                i64::try_from(telephony.sync_interval_seconds).unwrap_or(i64::MAX),
            );
            let started = self
                .db
                .run(move |conn| directory::schedule_syncs(conn, every, now))
                .await;
            match started {
                Ok(0) => {}
                Ok(n) => tracing::info!(syncs = n, "scheduled user syncs"),
                Err(e) => tracing::warn!(error = %e, "could not schedule user syncs"),
            }
        }
    }

    /// Claims a due job (the database decides which, fairly between accounts: see
    /// `db::jobs::claim`), never one of the `skip` kinds.
    async fn claim(&self, skip: &'static [JobKind]) -> Result<Option<JobRow>, ApiError> {
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
        let kind = row.kind.0;
        let span = tracing::info_span!(
            "job",
            id = %claim.id,
            kind = kind.as_str(),
            attempt = claim.attempt
        );
        async {
            self.track(&claim, true);
            let ctx = JobContext {
                db: self.db.clone(),
                connections: self.connections.clone(),
                process_id: self.process_id.clone(),
                telephony: self.settings.telephony.clone(),
                claim: claim.clone(),
            };
            let outcome = tokio::select! {
                outcome = dispatch(kind, row.payload, ctx) => Some(outcome),
                () = self.keep_lease(claim.clone()) => None,
            };
            match outcome {
                Some(outcome) => self.record(&claim, row.max_attempts, outcome).await,
                None => tracing::warn!(
                    "the job's lease was lost (another process has it); this attempt stopped"
                ),
            }
            self.track(&claim, false);
        }
        .instrument(span)
        .await;
    }

    fn track(&self, claim: &Claim, running: bool) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if running {
            in_flight.insert(claim.id.clone(), claim.clone());
        } else {
            in_flight.remove(&claim.id);
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
        max_attempts: i32,
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
                                    let job = [claim.id.to_string()];
                                    db::bulk_items::fail_queued(conn, &job, OUT_OF_ATTEMPTS_USER)?;
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

    /// Puts the jobs still tracked as running back in the queue.
    async fn release_in_flight(&self) {
        let claims: Vec<Claim> = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, claim)| claim)
            .collect();
        if claims.is_empty() {
            return;
        }
        let released = self
            .db
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
            .await;
        match released {
            Ok(released) => tracing::info!(released, "unfinished jobs put back in the queue"),
            Err(e) => {
                tracing::warn!(error = %e, "could not put jobs back; their leases will run out")
            }
        }
    }
}

/// A started runner.
pub struct RunnerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<JoinSet<()>>,
    runner: Runner,
}

impl RunnerHandle {
    pub fn process_id(&self) -> &str {
        self.runner.process_id()
    }

    /// Stops claiming, lets running jobs finish within `grace`, then puts the others back in
    /// the queue (due at once, for another process).
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let Ok(mut tasks) = self.task.await else {
            return;
        };
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            self.runner.release_in_flight().await;
        }
        tracing::info!(process = %self.runner.process_id, "job runner stopped");
    }
}

#[derive(Default)]
struct Chores {
    /// The key of the latest periodic slot this runner scheduled.
    scheduled: Option<String>,
    swept: Option<Instant>,
    /// The key of the latest reconciliation this runner scheduled (its start-up run first).
    reconciled: Option<String>,
    /// When this runner last looked for accounts due a user sync.
    syncs_checked: Option<Instant>,
}

/// Asked to stop, or the handle is gone.
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Runs a job by its kind: every kind has its arm here.
async fn dispatch(
    kind: JobKind,
    payload: String,
    ctx: JobContext,
) -> Result<serde_json::Value, JobError> {
    match kind {
        JobKind::ConnectionHealth => perform::<ConnectionHealth>(&payload, ctx).await,
        JobKind::Echo => perform::<Echo>(&payload, ctx).await,
        JobKind::UserSync => perform::<UserSync>(&payload, ctx).await,
        JobKind::PhoneServiceChange => perform::<PhoneServiceChange>(&payload, ctx).await,
        JobKind::BulkPhoneService => perform::<BulkPhoneService>(&payload, ctx).await,
        JobKind::Reconciliation => perform::<Reconciliation>(&payload, ctx).await,
        JobKind::BulkRollback => perform::<BulkRollback>(&payload, ctx).await,
    }
}

async fn perform<J: Job>(payload: &str, ctx: JobContext) -> Result<serde_json::Value, JobError> {
    let job: J = serde_json::from_str(payload)
        .map_err(|e| JobError::permanent(format!("The job's input is not valid: {e}.")))?;
    let output = job.run(ctx).await?;
    serde_json::to_value(output).map_err(|e| JobError::internal(e.into()))
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
