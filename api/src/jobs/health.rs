//! Connection health: re-verifies connected tenants on a schedule. Which process checks which
//! tenant is decided in the database, so several API processes check each tenant once.

use std::time::Duration;

use crate::domain::tenant_connection::TenantConnections;

/// Looks for due checks every `tick` until the task is dropped.
pub async fn run(connections: TenantConnections, tick: Duration) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match connections.run_health_checks().await {
            Ok(0) => {}
            Ok(checked) => tracing::info!(checked, "connection health checks ran"),
            Err(e) => tracing::warn!(error = %e, "connection health checks could not run"),
        }
    }
}
