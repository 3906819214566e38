//! Webhooks: endpoints an admin registers, signed deliveries (Standard Webhooks), their history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEventType {
    #[serde(rename = "tenant_connection.connected")]
    TenantConnectionConnected,
    #[serde(rename = "tenant_connection.needs_attention")]
    TenantConnectionNeedsAttention,
    #[serde(rename = "phone_service.enabled")]
    PhoneServiceEnabled,
    #[serde(rename = "phone_service.disabled")]
    PhoneServiceDisabled,
    #[serde(rename = "phone_service.failed")]
    PhoneServiceFailed,
    #[serde(rename = "numbers.low_stock")]
    NumbersLowStock,
    #[serde(rename = "bulk_job.finished")]
    BulkJobFinished,
}

impl WebhookEventType {
    pub const ALL: [WebhookEventType; 7] = [
        WebhookEventType::TenantConnectionConnected,
        WebhookEventType::TenantConnectionNeedsAttention,
        WebhookEventType::PhoneServiceEnabled,
        WebhookEventType::PhoneServiceDisabled,
        WebhookEventType::PhoneServiceFailed,
        WebhookEventType::NumbersLowStock,
        WebhookEventType::BulkJobFinished,
    ];

    /// The name on the wire, which is also the ledger event's type.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEventType::TenantConnectionConnected => "tenant_connection.connected",
            WebhookEventType::TenantConnectionNeedsAttention => "tenant_connection.needs_attention",
            WebhookEventType::PhoneServiceEnabled => "phone_service.enabled",
            WebhookEventType::PhoneServiceDisabled => "phone_service.disabled",
            WebhookEventType::PhoneServiceFailed => "phone_service.failed",
            WebhookEventType::NumbersLowStock => "numbers.low_stock",
            WebhookEventType::BulkJobFinished => "bulk_job.finished",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookEventType> {
        WebhookEventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

dto! {
    /// Register an endpoint. The URL must be HTTPS.
    #[serde(deny_unknown_fields)]
    pub struct CreateWebhookEndpoint {
        /// An `https://` URL of at most 2048 characters, without a user name or password.
        #[cfg_attr(feature = "openapi", schema(max_length = 2048, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*https://([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][^\\u0000-\\u001f\\u007f-\\u009f ]*)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub url: String,
        /// At least one.
        #[cfg_attr(feature = "openapi", schema(min_items = 1))]
        pub event_types: Vec<WebhookEventType>,
        /// At most 200 characters once the spaces around it are trimmed, none of them a control
        /// character.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,200}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub description: String,
    }
}

dto! {
    /// Change an endpoint; absent fields stay as they are.
    #[serde(deny_unknown_fields)]
    pub struct UpdateWebhookEndpoint {
        /// As at registration.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_length = 2048, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*https://([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][^\\u0000-\\u001f\\u007f-\\u009f ]*)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub url: Option<String>,
        /// At least one.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(min_items = 1))]
        pub event_types: Option<Vec<WebhookEventType>>,
        /// At most 200 characters once the spaces around it are trimmed, none of them a control
        /// character.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,200}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub description: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }
}

dto! {
    /// A registered endpoint. Its secret is shown once, when it is created.
    pub struct WebhookEndpoint {
        pub id: Uuid,
        pub url: String,
        pub description: String,
        pub event_types: Vec<WebhookEventType>,
        pub enabled: bool,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

dto! {
    /// A new endpoint, with the signing secret (`whsec_...`) shown this once.
    pub struct CreatedWebhookEndpoint {
        pub endpoint: WebhookEndpoint,
        pub secret: String,
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first try or its next retry.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every retry failed; it can be re-sent.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

dto! {
    /// One try at a delivery.
    pub struct DeliveryAttempt {
        pub attempted_at: DateTime<Utc>,
        /// The endpoint's HTTP status; absent when no answer came.
        pub status_code: Option<u16>,
        /// Why the try failed, when it did.
        pub error: Option<String>,
        pub duration_ms: u32,
    }
}

dto! {
    /// One event sent (or to be sent) to one endpoint.
    pub struct WebhookDelivery {
        /// The `webhook-id` header: the same on every retry.
        pub id: String,
        pub endpoint_id: Uuid,
        pub event_id: Uuid,
        pub event_type: WebhookEventType,
        pub status: DeliveryStatus,
        pub attempts: u32,
        pub next_attempt_at: Option<DateTime<Utc>>,
        pub last_status_code: Option<u16>,
        pub last_error: Option<String>,
        pub created_at: DateTime<Utc>,
        pub delivered_at: Option<DateTime<Utc>>,
        /// The JSON body sent.
        pub payload: serde_json::Value,
        /// Every try, oldest first (only on `GET /webhook-deliveries/{id}`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub history: Vec<DeliveryAttempt>,
    }
}
