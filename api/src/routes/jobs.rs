use actix_web::{get, web};
use shared::jobs::Job;
use uuid::Uuid;

use crate::{
    domain::principal::Principal, error::ApiError, jobs::queue, openapi::problems, state::AppState,
};

/// A background job of your account: its status, attempts, progress, result or last error.
///
/// Long work runs as a job rather than as a request that waits; this shows how it is going.
/// Any member may read the account's jobs; another account's job is not found.
#[utoipa::path(
    operation_id = "get_job",
    tag = "Jobs",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, response = problems::Unauthenticated),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<web::Json<Job>, ApiError> {
    let id = id.into_inner();
    let job = state
        .db
        .run(move |conn| queue::get(conn, &caller, id))
        .await?;
    Ok(web::Json(job))
}
