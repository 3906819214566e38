use actix_web::{get, web, HttpRequest};
use shared::{audit::AuditEvent, paging::Page};

use super::listing;
use crate::{
    domain::{audit, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// The audit log: every event of your account, newest first.
///
/// Phone-service changes, number loads, connection changes, sign-ins, member and API-token
/// changes, each with its actor, time and (where Teams ran one) Microsoft's operation id.
/// Events are never changed or removed. Follow `next` for older events.
///
/// Problems: 400: `limit` out of 1-500, a cursor this list did not give out, or a filter that is
/// out of bounds; 422: A filter of the wrong type (`actor` not `user:<id>`, `token:<id>` or
/// `system`; an unknown `type`; a time not RFC 3339; `from` after `to`; not a phone number).
#[utoipa::path(
    operation_id = "list_audit_events",
    tag = "Audit",
    security(("bearer" = [])),
    params(
        ("actor" = Option<String>, Query, description = "`user:<id>`, `token:<id>` or `system`"),
        ("user" = Option<String>, Query, description = "A Microsoft user's object id"),
        ("number" = Option<String>, Query, description = "A phone number (E.164)"),
        ("type" = Option<String>, Query, description = "An event type, such as `phone_service.enabled`"),
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "From this time on (RFC 3339)"),
        ("to" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Before this time (RFC 3339)"),
        ("limit" = Option<u32>, Query, description = "Items per page (1-500, default 50)"),
        ("cursor" = Option<String>, Query, description = "From `next`"),
    ),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditEvent>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
    )
)]
#[get("/audit-events")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<audit::AuditQuery>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| audit::list(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}
