use actix_web::{get, post, web, HttpResponse};
use shared::auth::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};

use super::extract::ClientAddress;
use crate::{
    domain::{auth, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Sign in with email and password.
///
/// Returns a short-lived session token. A wrong password and an unknown email get the same
/// answer. Failures are throttled per account and per client address: an account's 5th
/// failure in a row blocks it for 30 seconds, each further one twice as long (up to 15
/// minutes); an address's 20th likewise. Blocked, sign-in answers 429 with `Retry-After`.
///
/// Problems: 400: Malformed JSON, or a field out of bounds (email over 254 characters or with
/// control characters, password over 256); 401: Wrong email or password; 422: Missing or unknown
/// fields; 429: Too many failed sign-ins for this account or from this address, or too many at
/// once (`too_many_requests`); see `Retry-After`.
#[utoipa::path(
    operation_id = "login",
    tag = "Sign-in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: super::extract::JsonObject<LoginRequest>,
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
///
/// Problems: 403: Called with an API token (revoke it instead).
#[utoipa::path(
    operation_id = "logout",
    tag = "Sign-in",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 429, response = problems::TooManyRequests),
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
///
/// Problems: 403: Called with an API token.
#[utoipa::path(
    operation_id = "logout_everywhere",
    tag = "Sign-in",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of yours has ended"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 429, response = problems::TooManyRequests),
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
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
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
///
/// Problems: 400: A password over 256 characters; 403: Called with an API token; 409: The
/// password was changed meanwhile (`password_changed`); 422: Current password wrong, or new one
/// too short; 429: Too many failed attempts (`too_many_requests`); see `Retry-After`.
#[utoipa::path(
    operation_id = "change_password",
    tag = "Sign-in",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; a new session", body = LoginResponse),
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
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Principal,
    client: ClientAddress,
    body: super::extract::JsonObject<ChangePasswordRequest>,
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
