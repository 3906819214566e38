//! Webhooks (admins): the endpoints that receive events, and each delivery's history.

use gloo_net::http::{Method, RequestBuilder};
use serde::de::IgnoredAny;
use shared::paging::Page;
use shared::webhooks::{
    CreateWebhookEndpoint, CreatedWebhookEndpoint, DeliveryStatus, UpdateWebhookEndpoint,
    WebhookDelivery, WebhookEndpoint,
};
use uuid::Uuid;

use super::{encode, query_string, request, ApiError};

/// Where the demo server's built-in receiver listens (simulated mode only).
pub const DEMO_RECEIVER_PATH: &str = "/_demo/webhook-receiver";

/// POST /webhook-endpoints: the new endpoint and its signing secret, shown this once.
pub async fn create_webhook_endpoint(
    token: &str,
    body: &CreateWebhookEndpoint,
) -> Result<CreatedWebhookEndpoint, ApiError> {
    request(Method::POST, "/webhook-endpoints", Some(token), Some(body)).await
}

/// GET /webhook-endpoints: the first page (follow it with `rest_of`).
pub async fn list_webhook_endpoints(token: &str) -> Result<Page<WebhookEndpoint>, ApiError> {
    request::<(), _>(Method::GET, "/webhook-endpoints", Some(token), None).await
}

/// PATCH /webhook-endpoints/{id}
pub async fn update_webhook_endpoint(
    token: &str,
    id: Uuid,
    body: &UpdateWebhookEndpoint,
) -> Result<WebhookEndpoint, ApiError> {
    let path = format!("/webhook-endpoints/{id}");
    request(Method::PATCH, &path, Some(token), Some(body)).await
}

/// DELETE /webhook-endpoints/{id}
pub async fn delete_webhook_endpoint(token: &str, id: Uuid) -> Result<(), ApiError> {
    let path = format!("/webhook-endpoints/{id}");
    request::<(), _>(Method::DELETE, &path, Some(token), None).await
}

/// POST /webhook-endpoints/{id}/rotate-secret: a new signing secret, shown this once; the old
/// one stops working at once.
pub async fn rotate_webhook_secret(
    token: &str,
    id: Uuid,
) -> Result<CreatedWebhookEndpoint, ApiError> {
    let path = format!("/webhook-endpoints/{id}/rotate-secret");
    request::<(), _>(Method::POST, &path, Some(token), None).await
}

/// What the deliveries list is narrowed to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeliveryFilter {
    pub endpoint: Option<Uuid>,
    pub status: Option<DeliveryStatus>,
    /// Deliveries per page; the server's default when `None`.
    pub limit: Option<u32>,
}

impl DeliveryFilter {
    fn query(&self) -> String {
        query_string(&[
            ("endpoint", self.endpoint.map(|id| id.to_string())),
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("limit", self.limit.map(|l| l.to_string())),
        ])
    }
}

/// GET /webhook-deliveries: the first page of deliveries that match, newest first.
pub async fn list_webhook_deliveries(
    token: &str,
    filter: &DeliveryFilter,
) -> Result<Page<WebhookDelivery>, ApiError> {
    let path = format!("/webhook-deliveries{}", filter.query());
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// GET /webhook-deliveries/{id}: the delivery with every try.
pub async fn webhook_delivery(token: &str, id: &str) -> Result<WebhookDelivery, ApiError> {
    let path = format!("/webhook-deliveries/{}", encode(id));
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// POST /webhook-deliveries/{id}/resend: queues a failed delivery again. Whatever the answer
/// says (the delivery, a job, nothing), the list is fetched again after it.
pub async fn resend_webhook_delivery(token: &str, id: &str) -> Result<(), ApiError> {
    let path = format!("/webhook-deliveries/{}/resend", encode(id));
    request::<(), IgnoredAny>(Method::POST, &path, Some(token), None)
        .await
        .map(|_| ())
}

/// Whether this server offers the demo receiver: it answers `HEAD` with its marker header (any
/// other path answers the app's own `index.html`, so a 2xx alone does not tell).
pub async fn demo_receiver_available() -> bool {
    let Ok(response) = RequestBuilder::new(DEMO_RECEIVER_PATH)
        .method(Method::HEAD)
        .send()
        .await
    else {
        return false;
    };
    response.ok() && response.headers().get("x-demo-webhook-receiver").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deliveries_filter_names_the_endpoint_and_status() {
        let id = Uuid::nil();
        let filter = DeliveryFilter {
            endpoint: Some(id),
            status: Some(DeliveryStatus::Failed),
            limit: None,
        };
        assert_eq!(filter.query(), format!("?endpoint={id}&status=failed"));
    }
}
