//! The loop shared by the job runner and the webhook dispatcher: claim a due piece of work with
//! a lease, work it on one of a few workers, look again at once when something was due (else
//! after the poll interval), and on stop let the work under way finish within a grace period
//! before giving the rest back for another process.
//!
//! What a piece of work is, how it is claimed, worked and given back is the [`Leased`]
//! implementation's business; this module knows only workers, polling and stopping.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::{
    sync::{watch, Semaphore},
    task::{JoinHandle, JoinSet},
};

use crate::error::ApiError;

/// Work that is claimed from the database with a lease.
pub trait Leased: Clone + Send + Sync + 'static {
    /// A claimed piece of work.
    type Work: Send + 'static;
    /// What gives a piece of work back to the queue when the process stops.
    type Claim: Clone + Send + 'static;
    /// What the loop keeps between its turns for [`Leased::chores`].
    type Chores: Default + Send + 'static;
    /// Names the loop in log lines ("job runner").
    const NAME: &'static str;

    /// The work's id (unique among the work under way) and its claim.
    fn claim_of(work: &Self::Work) -> (String, Self::Claim);

    /// Done before each claim (scheduling, sweeping); must not fail the loop.
    fn chores(&self, _chores: &mut Self::Chores) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Claims the next due piece of work. `last_free_worker`: no other worker is free (an
    /// implementation may keep that one for short work).
    fn claim(
        &self,
        last_free_worker: bool,
    ) -> impl Future<Output = Result<Option<Self::Work>, ApiError>> + Send;

    /// Works a claimed piece to its outcome, and records it.
    fn work(&self, work: Self::Work) -> impl Future<Output = ()> + Send;

    /// Gives back claims whose work stopped unfinished: due again at once. How many were.
    fn release(
        &self,
        claims: Vec<Self::Claim>,
    ) -> impl Future<Output = Result<usize, ApiError>> + Send;
}

#[derive(Debug, Clone)]
pub struct LoopSettings {
    /// Names this process in log lines.
    pub process_id: Arc<str>,
    /// Pieces of work at once.
    pub workers: usize,
    /// How long the loop waits before looking again when nothing is due (or no worker is
    /// free: chores still run that often).
    pub poll_interval: Duration,
}

/// Starts the loop in the background; [`LoopHandle::stop`] stops it.
pub fn start<L: Leased>(leased: L, settings: LoopSettings) -> LoopHandle<L> {
    let (stop, stopped) = watch::channel(false);
    let in_flight: InFlight<L::Claim> = Arc::default();
    let task = tokio::spawn(poll(
        leased.clone(),
        settings.clone(),
        in_flight.clone(),
        stopped,
    ));
    LoopHandle {
        stop,
        task,
        leased,
        settings,
        in_flight,
    }
}

/// The claims being worked on, by id: given back when the loop stops before they finish.
type InFlight<C> = Arc<Mutex<HashMap<String, C>>>;

async fn poll<L: Leased>(
    leased: L,
    settings: LoopSettings,
    in_flight: InFlight<L::Claim>,
    mut stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let concurrency = settings.workers.max(1);
    let workers = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut chores = L::Chores::default();
    tracing::info!(process = %settings.process_id, concurrency, "{} started", L::NAME);
    while !stopping(&stop) {
        leased.chores(&mut chores).await;
        while tasks.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = workers.clone().acquire_owned() => permit,
            _ = stop.changed() => continue,
            () = tokio::time::sleep(settings.poll_interval) => continue,
        };
        let Ok(permit) = permit else { break };
        // With one worker there is nothing to keep.
        let last_free_worker = concurrency > 1 && workers.available_permits() == 0;
        match leased.claim(last_free_worker).await {
            Ok(Some(work)) => {
                let (id, claim) = L::claim_of(&work);
                lock(&in_flight).insert(id.clone(), claim);
                let (leased, in_flight) = (leased.clone(), in_flight.clone());
                tasks.spawn(async move {
                    leased.work(work).await;
                    lock(&in_flight).remove(&id);
                    drop(permit);
                });
                // Something was due: look again at once.
                continue;
            }
            Ok(None) => drop(permit),
            Err(e) => {
                drop(permit);
                tracing::warn!(error = %e, "{}: could not claim", L::NAME);
            }
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
    tasks
}

/// A started loop.
pub struct LoopHandle<L: Leased> {
    stop: watch::Sender<bool>,
    task: JoinHandle<JoinSet<()>>,
    leased: L,
    settings: LoopSettings,
    in_flight: InFlight<L::Claim>,
}

impl<L: Leased> LoopHandle<L> {
    pub fn process_id(&self) -> &str {
        &self.settings.process_id
    }

    /// Stops claiming, lets the work under way finish within `grace`, then gives the rest
    /// back (due at once, for another process).
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
            let claims: Vec<L::Claim> = lock(&self.in_flight).drain().map(|(_, c)| c).collect();
            if !claims.is_empty() {
                match self.leased.release(claims).await {
                    Ok(released) => {
                        tracing::info!(released, "{}: unfinished work put back", L::NAME)
                    }
                    Err(e) => tracing::warn!(
                        error = %e,
                        "{}: could not put work back; its leases will run out",
                        L::NAME
                    ),
                }
            }
        }
        tracing::info!(process = %self.settings.process_id, "{} stopped", L::NAME);
    }

    /// Stops at once, as a crash would: work under way ends where it is, nothing is recorded
    /// or given back (its leases run out).
    pub fn abort(self) {
        // The polling task owns the work's tasks: aborting it drops (and aborts) them.
        self.task.abort();
    }
}

fn lock<C>(in_flight: &InFlight<C>) -> std::sync::MutexGuard<'_, HashMap<String, C>> {
    in_flight.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asked to stop, or the handle is gone.
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// A std duration as chrono's (saturating).
pub fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
