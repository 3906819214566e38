use actix_web::{get, post, web, HttpRequest, HttpResponse};
use shared::phone_service::{BulkAccepted, BulkRequest, BulkStatus};
use uuid::Uuid;

use super::listing;
use crate::{
    domain::{bulk, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Give phone service to many users at once (staff and admins): a job that reserves a number
/// for each user and has Teams assign it, a bounded number at a time.
///
/// JSON `{"users": [...]}` (object ids or UPNs), or a CSV (`Content-Type: text/csv`) with a
/// `user` column. Follow `GET /phone-service/bulk/{job_id}` for progress and each user's
/// outcome.
///
/// Problems: 403: A viewer; 409: The tenant is not connected or lacks the permission, or the
/// account's earlier bulk job has not finished (`bulk_job_unfinished`, naming it); 413: A
/// body over 512 KiB; 415: Neither JSON nor CSV; 422: No users, more than 5,000, or bad CSV rows
/// (`rejected_rows`: the first 100 in `rejected`, how many in `rejected_count`).
#[utoipa::path(
    operation_id = "start_bulk_phone_service",
    tag = "Phone service",
    security(("bearer" = [])),
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
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_staff()?;
    let csv = listing::is_csv(&req);
    if !csv {
        listing::require_json(&req)?;
    }
    let _slot = listing::upload_slot().await?;
    let body = listing::read_body(payload, listing::BULK_UPLOAD_MAX_BYTES).await?;
    let users = listing::parse_off_worker(move || {
        if csv {
            bulk::users_from_csv(&body)
        } else {
            listing::json_object::<BulkRequest>(&body).map(|request| request.users)
        }
    })
    .await?;
    let most = state.config.bulk_max_unfinished;
    let accepted = state
        .db
        .run(move |conn| bulk::start(conn, &caller, users, most))
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
