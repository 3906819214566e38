use actix_web::{get, post, web, HttpRequest, HttpResponse};
use shared::phone_service::{BulkAccepted, BulkRequest, BulkStatus, Preview, PreviewRequest};
use uuid::Uuid;

use super::listing;
use crate::{
    domain::{
        phone_service::{bulk, preview, rollback},
        principal::Principal,
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Give phone service to many users at once (staff and admins): a job that reserves a number
/// for each user and has Teams assign it, a bounded number at a time.
///
/// JSON `{"users": [...], "profile": id?}` (object ids or UPNs), or a CSV (`Content-Type:
/// text/csv`) with a `user` column and the profile in `?profile=`. Without a profile, the
/// account's default applies. Follow `GET /phone-service/bulk/{job_id}` for progress and each
/// user's outcome.
///
/// Problems: 403: A viewer; 409: The tenant is not connected or lacks the permission, or the
/// account's earlier bulk job has not finished (`bulk_job_unfinished`, naming it); 413: A
/// body over 512 KiB; 415: Neither JSON nor CSV; 422: No users, more than 5,000, or bad CSV rows
/// (`rejected_rows`: the first 100 in `rejected`, how many in `rejected_count`).
#[utoipa::path(
    operation_id = "start_bulk_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(ProfileQuery),
    request_body(content = BulkRequest, description = "JSON, or text/csv"),
    responses(
        (status = 202, description = "The job", body = BulkAccepted),
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
#[post("/phone-service/bulk")]
pub async fn start_bulk(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<ProfileQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_staff()?;
    let (users, profile, _) = users_of(&req, query.into_inner(), payload).await?;
    let most = state.config.bulk_max_unfinished;
    let accepted = state
        .db
        .run(move |conn| bulk::start(conn, &caller, users, profile, most))
        .await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// The profile of a CSV upload (a JSON body names it in the body).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// The voice profile to apply (CSV bodies only); the account's default when left out.
    pub profile: Option<Uuid>,
}

/// The users, profile and number of a bulk or preview body: JSON, or a CSV with the profile in
/// the query.
async fn users_of(
    req: &HttpRequest,
    query: ProfileQuery,
    payload: web::Payload,
) -> Result<(Vec<String>, Option<Uuid>, Option<String>), ApiError> {
    let csv = listing::is_csv(req);
    if !csv {
        listing::require_json(req)?;
    }
    let _slot = listing::upload_slot().await?;
    let body = listing::read_body(payload, listing::BULK_UPLOAD_MAX_BYTES).await?;
    let is_preview = req.path().ends_with("/preview");
    listing::parse_off_worker(move || {
        if csv {
            Ok((bulk::users_from_csv(&body)?, query.profile, None))
        } else if is_preview {
            let request = listing::json_object::<PreviewRequest>(&body)?;
            Ok((
                request.users,
                request.profile.or(query.profile),
                request.number,
            ))
        } else {
            let request = listing::json_object::<BulkRequest>(&body)?;
            Ok((request.users, request.profile.or(query.profile), None))
        }
    })
    .await
}

/// What a change would do, user by user, without changing or reserving anything (staff and
/// admins).
///
/// The same input as a single change or a bulk: JSON `{"users": [...], "profile": id?,
/// "number": e164?}` (a number with one user only), or a CSV with a `user` column and
/// `?profile=`. Each row says whether it would succeed, the number auto-select would pick now,
/// or why it would fail: an unknown or disabled user, no Teams Phone licence, a usage location
/// of another country than the numbers, a change under way, no free number left for the row,
/// or a profile policy Teams no longer has.
///
/// Problems: 403: A viewer; 404: No such profile; 409: The tenant is not connected; 413, 415,
/// 422: as for a bulk.
#[utoipa::path(
    operation_id = "preview_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(ProfileQuery),
    request_body(content = PreviewRequest, description = "JSON, or text/csv"),
    responses(
        (status = 200, description = "Row by row", body = Preview),
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
#[post("/phone-service/preview")]
pub async fn preview_changes(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<ProfileQuery>,
    payload: web::Payload,
) -> Result<web::Json<Preview>, ApiError> {
    caller.require_staff()?;
    let (users, profile, number) = users_of(&req, query.into_inner(), payload).await?;
    let rows = preview::preview(&state, &caller, users, profile, number).await?;
    Ok(web::Json(rows))
}

/// Undo a bulk job (admins): a job that takes away the service the bulk gave, for each user
/// whose service is still that one; users whose service changed since are left alone and listed
/// (`skipped`). Follow it at `GET /phone-service/bulk/{rollback job id}`.
///
/// Problems: 403: Not an admin; 404: No such bulk job in your account; 409: The bulk job has
/// not finished (`bulk_job_unfinished`), or it was rolled back already (`rollback_started`).
#[utoipa::path(
    operation_id = "rollback_bulk_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(("job_id" = Uuid, Path, description = "The bulk job to undo")),
    responses(
        (status = 202, description = "The rollback job", body = BulkAccepted),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/phone-service/bulk/{job_id}/rollback")]
pub async fn rollback_bulk(
    state: web::Data<AppState>,
    caller: Principal,
    job_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = job_id.into_inner();
    let accepted = state
        .db
        .run(move |conn| rollback::start(conn, &caller, id))
        .await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// A bulk job of your account and each user's outcome so far.
///
/// Problems: 404: No such bulk job in your account.
#[utoipa::path(
    operation_id = "get_bulk_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
    params(("job_id" = Uuid, Path, description = "The bulk job")),
    responses(
        (status = 200, description = "The job and its users", body = BulkStatus),
        (status = 401, response = problems::Unauthenticated),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/phone-service/bulk/{job_id}")]
pub async fn bulk_status(
    state: web::Data<AppState>,
    caller: Principal,
    job_id: web::Path<Uuid>,
) -> Result<web::Json<BulkStatus>, ApiError> {
    let id = job_id.into_inner();
    let status = state
        .db
        .run(move |conn| bulk::status(conn, &caller, id))
        .await?;
    Ok(web::Json(status))
}
