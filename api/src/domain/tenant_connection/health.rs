//! The connection's health: every connected tenant is verified again on a schedule, each once
//! even with several API processes; expired consent attempts are purged on the way. The periodic
//! `connection_health` job (`jobs::ConnectionHealth`) runs it.

use shared::tenant_connection::VerificationTrigger;

use super::{consent, TenantConnections};
use crate::{
    db,
    domain::{ledger::Actor, stored},
    error::ApiError,
};

const HEALTH_ACTOR: &str = "Connection health check";

impl TenantConnections {
    /// Re-verifies every connected tenant whose check is due, each once even with several
    /// API processes: a process claims a check by moving its time forward first.
    pub async fn run_health_checks(&self) -> Result<usize, ApiError> {
        let now = stored::now();
        let next = now + self.settings.health_interval;
        // Attempts are useless once expired; a day's grace keeps them for whoever debugs one.
        let purge_before = now - self.settings.consent_ttl - chrono::Duration::days(1);
        let due = self
            .db
            .run(move |conn| {
                let purged = consent::purge_expired(conn, purge_before)?;
                if purged > 0 {
                    tracing::info!(purged, "purged expired consent attempts");
                }
                Ok(db::tenant_connections::due_for_health_check(conn, now)?)
            })
            .await?;
        let mut checked = 0;
        for row in due {
            let Some(seen) = row.next_health_check_at else {
                continue;
            };
            let account = row.account_id.clone();
            let claimed = self
                .db
                .run(move |conn| {
                    Ok(db::tenant_connections::claim_health_check(
                        conn, &account, seen, next,
                    )?)
                })
                .await?;
            if !claimed {
                continue;
            }
            checked += 1;
            if let Err(e) = self
                .verify_account(
                    row.account_id.clone(),
                    Actor::system(HEALTH_ACTOR),
                    VerificationTrigger::Health,
                )
                .await
            {
                tracing::warn!(account = %row.account_id, error = %e, "health check failed to run");
            }
        }
        Ok(checked)
    }

    /// Makes every connected tenant due now (tests and operators).
    pub async fn make_health_checks_due(&self) -> Result<(), ApiError> {
        let now = stored::now() - chrono::Duration::seconds(1);
        self.db
            .run(move |conn| Ok(db::tenant_connections::make_all_due(conn, now)?))
            .await
    }
}
