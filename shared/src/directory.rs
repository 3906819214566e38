//! The tenant's users as synced from Microsoft Graph, with their Teams phone service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a user's phone service stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// No number from the portal.
    None,
    /// A number is reserved and Teams is assigning it.
    Pending,
    /// The number is assigned in Teams.
    Active,
    /// Teams refused the last assignment; `detail` says why. The number went back.
    Failed,
    /// Teams is removing the number.
    Removing,
}

impl ServiceState {
    pub const ALL: [ServiceState; 5] = [
        ServiceState::None,
        ServiceState::Pending,
        ServiceState::Active,
        ServiceState::Failed,
        ServiceState::Removing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::None => "none",
            ServiceState::Pending => "pending",
            ServiceState::Active => "active",
            ServiceState::Failed => "failed",
            ServiceState::Removing => "removing",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceState> {
        ServiceState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Pending or removing: Teams has not answered yet.
    pub fn is_in_flight(self) -> bool {
        matches!(self, ServiceState::Pending | ServiceState::Removing)
    }
}

dto! {
    /// A user's phone service as the portal knows it.
    pub struct PhoneService {
        pub state: ServiceState,
        /// The user's number (E.164) while pending, active or removing.
        pub number: Option<String>,
        /// Microsoft's words when Teams refused the last change.
        pub detail: Option<String>,
        /// The background job following Teams' operation, while pending or removing.
        pub job_id: Option<Uuid>,
        pub updated_at: Option<DateTime<Utc>>,
    }
}

dto! {
    /// A user of the connected tenant (synced from Microsoft Graph).
    pub struct DirectoryUser {
        /// The user's Microsoft Entra object id.
        pub id: String,
        pub user_principal_name: String,
        pub display_name: String,
        /// ISO 3166 alpha-2 country; decides the auto-selected number's country.
        pub usage_location: Option<String>,
        pub account_enabled: bool,
        /// Holds a Teams Phone licence (service plan MCOEV enabled).
        pub licensed: bool,
        /// The user's numbers as Teams last reported them (from userConfigurations).
        pub teams_numbers: Vec<String>,
        pub service: PhoneService,
        pub synced_at: DateTime<Utc>,
    }
}

dto! {
    /// The account's directory sync.
    pub struct SyncStatus {
        /// When the last sync finished successfully.
        pub last_synced_at: Option<DateTime<Utc>>,
        /// The sync running or queued now, if any.
        pub job_id: Option<Uuid>,
        /// Why the last sync stopped, when it failed.
        pub last_error: Option<String>,
        /// Users in the directory.
        pub users: u64,
    }
}
