use actix_web::{get, post, web, HttpResponse};
use shared::auth::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};

use super::extract::ClientAddress;
use crate::{
    domain::{auth, principal::Principal},
    error::ApiError,
    state::AppState,
};

/// Sign in with email and password.
///
/// Returns a short-lived session token. A wrong password and an unknown email get the same
/// answer. Failures are throttled per account and per client address: an account's 5th
/// failure in a row blocks it for 30 seconds, each further one twice as long (up to 15
/// minutes); an address's 20th likewise. Blocked, sign-in answers 429 with `Retry-After`.
#[utoipa::path(
    operation_id = "login",
    tag = "Sign-in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed JSON, or a field out of bounds (email over 254 characters or with control characters, password over 256)", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or unknown fields", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this account or from this address, or too many at once (`too_many_requests`); see `Retry-After`", body = shared::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let session = auth::login(
        &state.db,
        &state.sessions,
        &state.hashing,
        &email,
        &password,
        client.0,
    )
    .await?;
    Ok(web::Json(session))
}

/// Sign out: end this session on the server.
///
/// The token is refused from then on, in every process. For people only.
#[utoipa::path(
    operation_id = "logout",
    tag = "Sign-in",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in, or the session is over", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token (revoke it instead)", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(move |conn| auth::logout(conn, &caller))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out everywhere: end every session of yours, in every browser, this one included.
#[utoipa::path(
    operation_id = "logout_everywhere",
    tag = "Sign-in",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of yours has ended"),
        (status = 401, description = "Not signed in, or the session is over", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout-everywhere")]
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(move |conn| auth::logout_everywhere(conn, &caller))
        .await?;
    Ok(HttpResponse::NoContent().finish())
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
/// Every session of yours ends; the answer carries a fresh one. A wrong current password
/// counts as a failed sign-in for the throttle.
#[utoipa::path(
    operation_id = "change_password",
    tag = "Sign-in",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; a new session", body = LoginResponse),
        (status = 400, description = "A password over 256 characters", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The password was changed meanwhile (`password_changed`)", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Current password wrong, or new one too short", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts (`too_many_requests`); see `Retry-After`", body = shared::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Principal,
    client: ClientAddress,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let session = auth::change_password(
        &state.db,
        &state.sessions,
        &state.hashing,
        &caller,
        &current_password,
        &new_password,
        client.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(session))
}
