use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use shared::{
    directory::{DirectoryUser, SyncStatus},
    jobs::Job,
    paging::Page,
    phone_service::{PhoneServiceOutcome, PhoneServiceRequest},
};

use super::listing;
use crate::{
    domain::{directory, phone_service, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// The users of your Microsoft tenant, as the last sync saw them, with their phone service.
///
/// `q` searches name, user principal name and numbers; the filters narrow by service state,
/// Teams Phone licence and usage location. Ordered by name; follow `next` for more.
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 422: A filter
/// of the wrong type.
#[utoipa::path(
    operation_id = "list_users",
    tag = "Users",
    security(("bearer" = [])),
    params(
        ("q" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "Text in the name, UPN or number"),
        ("service" = Option<shared::directory::ServiceState>, Query, description = "Service state"),
        ("licensed" = Option<bool>, Query, description = "Holds a Teams Phone licence"),
        ("usage_location" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*([A-Za-z]{2})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "Two-letter country"),
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of users", body = Page<DirectoryUser>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<directory::UserQuery>,
) -> Result<web::Json<Page<DirectoryUser>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| directory::list(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}

/// Where the user sync stands: the last sync, the one running, users in the directory.
#[utoipa::path(
    operation_id = "get_user_sync",
    tag = "Users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sync", body = SyncStatus),
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/users/sync")]
pub async fn sync_status(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<SyncStatus>, ApiError> {
    let status = state
        .db
        .run(move |conn| directory::sync_status(conn, &caller))
        .await?;
    Ok(web::Json(status))
}

/// Sync the users now (staff and admins). Answers the sync job; when one is already queued
/// or running, that one.
///
/// Problems: 403: A viewer; 409: The tenant is not connected (`tenant_not_connected`) or lacks
/// User.Read.All (`missing_permission`).
#[utoipa::path(
    operation_id = "start_user_sync",
    tag = "Users",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The sync job", body = Job),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/users/sync")]
pub async fn start_sync(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    caller.require_staff()?;
    let job = state
        .db
        .run(move |conn| directory::request_sync(conn, &caller.account_id))
        .await?;
    Ok(HttpResponse::Accepted().json(job))
}

/// One user of your tenant, by Entra object id (or user principal name).
///
/// Problems: 404: No such user in your account's directory.
#[utoipa::path(
    operation_id = "get_user",
    tag = "Users",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Entra object id or UPN")),
    responses(
        (status = 200, description = "The user", body = DirectoryUser),
        (status = 401, response = problems::Unauthenticated),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<String>,
) -> Result<web::Json<DirectoryUser>, ApiError> {
    let user = state
        .db
        .run(move |conn| directory::get(conn, &caller.account_id, &id))
        .await?;
    Ok(web::Json(user))
}

fn outcome_response(outcome: phone_service::Outcome) -> HttpResponse {
    let mut response = if outcome.user.service.state.is_in_flight() {
        HttpResponse::Accepted()
    } else {
        HttpResponse::Ok()
    };
    response.json(PhoneServiceOutcome {
        user: outcome.user,
        replayed: outcome.replayed,
    })
}

/// Give a user phone service (staff and admins): the named number, or one selected for you
/// (the user's usage-location country first, then your account's default country).
///
/// The number is reserved at once; Teams then assigns it. `202` while Teams works
/// (`user.service.state` is `pending`: follow the user or `user.service.job_id`), `200` when
/// nothing was left to do. Send an `Idempotency-Key` header: a repeat with the same key changes
/// nothing and answers `replayed: true`.
///
/// Problems: 400: A bad Idempotency-Key; 403: A viewer; 404: No such user, or the number is
/// not in your inventory; 409: No available number (`no_available_number`), the number is
/// taken (`number_taken`), the user already has another number (`already_has_service`), the
/// tenant is not connected or lacks TeamsTelephoneNumber.ReadWrite.All (`missing_permission`),
/// or the key was used for another request; 422: Not a valid number, or the user has no Teams
/// Phone licence.
#[utoipa::path(
    operation_id = "add_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Entra object id or UPN"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "A new key per change: 1 to 255 visible ASCII characters"),
    ),
    request_body = PhoneServiceRequest,
    responses(
        (status = 200, description = "Done (nothing left to do)", body = PhoneServiceOutcome),
        (status = 202, description = "Reserved; Teams is assigning it", body = PhoneServiceOutcome),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[put("/users/{id}/phone-service")]
pub async fn add_service(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: super::extract::JsonObject<PhoneServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = listing::idempotency_key(&req)?;
    let threshold = state.config.low_stock_threshold;
    let outcome = state
        .db
        .run(move |conn| {
            phone_service::request_service(
                conn,
                &caller,
                &id,
                body.number.as_deref(),
                body.profile,
                key.as_deref(),
                threshold,
            )
        })
        .await?;
    Ok(outcome_response(outcome))
}

/// Take a user's phone service away (staff and admins): Teams unassigns the number, which
/// then rests before it can be given again.
///
/// `202` while Teams works (`removing`), `200` when nothing was left to do.
///
/// Problems: 400: A bad Idempotency-Key; 403: A viewer; 404: No such user; 409: Teams is still
/// assigning the number (`service_pending`), or the tenant is not connected.
#[utoipa::path(
    operation_id = "remove_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Entra object id or UPN"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "A new key per change: 1 to 255 visible ASCII characters"),
    ),
    responses(
        (status = 200, description = "Done (nothing left to do)", body = PhoneServiceOutcome),
        (status = 202, description = "Teams is removing it", body = PhoneServiceOutcome),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[delete("/users/{id}/phone-service")]
pub async fn remove_service(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = listing::idempotency_key(&req)?;
    let outcome = state
        .db
        .run(move |conn| phone_service::remove_service(conn, &caller, &id, key.as_deref()))
        .await?;
    Ok(outcome_response(outcome))
}
