//! The connection as the page shows it: read without locking; only an attempt that expired
//! unanswered takes the account's write lock, to close it.

use shared::{
    role::Role,
    tenant_connection::{AppRegistration, ConnectionEvent, Notice, TenantConnection},
};

use super::{
    consent, copy, load, permissions, steps, Settings, TenantConnections, CONNECTION_EVENTS,
};
use crate::{
    db::{self, tenant_connections::ConnectionRow, DbConn},
    domain::{principal::Principal, stored},
    error::ApiError,
};

/// History entries shown on the page.
const HISTORY: i64 = 50;

impl TenantConnections {
    /// The account's connection. A consent attempt that never came back before it expired is
    /// closed here, with the product's message.
    pub async fn get(&self, caller: &Principal) -> Result<TenantConnection, ApiError> {
        let account = caller.account_id.clone();
        let settings = self.settings.clone();
        self.db
            .run(move |conn| {
                let row = load(conn, &account)?;
                if consent::expired_attempt(conn, &row)?.is_none() {
                    return render(conn, &row, &settings);
                }
                db::transaction(conn, |conn| {
                    db::lock_account(conn, account.as_str())?;
                    let row = load(conn, &account)?;
                    let row = consent::close_expired(conn, row)?;
                    render(conn, &row, &settings)
                })
            })
            .await
    }
}

pub(super) fn render(
    conn: &mut DbConn,
    row: &ConnectionRow,
    settings: &Settings,
) -> Result<TenantConnection, ApiError> {
    let notice: Option<Notice> = row
        .notice
        .as_deref()
        .and_then(|n| serde_json::from_str(n).ok());
    let report = row
        .last_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let steps = steps::steps(&steps::StepInputs {
        state: row.state.0,
        consent_granted: row.consent_granted_at.is_some(),
        tenant_name: row.tenant_name.as_deref(),
        notice: notice.as_ref(),
        report: report.as_ref(),
    });
    // A view of the ledger: its connection events, newest first.
    let history =
        db::ledger::latest_with_prefix(conn, &row.account_id, CONNECTION_EVENTS, HISTORY)?
            .into_iter()
            .map(|e| ConnectionEvent {
                at: stored::time(e.occurred_at),
                actor: e.actor_name,
                message: e.summary,
            })
            .collect();
    let tenant_for_links = row
        .tenant_id
        .clone()
        .or(row.claimed_tenant_id.clone())
        .map(|t| t.to_string());
    let requirements = &settings.requirements;
    Ok(TenantConnection {
        state: row.state.0,
        steps,
        tenant_id: tenant_for_links.clone(),
        tenant_name: row.tenant_name.clone(),
        legacy_service_account: row.legacy_service_account.clone(),
        setup_admins_only: !consent::may_run_setup(Role::Viewer, row),
        app: AppRegistration {
            display_name: requirements.app_display_name.clone(),
            client_id: settings.client_id.clone(),
            role_name: copy::ROLE_NAME.to_owned(),
            role_assignment_url: settings.role_assignment_url.replace(
                "{tenant}",
                tenant_for_links.as_deref().unwrap_or("organizations"),
            ),
            permissions: permissions::listed(&requirements.permissions),
        },
        notice,
        last_verification: report,
        connected_at: row.connected_at.map(stored::time),
        history,
    })
}
