use actix_web::{get, web, HttpRequest};
use shared::{
    audit::{AuditEvent, EVENT_TYPES},
    paging::Page,
};
use utoipa::openapi::{schema::Type, ObjectBuilder, RefOr, Schema};

use super::listing;
use crate::{
    domain::{audit, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// The `type` filter as the document shows it: one of the ledger's event types (the very list
/// the filter is checked against), or blank for any; spaces around it are trimmed.
pub struct AuditEventType;

/// What `str::trim` trims: Unicode's White_Space.
const SPACES: &str = "[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*";

impl utoipa::PartialSchema for AuditEventType {
    fn schema() -> RefOr<Schema> {
        let names: Vec<String> = EVENT_TYPES.iter().map(|t| t.replace('.', "\\.")).collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "An event type of the ledger: {}.",
                EVENT_TYPES.join(", ")
            )))
            .pattern(Some(format!("^{SPACES}({}|){SPACES}$", names.join("|"))))
            .into()
    }
}

impl utoipa::ToSchema for AuditEventType {}

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
        ("actor" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(system|user:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|token:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "`user:<id>`, `token:<id>` or `system`"),
        ("user" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,256}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "A Microsoft user's object id"),
        ("number" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(\\+[1-9][0-9]{1,14})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "A phone number (E.164), valid in its country's numbering plan"),
        ("type" = Option<AuditEventType>, Query, description = "An event type, such as `phone_service.enabled`"),
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "From this time on (RFC 3339)"),
        ("to" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Before this time (RFC 3339)"),
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditEvent>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
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
