//! What phone-service work needs from the account's tenant connection, and the settings of
//! the telephony features.

use shared::tenant_connection::{CheckKey, ConnectionState, VerificationReport};

use super::ids::{AccountId, TenantId};
use crate::{
    db::{self, DbConn},
    error::ApiError,
};

/// The telephony settings (`NUMBER_AGING_DAYS`, `LOW_STOCK_THRESHOLD`, ...).
#[derive(Debug, Clone)]
pub struct TelephonySettings {
    /// Days a released number rests before it can be assigned again.
    pub aging_days: u32,
    /// A capacity group is low on stock below this many available numbers.
    pub low_stock_threshold: u64,
    /// Calls to Microsoft a bulk job makes at once (it slows down when throttled).
    pub bulk_concurrency: usize,
    /// How often each connected account's users are synced (0: only on demand).
    pub sync_interval_seconds: u64,
    /// How often reconciliation runs (0: only at start-up).
    pub reconcile_interval_seconds: u64,
    /// How often a Teams number operation is polled.
    pub operation_poll: std::time::Duration,
    /// How long a Teams operation is followed before the job gives up (reconciliation settles
    /// the reservation later).
    pub operation_timeout: std::time::Duration,
    /// How long a change reads Teams back for everything to be in effect before it is undone.
    pub read_back_timeout: std::time::Duration,
}

impl Default for TelephonySettings {
    fn default() -> TelephonySettings {
        TelephonySettings {
            aging_days: 30,
            low_stock_threshold: 10,
            bulk_concurrency: 8,
            sync_interval_seconds: 3600,
            reconcile_interval_seconds: 900,
            operation_poll: std::time::Duration::from_millis(500),
            operation_timeout: std::time::Duration::from_secs(300),
            read_back_timeout: std::time::Duration::from_secs(120),
        }
    }
}

/// What the work needs of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading users (User.Read.All) and their phone state.
    Directory,
    /// Assigning numbers (TeamsTelephoneNumber.ReadWrite.All).
    Numbers,
}

impl Need {
    fn permission(self) -> &'static str {
        match self {
            Need::Directory => "User.Read.All",
            Need::Numbers => "TeamsTelephoneNumber.ReadWrite.All",
        }
    }

    fn checks(self) -> &'static [CheckKey] {
        match self {
            Need::Directory => &[CheckKey::PermissionsGranted, CheckKey::UsersReadable],
            Need::Numbers => &[CheckKey::PermissionsGranted, CheckKey::NumbersReadable],
        }
    }
}

/// The tenant the account's work goes to, refused with a clear reason (before any call to
/// Microsoft) when the connection is not working or its last verification found the
/// permission this work needs missing.
pub fn tenant_for(
    conn: &mut DbConn,
    account: &AccountId,
    need: Need,
) -> Result<TenantId, ApiError> {
    let row = db::tenant_connections::find(conn, account)?;
    let Some(row) = row else {
        return Err(not_connected());
    };
    let state = row.state.0;
    let report: Option<VerificationReport> = row
        .last_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let missing = report.as_ref().is_some_and(|report| {
        report
            .checks
            .iter()
            .filter(|c| need.checks().contains(&c.key) && !c.passed)
            // The permissions check names every missing permission; only ours matters here.
            .any(|c| c.key != CheckKey::PermissionsGranted || c.detail.contains(need.permission()))
    });
    if missing && state != ConnectionState::Connected {
        return Err(ApiError::conflict(
            shared::problem::ConflictCode::MissingPermission,
            format!(
                "Your tenant connection lacks the {} permission this needs. An admin can \
                 grant admin consent again on the Tenant Connection page.",
                need.permission()
            ),
        ));
    }
    match (state, row.tenant_id) {
        (ConnectionState::Connected | ConnectionState::NeedsAttention, Some(tenant)) => Ok(tenant),
        _ => Err(not_connected()),
    }
}

fn not_connected() -> ApiError {
    ApiError::conflict(
        shared::problem::ConflictCode::TenantNotConnected,
        "Your Microsoft tenant is not connected. An admin can connect it on the Tenant \
         Connection page.",
    )
}
