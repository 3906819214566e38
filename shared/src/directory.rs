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
        /// The voice profile the service came from.
        pub profile_id: Option<Uuid>,
        /// Each part of the service (number, emergency location, each policy): what the
        /// portal asked for and what Teams reports.
        pub parts: Vec<ServicePart>,
    }
}

/// A part of a user's phone service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServicePartKind {
    Number,
    EmergencyLocation,
    Policy,
}

/// Where a part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartState {
    /// Asked for; Teams has not confirmed it yet.
    Pending,
    /// Teams reports what was asked for.
    InEffect,
    /// Teams reports something else (`reported`).
    Differs,
    /// Graph does not take this policy type: an admin assigns it in the Teams admin center.
    NeedsManualAction,
    /// This step failed; the change was undone.
    Failed,
}

dto! {
    /// One part of a user's phone service.
    pub struct ServicePart {
        pub kind: ServicePartKind,
        /// For a policy.
        pub policy_type: Option<crate::voice_profiles::PolicyType>,
        /// What the portal asked for: the number, the location id, or the policy's name.
        pub wanted: String,
        /// What Teams reported at the last read.
        pub reported: Option<String>,
        pub state: PartState,
        pub detail: Option<String>,
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
