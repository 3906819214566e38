//! The tenant connection: the four setup steps, verification reports and connection health.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an account's connection to its Microsoft tenant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Never connected.
    NotConnected,
    /// Connected the old way, through a user account; "Update Your Connection" moves it to the app.
    Legacy,
    /// Sent to Microsoft for admin consent; not back yet.
    ConsentPending,
    /// Consent granted; the role assignment and verification are next.
    ConsentGranted,
    /// Verified and working.
    Connected,
    /// Was connected; a health check found something to fix.
    NeedsAttention,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Todo,
    InProgress,
    Done,
    Failed,
}

/// The four setup steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepKey {
    /// Step 1: sign in to the portal.
    SignIn,
    /// Step 2: sign in to Microsoft and grant admin consent to the app.
    Consent,
    /// Step 3: assign the app the Teams Communications Administrator role in Entra ID.
    AssignRole,
    /// Step 4: verify setup.
    Verify,
}

dto! {
    pub struct SetupStep {
        pub key: StepKey,
        /// 1 to 4.
        pub number: u8,
        pub title: String,
        pub status: StepStatus,
        /// What happened or what to do, in plain words.
        pub message: Option<String>,
    }
}

/// One check of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckKey {
    /// Microsoft issues our app a token for the tenant: consent is in place.
    ConsentPresent,
    /// The token is for the tenant that consented.
    TenantMatches,
    /// The required application permissions are granted.
    PermissionsGranted,
    /// The app holds the Teams Communications Administrator role.
    DirectoryRoleAssigned,
    /// The tenant's name can be read (CrossTenantInformation.ReadBasic.All).
    TenantReadable,
    /// The tenant's users can be read, for the user sync (User.Read.All).
    UsersReadable,
    /// The tenant's Teams phone numbers can be read, for numbers and provisioning
    /// (TeamsTelephoneNumber.ReadWrite.All).
    NumbersReadable,
    /// Each user's Teams phone configuration can be read (TeamsUserConfiguration.Read.All).
    PhoneStateReadable,
}

dto! {
    pub struct CheckResult {
        pub key: CheckKey,
        pub label: String,
        pub passed: bool,
        /// What was found.
        pub detail: String,
        /// How to fix it, when it failed.
        pub remediation: Option<String>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationOutcome {
    Passed,
    Failed,
    /// Microsoft did not answer within the deadline.
    TimedOut,
    /// Microsoft answered with a passing error (throttling, an outage), or refused the portal's
    /// own credentials: nothing is known about the tenant, so nothing changes.
    Inconclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationTrigger {
    /// Someone clicked Verify Setup.
    Manual,
    /// The scheduled connection health check.
    Health,
}

dto! {
    pub struct VerificationReport {
        pub id: Uuid,
        pub trigger: VerificationTrigger,
        pub outcome: VerificationOutcome,
        /// The sentence shown with the result.
        pub message: String,
        /// Every check that ran, in order; checks after a failed prerequisite are not run.
        pub checks: Vec<CheckResult>,
        pub started_at: DateTime<Utc>,
        pub finished_at: DateTime<Utc>,
    }
}

dto! {
    /// A Microsoft Graph application permission the app needs, and what it is for.
    pub struct AppPermission {
        /// e.g. `User.Read.All`.
        pub name: String,
        pub purpose: String,
    }
}

dto! {
    /// Our app as customers see it in Entra ID (setup step 3).
    pub struct AppRegistration {
        pub display_name: String,
        pub client_id: String,
        /// The directory role to assign.
        pub role_name: String,
        /// Where an admin assigns the role (Entra ID, or the simulator's Entra page).
        pub role_assignment_url: String,
        /// The application permissions admin consent grants, each with its purpose.
        pub permissions: Vec<AppPermission>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    ConsentGranted,
    /// Cancelled at Microsoft, or never came back in time.
    VerifyFailed,
    NeedAdminApproval,
    ConsentError,
    Connected,
    NeedsAttention,
}

dto! {
    /// The latest outcome to show on the page.
    pub struct Notice {
        pub kind: NoticeKind,
        pub title: String,
        pub message: String,
        /// The AADSTS code Microsoft gave, when it gave one.
        pub code: Option<String>,
        pub at: DateTime<Utc>,
    }
}

dto! {
    /// Who did what when.
    pub struct ConnectionEvent {
        pub at: DateTime<Utc>,
        /// The portal user's email, or "Connection health check".
        pub actor: String,
        pub message: String,
    }
}

dto! {
    pub struct TenantConnection {
        pub state: ConnectionState,
        pub steps: Vec<SetupStep>,
        pub tenant_id: Option<String>,
        pub tenant_name: Option<String>,
        /// The user account of a connection made the old way, until the app connection
        /// replaces it ("Update Your Connection").
        pub legacy_service_account: Option<String>,
        /// A tenant is connected (or connected the old way): only the account's admins may start
        /// step 2 again, and only for that tenant. Until then any member may.
        pub setup_admins_only: bool,
        pub app: AppRegistration,
        pub notice: Option<Notice>,
        pub last_verification: Option<VerificationReport>,
        pub connected_at: Option<DateTime<Utc>>,
        /// Newest first.
        pub history: Vec<ConnectionEvent>,
    }
}

dto! {
    /// Where to send the browser for step 2: Microsoft's sign-in, which returns to the portal
    /// and goes on to admin consent for the signed-in person's tenant.
    pub struct SetupResponse {
        pub consent_url: String,
        /// The link works once, until then.
        pub expires_at: DateTime<Utc>,
    }
}
