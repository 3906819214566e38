use actix_web::{delete, get, post, web, HttpResponse};
use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken};
use uuid::Uuid;

use crate::{
    domain::{api_token::manage, principal::Principal},
    error::ApiError,
    state::AppState,
};

/// Your account's API tokens, newest first, without their secrets (admins signed in to the
/// portal; not API tokens).
#[utoipa::path(
    operation_id = "list_api_tokens",
    tag = "API tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens", body = Vec<ApiToken>),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api-tokens")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<Vec<ApiToken>>, ApiError> {
    let tokens = state
        .db
        .run(move |conn| manage::list(conn, &caller))
        .await?;
    Ok(web::Json(tokens))
}

/// Create an API token for an integrator (admins signed in to the portal; not API tokens).
///
/// The secret is in this answer only; it is stored as a hash. With `expires_at` the token
/// stops working at that time; without, it works until revoked.
#[utoipa::path(
    operation_id = "create_api_token",
    tag = "API tokens",
    security(("bearer" = [])),
    request_body = CreateApiTokenRequest,
    responses(
        (status = 201, description = "Created", body = CreatedApiToken),
        (status = 400, description = "The name is over 100 characters or has control characters (`out_of_bounds`)", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing name, unknown role, or an expiry in the past", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-tokens")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Principal,
    body: web::Json<CreateApiTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .db
        .run(move |conn| manage::create(conn, &caller, &body))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke an API token (admins signed in to the portal; not API tokens). It is refused from
/// then on.
#[utoipa::path(
    operation_id = "revoke_api_token",
    tag = "API tokens",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token in your account", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api-tokens/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .run(move |conn| manage::revoke(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
