use actix_web::{get, post, web, HttpResponse};
use shared::auth::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};

use crate::{
    domain::{auth, members, principal::Principal},
    error::ApiError,
    state::AppState,
};

/// Sign in with email and password.
///
/// Returns a short-lived session token. A wrong password and an unknown email get the same
/// answer.
#[utoipa::path(
    operation_id = "login",
    tag = "Sign-in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or unknown fields", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let keys = state.sessions.clone();
    let session = state
        .db
        .run(move |conn| auth::login(conn, &keys, &email, &password))
        .await?;
    Ok(web::Json(session))
}

/// Who am I: the signed-in user (or API token), their role and account.
#[utoipa::path(
    operation_id = "get_me",
    tag = "Sign-in",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in, or the session is over", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(caller: Principal) -> web::Json<Me> {
    web::Json(caller.me())
}

/// Change your own password.
///
/// Every session issued before the change ends; the answer carries a fresh one.
#[utoipa::path(
    operation_id = "change_password",
    tag = "Sign-in",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; a new session", body = LoginResponse),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Current password wrong, or new one too short", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Principal,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let keys = state.sessions.clone();
    let session = state
        .db
        .run(move |conn| {
            members::change_own_password(conn, &caller, &current_password, &new_password)?;
            auth::login(conn, &keys, &caller.name, &new_password)
        })
        .await?;
    Ok(HttpResponse::Ok().json(session))
}
