//! Webhook endpoints and their deliveries (admins).

pub mod demo_receiver;

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use shared::{
    paging::Page,
    webhooks::{
        CreateWebhookEndpoint, CreatedWebhookEndpoint, DeliveryAttempt, DeliveryStatus,
        UpdateWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEventType,
    },
};
use utoipa::OpenApi;
use uuid::Uuid;

use super::listing;
use crate::{
    domain::{
        paging::PageQuery,
        principal::Principal,
        webhooks::{deliveries, endpoints},
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Mounts the webhook routes inside `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_endpoint)
        .service(list_endpoints)
        .service(get_endpoint)
        .service(update_endpoint)
        .service(delete_endpoint)
        .service(rotate_secret)
        .service(list_deliveries)
        .service(get_delivery)
        .service(resend_delivery);
}

/// The webhook operations, nested under `/api/v1` in the document.
#[derive(OpenApi)]
#[openapi(
    paths(
        create_endpoint,
        list_endpoints,
        get_endpoint,
        update_endpoint,
        delete_endpoint,
        rotate_secret,
        list_deliveries,
        get_delivery,
        resend_delivery,
    ),
    components(schemas(
        WebhookEventType,
        CreateWebhookEndpoint,
        UpdateWebhookEndpoint,
        WebhookEndpoint,
        CreatedWebhookEndpoint,
        DeliveryStatus,
        DeliveryAttempt,
        WebhookDelivery,
    ))
)]
pub struct WebhooksApi;

/// Register an HTTPS endpoint for some of your account's events (admins).
///
/// The answer carries the endpoint's signing secret (`whsec_...`), shown this once: keep it
/// for verifying deliveries. Each delivery is a `POST` of the event as JSON
/// (`{"type", "timestamp", "data"}`), signed by the Standard Webhooks specification:
/// `webhook-id` (the same on every retry: drop repeats), `webhook-timestamp` (seconds) and
/// `webhook-signature` (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the
/// base64-decoded part of the secret after `whsec_`); any off-the-shelf Standard Webhooks
/// verifier accepts them. A 2xx answer delivers it; anything else is retried with backoff.
/// The URL must be `https://` and, on a live server, reach a public address (checked now, by
/// DNS, and again at each delivery); redirects are not followed.
///
/// Problems: 400: The URL over 2048 characters or the description over 200, or control
/// characters in them (`out_of_bounds`); 403: Not an admin; 409: The account has 50
/// endpoints (`too_many_endpoints`); 422: Not an https URL, credentials in it, a private,
/// loopback or link-local address, a host that does not resolve, no event type, an unknown
/// one. Nothing was changed.
#[utoipa::path(
    operation_id = "create_webhook_endpoint",
    tag = "Webhooks",
    security(("bearer" = [])),
    request_body = CreateWebhookEndpoint,
    responses(
        (status = 201, description = "Registered; the secret is shown this once", body = CreatedWebhookEndpoint),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/webhook-endpoints")]
pub async fn create_endpoint(
    state: web::Data<AppState>,
    caller: Principal,
    body: super::extract::JsonObject<CreateWebhookEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let created = endpoints::create(&state.db, &state.webhooks, caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Your account's webhook endpoints, oldest first (admins). Secrets are never shown again.
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 403: Not an
/// admin; 422: An unknown query parameter.
#[utoipa::path(
    operation_id = "list_webhook_endpoints",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of endpoints", body = Page<WebhookEndpoint>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/webhook-endpoints")]
pub async fn list_endpoints(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<WebhookEndpoint>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| endpoints::list(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}

/// One webhook endpoint (admins).
///
/// Problems: 403: Not an admin; 404: No such endpoint in your account.
#[utoipa::path(
    operation_id = "get_webhook_endpoint",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/webhook-endpoints/{id}")]
pub async fn get_endpoint(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    let id = id.into_inner();
    let endpoint = state
        .db
        .run(move |conn| endpoints::get(conn, &caller, id))
        .await?;
    Ok(web::Json(endpoint))
}

/// Change an endpoint's URL, events, description, or disable and enable it (admins).
///
/// Absent fields stay as they are. A new URL is checked as at registration. A disabled
/// endpoint is sent nothing: its deliveries fail, and can be re-sent once it is enabled.
///
/// Problems: 400: The URL or description out of bounds (`out_of_bounds`); 403: Not an admin;
/// 404: No such endpoint in your account; 422: A URL that is not acceptable, no event type,
/// an unknown one. Nothing was changed.
#[utoipa::path(
    operation_id = "update_webhook_endpoint",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    request_body = UpdateWebhookEndpoint,
    responses(
        (status = 200, description = "Changed", body = WebhookEndpoint),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[patch("/webhook-endpoints/{id}")]
pub async fn update_endpoint(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
    body: super::extract::JsonObject<UpdateWebhookEndpoint>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    let endpoint = endpoints::update(
        &state.db,
        &state.webhooks,
        caller,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(web::Json(endpoint))
}

/// Delete an endpoint, with its deliveries and their history (admins).
///
/// Problems: 403: Not an admin; 404: No such endpoint in your account.
#[utoipa::path(
    operation_id = "delete_webhook_endpoint",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[delete("/webhook-endpoints/{id}")]
pub async fn delete_endpoint(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .run(move |conn| endpoints::delete(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give an endpoint a new signing secret, shown this once (admins).
///
/// The old secret stops working at once: deliveries from now on, retries included, are signed
/// with the new one. Also the way back after the server's `JWT_SECRET` changed (the endpoint's
/// secret, sealed under the old one, can no longer be read).
///
/// Problems: 403: Not an admin; 404: No such endpoint in your account.
#[utoipa::path(
    operation_id = "rotate_webhook_secret",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint and its new secret", body = CreatedWebhookEndpoint),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/webhook-endpoints/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<web::Json<CreatedWebhookEndpoint>, ApiError> {
    let id = id.into_inner();
    let webhooks = state.webhooks.clone();
    let rotated = state
        .db
        .run(move |conn| endpoints::rotate_secret(conn, &webhooks, &caller, id))
        .await?;
    Ok(web::Json(rotated))
}

/// Deliveries of your account's events to its endpoints, newest first (admins).
///
/// Each is `pending` (waiting for its first try or its next retry, at `next_attempt_at`),
/// `delivered` (a 2xx answer) or `failed` (every retry failed; it can be re-sent).
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 403: Not an
/// admin; 422: A filter of the wrong type.
#[utoipa::path(
    operation_id = "list_webhook_deliveries",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(
        ("endpoint" = Option<Uuid>, Query, description = "Only this endpoint's deliveries"),
        ("status" = Option<DeliveryStatus>, Query, description = "Only deliveries in this state"),
        ("event_type" = Option<WebhookEventType>, Query, description = "Only events of this type"),
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<WebhookDelivery>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/webhook-deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<deliveries::DeliveryQuery>,
) -> Result<web::Json<Page<WebhookDelivery>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| deliveries::list(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}

/// One delivery, with every attempt in `history`, oldest first (admins).
///
/// Problems: 403: Not an admin; 404: No such delivery in your account.
#[utoipa::path(
    operation_id = "get_webhook_delivery",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The delivery's id (its `webhook-id`, `msg_...`)")),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/webhook-deliveries/{id}")]
pub async fn get_delivery(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<String>,
) -> Result<web::Json<WebhookDelivery>, ApiError> {
    let id = id.into_inner();
    let delivery = state
        .db
        .run(move |conn| deliveries::get(conn, &caller, &id))
        .await?;
    Ok(web::Json(delivery))
}

/// Send a delivered or failed delivery again (admins).
///
/// The same message (`webhook-id` and body), signed anew, is sent as soon as a worker is free,
/// with a fresh round of retries; `attempts` counts from zero again, and the history keeps
/// every earlier attempt.
///
/// Problems: 403: Not an admin; 404: No such delivery in your account; 409: Already waiting to
/// be sent (`delivery_pending`), or its endpoint is disabled (`endpoint_disabled`).
#[utoipa::path(
    operation_id = "resend_webhook_delivery",
    tag = "Webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The delivery's id (`msg_...`)")),
    responses(
        (status = 202, description = "Queued to be sent again", body = WebhookDelivery),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/webhook-deliveries/{id}/resend")]
pub async fn resend_delivery(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let delivery = state
        .db
        .run(move |conn| deliveries::resend(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
