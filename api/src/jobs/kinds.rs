//! Every kind of job and the type that does its work: the one place that names them all, so
//! the runner knows none.

use std::sync::OnceLock;

use shared::jobs::JobKind;

use super::{
    BulkPhoneService, BulkRollback, ConnectionHealth, Echo, GaveUp, Job, JobContext, JobError,
    PhoneServiceChange, Reconciliation, UserSync,
};
use crate::{db::DbConn, domain::ids::JobId, error::ApiError};

/// `$body` with `$job` standing for the type of `$kind`.
macro_rules! for_kind {
    ($kind:expr, $job:ident => $body:expr) => {
        match $kind {
            JobKind::ConnectionHealth => {
                type $job = ConnectionHealth;
                $body
            }
            JobKind::Echo => {
                type $job = Echo;
                $body
            }
            JobKind::UserSync => {
                type $job = UserSync;
                $body
            }
            JobKind::PhoneServiceChange => {
                type $job = PhoneServiceChange;
                $body
            }
            JobKind::BulkPhoneService => {
                type $job = BulkPhoneService;
                $body
            }
            JobKind::Reconciliation => {
                type $job = Reconciliation;
                $body
            }
            JobKind::BulkRollback => {
                type $job = BulkRollback;
                $body
            }
        }
    };
}

/// Runs a job of `kind` from its stored payload; its output as JSON.
pub async fn run(
    kind: JobKind,
    payload: String,
    ctx: JobContext,
) -> Result<serde_json::Value, JobError> {
    for_kind!(kind, J => perform::<J>(&payload, ctx).await)
}

/// The job `id` of `kind` failed for good before finishing: see [`Job::abandoned`].
pub fn abandoned(
    conn: &mut DbConn,
    kind: JobKind,
    id: &JobId,
    why: GaveUp,
) -> Result<(), ApiError> {
    for_kind!(kind, J => J::abandoned(conn, id, why))
}

/// The kinds that hold a worker long (see [`Job::HOLDS_A_WORKER_LONG`]).
pub fn holding_a_worker_long() -> &'static [JobKind] {
    static LONG: OnceLock<Vec<JobKind>> = OnceLock::new();
    LONG.get_or_init(|| {
        JobKind::ALL
            .into_iter()
            .filter(|kind| for_kind!(*kind, J => J::HOLDS_A_WORKER_LONG))
            .collect()
    })
}

/// The type's `KIND` (a check that the table above pairs each kind with its own type).
#[cfg(test)]
fn declared(kind: JobKind) -> JobKind {
    for_kind!(kind, J => J::KIND)
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
    fn each_kind_runs_its_own_type() {
        for kind in JobKind::ALL {
            assert_eq!(declared(kind), kind);
        }
    }

    #[test]
    fn only_the_bulks_hold_a_worker_long() {
        assert_eq!(
            holding_a_worker_long(),
            [JobKind::BulkPhoneService, JobKind::BulkRollback]
        );
    }
}
