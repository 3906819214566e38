//! Background jobs: long work runs as a job with progress, never as a request that waits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Re-verifies the connected tenants whose health check is due (a system job).
    ConnectionHealth,
    /// A diagnostic job: reports progress in steps, then answers its message (or fails with
    /// it). Proves the queue end to end without touching Microsoft.
    Echo,
    /// Reads the tenant's users and their Teams phone state into the directory.
    UserSync,
    /// Follows one Teams number operation (assign or unassign) to its outcome.
    PhoneServiceChange,
    /// Gives phone service to many users, a bounded number at a time.
    BulkPhoneService,
    /// Settles in-flight reservations and flags numbers Teams disagrees about.
    Reconciliation,
    /// Undoes what a bulk job gave, for users whose service is still that one.
    BulkRollback,
}

impl JobKind {
    pub const ALL: [JobKind; 7] = [
        JobKind::ConnectionHealth,
        JobKind::Echo,
        JobKind::UserSync,
        JobKind::PhoneServiceChange,
        JobKind::BulkPhoneService,
        JobKind::Reconciliation,
        JobKind::BulkRollback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::ConnectionHealth => "connection_health",
            JobKind::Echo => "echo",
            JobKind::UserSync => "user_sync",
            JobKind::PhoneServiceChange => "phone_service_change",
            JobKind::BulkPhoneService => "bulk_phone_service",
            JobKind::Reconciliation => "reconciliation",
            JobKind::BulkRollback => "bulk_rollback",
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting to run (first time, or again after a failed attempt): see `run_after`.
    Queued,
    /// A server process is working on it.
    Running,
    /// Done; `result` says what came of it.
    Succeeded,
    /// Gave up after its last attempt; `last_error` says why.
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Succeeded or failed: nothing more will happen to the job.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

dto! {
    /// How far a job has come.
    pub struct JobProgress {
        /// Units of work done so far.
        pub done: u64,
        /// Units of work in all; `null` while not known yet.
        pub total: Option<u64>,
        /// `done` of `total`, 0 to 100, rounded down; `null` while the total is not known.
        pub percent: Option<u8>,
    }
}

impl JobProgress {
    pub fn new(done: u64, total: Option<u64>) -> JobProgress {
        let percent = total.filter(|t| *t > 0).map(|total| {
            let percent = u128::from(done.min(total)) * 100 / u128::from(total);
            u8::try_from(percent).unwrap_or(100)
        });
        JobProgress {
            done,
            total,
            percent,
        }
    }
}

dto! {
    /// A background job of your account.
    pub struct Job {
        pub id: Uuid,
        pub kind: JobKind,
        pub status: JobStatus,
        /// Attempts started so far (a failed attempt is retried later, with a growing delay).
        pub attempts: u32,
        /// Attempts allowed before the job fails.
        pub max_attempts: u32,
        pub progress: JobProgress,
        /// What the job produced, once it succeeded; its shape depends on `kind`.
        pub result: Option<serde_json::Value>,
        /// Why the latest attempt failed.
        pub last_error: Option<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
        /// While queued: not before this time.
        pub run_after: DateTime<Utc>,
        /// When it succeeded or failed for good.
        pub finished_at: Option<DateTime<Utc>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("done"), None);
    }

    #[test]
    fn percent_is_rounded_down_and_needs_a_total() {
        assert_eq!(JobProgress::new(0, None).percent, None);
        assert_eq!(JobProgress::new(3, Some(0)).percent, None);
        assert_eq!(JobProgress::new(1, Some(3)).percent, Some(33));
        assert_eq!(JobProgress::new(2, Some(4)).percent, Some(50));
        assert_eq!(JobProgress::new(5, Some(4)).percent, Some(100));
        assert_eq!(
            JobProgress::new(u64::MAX, Some(u64::MAX)).percent,
            Some(100)
        );
    }
}
