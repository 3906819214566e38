//! Endpoint, delivery and attempt rows as the API shows them. The sealed secret is never
//! part of any of them.

use shared::webhooks::{
    DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType,
};

use crate::{
    db::webhooks::{AttemptRow, DeliveryRow, EndpointRow},
    domain::stored,
    error::ApiError,
};

fn broken(what: &str, value: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} {value:?} is not known"))
}

/// A stored space-separated list of event types.
pub fn event_types(stored: &str) -> Result<Vec<WebhookEventType>, ApiError> {
    stored
        .split_whitespace()
        .map(|t| WebhookEventType::parse(t).ok_or_else(|| broken("event type", t)))
        .collect()
}

pub fn to_endpoint(row: EndpointRow) -> Result<WebhookEndpoint, ApiError> {
    Ok(WebhookEndpoint {
        id: stored::uuid(&row.id)?,
        event_types: event_types(&row.event_types)?,
        url: row.url,
        description: row.description,
        enabled: row.enabled,
        created_at: stored::time(row.created_at),
        updated_at: stored::time(row.updated_at),
    })
}

fn status_code(code: Option<i32>) -> Option<u16> {
    code.and_then(|c| u16::try_from(c).ok())
}

pub fn to_attempt(row: AttemptRow) -> DeliveryAttempt {
    DeliveryAttempt {
        attempted_at: stored::time(row.attempted_at),
        status_code: status_code(row.status_code),
        error: row.error,
        duration_ms: u32::try_from(row.duration_ms).unwrap_or(0),
    }
}

/// A delivery, with its attempts when `history` is given (oldest first).
pub fn to_delivery(
    row: DeliveryRow,
    history: Vec<AttemptRow>,
) -> Result<WebhookDelivery, ApiError> {
    let status = DeliveryStatus::parse(&row.status).ok_or_else(|| broken("status", &row.status))?;
    let event_type = WebhookEventType::parse(&row.event_type)
        .ok_or_else(|| broken("event type", &row.event_type))?;
    let payload = serde_json::from_str(&row.payload)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored payload is not JSON: {e}")))?;
    Ok(WebhookDelivery {
        endpoint_id: stored::uuid(&row.endpoint_id)?,
        event_id: stored::uuid(&row.event_id)?,
        event_type,
        status,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        // Only a pending delivery waits for a next attempt.
        next_attempt_at: row
            .next_attempt_at
            .filter(|_| status == DeliveryStatus::Pending)
            .map(stored::time),
        last_status_code: status_code(row.last_status_code),
        last_error: row.last_error,
        created_at: stored::time(row.created_at),
        delivered_at: row.delivered_at.map(stored::time),
        payload,
        history: history.into_iter().map(to_attempt).collect(),
        id: row.id,
    })
}
