use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken};
use shared::paging::Page;
use uuid::Uuid;

use crate::{
    domain::{
        api_token::manage,
        paging::{self, Order, PageQuery, PageRequest},
        principal::Principal,
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Your account's API tokens, newest first, without their secrets (admins signed in to the
/// portal; not API tokens).
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 403: Not an
/// admin, or an API token; 422: An unknown query parameter.
#[utoipa::path(
    operation_id = "list_api_tokens",
    params(
        super::listing::PageParams,
    ),
    tag = "API tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens, newest first", body = Page<ApiToken>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/api-tokens")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ApiToken>>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let address = super::listing::address(&req);
    let all = state
        .db
        .run(move |conn| manage::list(conn, &caller))
        .await?;
    Ok(web::Json(paging::page_in_memory(
        all,
        &request,
        &address,
        Order::Descending,
        |item| {
            vec![
                item.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                item.id.to_string(),
            ]
        },
    )))
}

/// Create an API token for an integrator (admins signed in to the portal; not API tokens).
///
/// The secret is in this answer only; it is stored as a hash. With `expires_at` the token
/// stops working at that time; without, it works until revoked.
///
/// Problems: 400: The name is over 100 characters or has control characters (`out_of_bounds`);
/// 403: Not an admin, or an API token; 422: Missing name, unknown role, or an expiry in the past.
#[utoipa::path(
    operation_id = "create_api_token",
    tag = "API tokens",
    security(("bearer" = [])),
    request_body = CreateApiTokenRequest,
    responses(
        (status = 201, description = "Created", body = CreatedApiToken),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/api-tokens")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Principal,
    body: super::extract::JsonObject<CreateApiTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .db
        .run(move |conn| manage::create(conn, &caller, &body))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke an API token (admins signed in to the portal; not API tokens). It is refused from
/// then on.
///
/// Problems: 403: Not an admin, or an API token; 404: No such token in your account.
#[utoipa::path(
    operation_id = "revoke_api_token",
    tag = "API tokens",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
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
