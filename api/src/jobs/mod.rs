//! Background work: one durable job queue in the database and the runner that works it.
//!
//! - `queue`: enqueue a job (once, for a periodic one), and a job as its account sees it
//! - `runner`: one per process; claims due jobs, keeps their lease, runs a few at a time,
//!   retries failures with a growing delay, stops with the server. It knows no kind of job.
//! - `kinds`: every kind of job, the one place that names them all
//! - `periodic`: the jobs that run on a schedule (connection health, reconciliation, user
//!   syncs), enqueued once per slot
//! - `leased`: the claim-work-give-back loop the runner shares with webhook delivery
//! - `webhook_delivery`: the dispatcher working the webhook outbox (its own table: one row
//!   per delivery, leased and retried the same way)
//!
//! Guarantees: a job runs at least once and, while its process keeps renewing the lease, in one
//! process only; a process that stops or crashes loses its lease and another process claims the
//! job again. Handlers must therefore be idempotent (a crash after the work and before the
//! outcome is recorded runs it again).

mod bulk_phone_service;
mod bulk_rollback;
mod connection_health;
mod echo;
mod kinds;
pub mod leased;
pub mod periodic;
mod phone_service_change;
pub mod queue;
pub mod reconciliation;
pub mod runner;
mod user_sync;
pub mod webhook_delivery;

use std::{future::Future, sync::Arc};

use serde::{de::DeserializeOwned, Serialize};
use shared::jobs::JobKind;

pub use self::{
    bulk_phone_service::BulkPhoneService,
    bulk_rollback::BulkRollback,
    connection_health::ConnectionHealth,
    echo::Echo,
    phone_service_change::{Change, PhoneServiceChange},
    reconciliation::Reconciliation,
    user_sync::UserSync,
};
use crate::{
    db::{self, jobs::Claim, Db, DbConn},
    domain::{
        ids::JobId, stored, telephony::TelephonySettings, tenant_connection::TenantConnections,
    },
    error::ApiError,
};

/// A kind of job: its payload is `Self` (stored as JSON), [`Job::run`] is the work.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    const KIND: JobKind;
    /// Attempts before the job fails for good.
    const MAX_ATTEMPTS: u32;
    /// Holds a worker for minutes (a bulk of thousands of users): never given a runner's last
    /// free worker, which stays for the short ones (one user's change, a sync).
    const HOLDS_A_WORKER_LONG: bool = false;
    /// What a successful run produces (the job's `result`, as JSON).
    type Output: Serialize;

    fn run(self, ctx: JobContext) -> impl Future<Output = Result<Self::Output, JobError>> + Send;

    /// The job `id` has failed for good before finishing its work: settles what it leaves
    /// behind, in the transaction that fails it. Nothing, unless the kind says otherwise.
    fn abandoned(_conn: &mut DbConn, _id: &JobId, _why: GaveUp) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Why a job failed for good before finishing its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// The process running its last attempt stopped (or crashed).
    ProcessStopped,
    /// Its last attempt failed (out of attempts, or a failure no attempt would mend).
    LastAttemptFailed,
}

/// What a running job can use, and where it reports progress.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub connections: TenantConnections,
    /// The process running the job (`leased_by`).
    pub process_id: Arc<str>,
    pub telephony: Arc<TelephonySettings>,
    claim: Claim,
}

impl JobContext {
    /// The job being run.
    pub fn job_id(&self) -> &JobId {
        &self.claim.id
    }

    /// This attempt's number (1 for the first run).
    pub fn attempt(&self) -> i32 {
        self.claim.attempt
    }

    /// Records how far the job has come: `done` units of `total` (`None`: not known yet).
    pub async fn progress(&self, done: u64, total: Option<u64>) -> Result<(), JobError> {
        let claim = self.claim.clone();
        let done = i64::try_from(done).unwrap_or(i64::MAX);
        let total = total.map(|t| i64::try_from(t).unwrap_or(i64::MAX));
        self.db
            .run(move |conn| {
                Ok(db::jobs::set_progress(
                    conn,
                    &claim,
                    done,
                    total,
                    stored::now(),
                )?)
            })
            .await?;
        Ok(())
    }
}

/// Why an attempt failed. `message` is what the job's account reads in `last_error`; the
/// cause of a failure on our side is logged, never stored or shown (as for a 5xx).
#[derive(Debug)]
pub struct JobError {
    message: String,
    cause: Option<anyhow::Error>,
    retry: bool,
    /// Microsoft asked us to wait this long (throttling).
    retry_after: Option<std::time::Duration>,
    /// Microsoft refused the app access to the tenant (consent revoked, permission removed):
    /// another attempt cannot help until an admin acts.
    access_refused: bool,
}

const INTERNAL_FAILURE: &str = "Something went wrong on our side.";

impl JobError {
    /// A failure the account may read; worth another attempt.
    pub fn new(message: impl Into<String>) -> JobError {
        JobError {
            message: message.into(),
            cause: None,
            retry: true,
            retry_after: None,
            access_refused: false,
        }
    }

    /// Microsoft refused the app access to the tenant; still retryable (an admin may grant
    /// consent again), but a job working through many users stops sending them.
    pub fn access_refused(message: impl Into<String>) -> JobError {
        JobError {
            access_refused: true,
            ..JobError::new(message)
        }
    }

    pub fn is_access_refused(&self) -> bool {
        self.access_refused
    }

    /// A failure because Microsoft throttled us: worth another attempt after `retry_after`.
    pub fn throttled(
        message: impl Into<String>,
        retry_after: Option<std::time::Duration>,
    ) -> JobError {
        JobError {
            retry_after: retry_after.or(Some(std::time::Duration::from_secs(1))),
            ..JobError::new(message)
        }
    }

    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// A failure that another attempt would repeat (a payload that does not parse).
    pub fn permanent(message: impl Into<String>) -> JobError {
        JobError {
            message: message.into(),
            cause: None,
            retry: false,
            retry_after: None,
            access_refused: false,
        }
    }

    /// A failure on our side: logged with its cause; the account reads a generic sentence.
    pub fn internal(cause: anyhow::Error) -> JobError {
        JobError {
            message: INTERNAL_FAILURE.to_owned(),
            cause: Some(cause),
            retry: true,
            retry_after: None,
            access_refused: false,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.cause.as_ref()
    }

    pub fn is_retryable(&self) -> bool {
        self.retry
    }
}

impl From<ApiError> for JobError {
    fn from(e: ApiError) -> JobError {
        match e {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => JobError::internal(cause),
            other => JobError::new(other.to_string()),
        }
    }
}
