//! Where argon2 runs: on the blocking thread pool, never while a database connection is held,
//! and never more than a few at once. An argon2id hash takes ~20 MiB and tens of
//! milliseconds of a core; unbounded, a flood of bogus sign-ins takes every core and the
//! memory with it. Callers beyond the bound queue for a while, then are told to retry.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::Semaphore;

use super::password::{self, NewPassword};
use crate::error::ApiError;

/// How long a caller waits for a turn before being told to retry.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// How many callers may wait per permit; beyond that they are told to retry at once.
const WAITING_PER_PERMIT: usize = 32;

/// The bounded hasher. Cheap to clone.
#[derive(Clone)]
pub struct Hashing {
    permits: Arc<Semaphore>,
    max_waiting: usize,
    waiting: Arc<AtomicUsize>,
}

impl Hashing {
    /// At most `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Hashing {
        let concurrency = concurrency.max(1);
        Hashing {
            permits: Arc::new(Semaphore::new(concurrency)),
            max_waiting: concurrency * WAITING_PER_PERMIT,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The default bound: half the cores (at least one), leaving the rest to serve requests.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get() / 2)
            .unwrap_or(1)
            .max(1)
    }

    /// Whether the queue is full, so that a caller can refuse a sign-in before doing any
    /// other work for it.
    pub fn check_capacity(&self) -> Result<(), ApiError> {
        if self.waiting.load(Ordering::SeqCst) >= self.max_waiting {
            return Err(busy());
        }
        Ok(())
    }

    /// Whether `given` matches the PHC string `stored`.
    pub async fn verify(&self, given: String, stored: String) -> Result<bool, ApiError> {
        self.run(move || password::verify(&given, &stored)).await
    }

    /// Spends the time of one verification for an unknown email, then fails.
    pub async fn verify_against_nobody(&self, given: String) -> Result<bool, ApiError> {
        self.run(move || password::verify_against_nobody(&given))
            .await
    }

    /// The argon2id hash of a new password.
    pub async fn hash(&self, new: NewPassword) -> Result<String, ApiError> {
        self.run(move || new.hash()).await?
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let queued = Queued::enter(&self.waiting);
        if queued.position > self.max_waiting {
            return Err(busy());
        }
        let permit = tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| ApiError::internal(e.into()))?;
        drop(queued);
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| ApiError::internal(e.into()))
    }
}

fn busy() -> ApiError {
    ApiError::Throttled {
        detail: "The server is busy checking passwords. Please try again in a moment.".to_owned(),
        retry_after: 1,
    }
}

/// Counts a caller among those waiting for a permit while it lives.
struct Queued<'a> {
    waiting: &'a AtomicUsize,
    position: usize,
}

impl<'a> Queued<'a> {
    fn enter(waiting: &'a AtomicUsize) -> Queued<'a> {
        let position = waiting.fetch_add(1, Ordering::SeqCst) + 1;
        Queued { waiting, position }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_bound_run_at_once() {
        let hashing = Hashing::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (hashing, running, most) = (hashing.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hashing
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn beyond_the_queue_callers_are_told_to_retry() {
        let hashing = Hashing::new(1);
        // Fill the queue as if that many callers were waiting.
        hashing.waiting.store(hashing.max_waiting, Ordering::SeqCst);
        assert!(hashing.check_capacity().is_err());
        let refused = hashing.run(|| ()).await.err();
        assert!(
            matches!(refused, Some(ApiError::Throttled { retry_after: 1, .. })),
            "{refused:?}"
        );
        hashing.waiting.store(0, Ordering::SeqCst);
        assert!(hashing.check_capacity().is_ok());
        assert!(hashing.run(|| ()).await.is_ok());
    }
}
