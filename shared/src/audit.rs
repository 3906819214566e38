//! The audit log: the account's ledger events, newest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person signed in to the portal.
    User,
    /// An API token.
    ApiToken,
    /// The portal itself: a job, a health check, a sync.
    System,
}

dto! {
    /// Who caused an event, as they were named when it happened.
    pub struct Actor {
        pub kind: ActorKind,
        /// The portal user or API token; absent for `system`.
        pub id: Option<Uuid>,
        /// The user's email, the token's name, or what the system was doing.
        pub name: String,
    }
}

dto! {
    /// One ledger event. Events are never changed or removed.
    pub struct AuditEvent {
        pub id: Uuid,
        pub occurred_at: DateTime<Utc>,
        /// The event type, such as `phone_service.enabled` (see `EventType`).
        #[serde(rename = "type")]
        pub kind: String,
        pub actor: Actor,
        /// The Microsoft user (Entra object id) the event is about.
        pub user_id: Option<String>,
        /// That user's principal name, from the last user sync, while they are in the tenant.
        pub user_principal_name: Option<String>,
        /// The phone number (E.164) the event is about.
        pub number: Option<String>,
        /// Microsoft's operation id, where Teams ran one.
        pub operation_id: Option<String>,
        /// What happened, in a sentence.
        pub summary: String,
        /// More about it, such as the reason of a failure.
        pub detail: Option<String>,
    }
}

/// The event types the ledger records (the `type` filter takes one of these).
pub const EVENT_TYPES: &[&str] = &[
    "phone_service.enabled",
    "phone_service.disabled",
    "phone_service.failed",
    "numbers.loaded",
    "numbers.low_stock",
    "bulk_job.finished",
    "voice_profile.created",
    "voice_profile.updated",
    "voice_profile.deleted",
    "tenant_connection.setup_started",
    "tenant_connection.signed_in",
    "tenant_connection.consent_granted",
    "tenant_connection.consent_cancelled",
    "tenant_connection.consent_needs_admin",
    "tenant_connection.consent_wrong_account",
    "tenant_connection.sign_in_refused",
    "tenant_connection.consent_refused",
    "tenant_connection.consent_error",
    "tenant_connection.consent_expired",
    "tenant_connection.connected",
    "tenant_connection.verified",
    "tenant_connection.verify_failed",
    "tenant_connection.verify_timed_out",
    "tenant_connection.needs_attention",
    "tenant_connection.legacy",
    "tenant_connection.legacy_removed",
    "tenant_connection.disconnected",
    "auth.signed_in",
    "auth.password_changed",
    "members.invited",
    "members.role_changed",
    "members.removed",
    "api_tokens.created",
    "api_tokens.revoked",
    "billing.rule_changed",
    "webhooks.endpoint_created",
    "webhooks.endpoint_updated",
    "webhooks.endpoint_deleted",
];
