//! The periodic `connection_health` job: re-verifies the connected tenants whose check is due
//! (`TenantConnections::run_health_checks`). Scheduled by `periodic`, once per slot.

use serde::{Deserialize, Serialize};
use shared::jobs::JobKind;

use super::{Job, JobContext, JobError};

/// Re-verify every connected tenant whose health check is due. No input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConnectionHealth {}

/// What a run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthChecked {
    /// Tenants this run verified (each one is verified by one run only).
    pub checked: usize,
}

impl Job for ConnectionHealth {
    const KIND: JobKind = JobKind::ConnectionHealth;
    // The next slot's run comes soon anyway; a few attempts cover a database hiccup.
    const MAX_ATTEMPTS: u32 = 3;
    type Output = HealthChecked;

    async fn run(self, ctx: JobContext) -> Result<HealthChecked, JobError> {
        let checked = ctx.connections.run_health_checks().await?;
        if checked > 0 {
            tracing::info!(checked, "connection health checks ran");
        }
        let done = u64::try_from(checked).unwrap_or(u64::MAX);
        ctx.progress(done, Some(done)).await?;
        Ok(HealthChecked { checked })
    }
}
