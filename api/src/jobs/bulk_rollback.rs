//! The `bulk_rollback` job: undoes a bulk job, user by user (`domain::phone_service::rollback`),
//! a bounded number at a time. Run again after a crash, it takes up the users still queued.

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use shared::{jobs::JobKind, phone_service::BulkItemOutcome};
use tracing::Instrument as _;

use super::{GaveUp, Job, JobContext, JobError};
use crate::{
    db::{self, DbConn},
    domain::{
        ids::{AccountId, JobId},
        ledger::ActorKey,
        phone_service::{bulk, rollback},
    },
    error::ApiError,
};

/// Undo bulk job `bulk_job_id` for the users listed in this job's `bulk_items`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkRollback {
    pub account_id: AccountId,
    pub bulk_job_id: JobId,
    /// Who asked, for the ledger.
    pub actor: ActorKey,
}

/// Counts by outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RollbackDone {
    pub removed: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl Job for BulkRollback {
    const KIND: JobKind = JobKind::BulkRollback;
    const MAX_ATTEMPTS: u32 = 5;
    const HOLDS_A_WORKER_LONG: bool = true;
    type Output = RollbackDone;

    fn abandoned(conn: &mut DbConn, id: &JobId, why: GaveUp) -> Result<(), ApiError> {
        bulk::fail_unfinished(conn, id, why)
    }

    async fn run(self, ctx: JobContext) -> Result<RollbackDone, JobError> {
        let job = ctx.job_id().clone();
        let items = ctx
            .db
            .run(move |conn| Ok(db::bulk_items::of_job(conn, &job)?))
            .await?;
        let total = items.len() as u64;
        let left: Vec<_> = items
            .into_iter()
            .filter(|i| i.outcome.0 == BulkItemOutcome::Queued)
            .collect();
        ctx.progress(total - left.len() as u64, Some(total)).await?;
        let width = ctx.telephony.bulk_concurrency.max(1);
        let results: Vec<Result<(), JobError>> = futures_util::stream::iter(left)
            .map(|item| {
                let (ctx, payload) = (ctx.clone(), self.clone());
                let span = bulk::line_span(&item);
                async move { rollback::undo_one(&ctx, &payload, &item).await }.instrument(span)
            })
            .buffer_unordered(width)
            .collect()
            .await;
        // A user still queued (Microsoft throttled or did not answer) is taken up again by
        // the job's next attempt.
        if let Some(e) = results.into_iter().find_map(Result::err) {
            return Err(e);
        }
        let job = ctx.job_id().clone();
        let items = ctx
            .db
            .run(move |conn| Ok(db::bulk_items::of_job(conn, &job)?))
            .await?;
        ctx.progress(total, Some(total)).await?;
        let mut done = RollbackDone::default();
        for item in items {
            match item.outcome.0 {
                BulkItemOutcome::Removed => done.removed += 1,
                BulkItemOutcome::Skipped => done.skipped += 1,
                _ => done.failed += 1,
            }
        }
        Ok(done)
    }
}
