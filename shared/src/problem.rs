use serde::{Deserialize, Serialize};

dto! {
    /// An error, as `application/problem+json` (RFC 9457).
    pub struct Problem {
        /// A URI naming the kind of problem; stable, safe to branch on.
        #[serde(rename = "type")]
        pub problem_type: String,
        /// Short human summary of the kind of problem.
        pub title: String,
        /// The HTTP status code.
        pub status: u16,
        /// What went wrong this time, in plain words.
        pub detail: String,
        /// The machine-readable code (the last segment of `type`), e.g. `invalid_credentials`.
        pub code: String,
        /// The request id, to quote to support; it is in the server's logs too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        /// The input rows refused, each with its line (`rejected_rows`): the first 100 by line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_items = 100))]
        pub rejected: Option<Vec<crate::numbers::RejectedRow>>,
        /// How many input rows were refused in all (`rejected_rows`); `rejected` lists at most
        /// 100 of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rejected_count: Option<u32>,
    }
}

/// The `code` of a `409 Conflict`: the request is valid, but the state of things refuses it now.
/// Clients branch on these, never on the wording of `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConflictCode {
    AccountExists,
    AlreadyHasService,
    BulkJobUnfinished,
    ConsentRequired,
    DeliveryPending,
    EmailTaken,
    EndpointDisabled,
    IdempotencyKeyReused,
    LastAdmin,
    MissingPermission,
    NoAvailableNumber,
    NotConnected,
    NumberQuotaExceeded,
    NumberTaken,
    NumbersOverlap,
    PasswordChanged,
    ServicePending,
    TenantNotConnected,
    TooManyEndpoints,
    VerificationRunning,
    /// A voice profile's name is used by another profile of the account.
    ProfileNameTaken,
    /// A voice profile still gives some users their service.
    ProfileInUse,
    /// A rollback of this bulk job has been started already.
    RollbackStarted,
    /// The account has as many voice profiles as it may have.
    TooManyProfiles,
}

impl ConflictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::AccountExists => "account_exists",
            ConflictCode::AlreadyHasService => "already_has_service",
            ConflictCode::BulkJobUnfinished => "bulk_job_unfinished",
            ConflictCode::ConsentRequired => "consent_required",
            ConflictCode::DeliveryPending => "delivery_pending",
            ConflictCode::EmailTaken => "email_taken",
            ConflictCode::EndpointDisabled => "endpoint_disabled",
            ConflictCode::IdempotencyKeyReused => "idempotency_key_reused",
            ConflictCode::LastAdmin => "last_admin",
            ConflictCode::MissingPermission => "missing_permission",
            ConflictCode::NoAvailableNumber => "no_available_number",
            ConflictCode::NotConnected => "not_connected",
            ConflictCode::NumberQuotaExceeded => "number_quota_exceeded",
            ConflictCode::NumberTaken => "number_taken",
            ConflictCode::NumbersOverlap => "numbers_overlap",
            ConflictCode::PasswordChanged => "password_changed",
            ConflictCode::ServicePending => "service_pending",
            ConflictCode::TenantNotConnected => "tenant_not_connected",
            ConflictCode::TooManyEndpoints => "too_many_endpoints",
            ConflictCode::VerificationRunning => "verification_running",
            ConflictCode::ProfileNameTaken => "profile_name_taken",
            ConflictCode::ProfileInUse => "profile_in_use",
            ConflictCode::RollbackStarted => "rollback_started",
            ConflictCode::TooManyProfiles => "too_many_profiles",
        }
    }
}
