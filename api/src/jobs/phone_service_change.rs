//! The `phone_service_change` job: carries one reserved change of one user through its saga
//! (`domain::phone_service::saga`) and settles it.

use shared::jobs::JobKind;

use super::{Job, JobContext, JobError};
use crate::domain::phone_service::saga;
pub use crate::domain::phone_service::saga::{Change, ChangeOf as PhoneServiceChange, Settled};

impl Job for PhoneServiceChange {
    const KIND: JobKind = JobKind::PhoneServiceChange;
    // Throttling and outages are retried with backoff; a refusal by Teams is an outcome.
    const MAX_ATTEMPTS: u32 = 8;
    type Output = Settled;

    async fn run(self, ctx: JobContext) -> Result<Settled, JobError> {
        let settled = saga::carry_out(&ctx, &self, None).await?;
        ctx.progress(1, Some(1)).await?;
        Ok(settled)
    }
}
