use actix_web::{
    cookie::{Cookie, SameSite},
    delete, get, post, web, HttpRequest, HttpResponse,
};
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};

use crate::{
    domain::{principal::Principal, tenant_connection::CALLBACK_REJECTED},
    error::ApiError,
    state::AppState,
};

/// Binds a consent attempt to the browser that started it.
pub const BINDING_COOKIE: &str = "tc_consent_binding";
const CALLBACK_PATH: &str = "/api/v1/tenant-connection/consent-callback";

/// Your account's connection to its Microsoft tenant: state, the four steps, the last
/// verification and the history. Any member may read it.
#[utoipa::path(
    operation_id = "get_tenant_connection",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The connection", body = TenantConnection),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tenant-connection")]
pub async fn get_connection(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<TenantConnection>, ApiError> {
    Ok(web::Json(state.connections.get(&caller).await?))
}

/// Step 2: start the Microsoft admin consent.
///
/// Answers the Microsoft URL to send the browser to, with a fresh single-use `state` that
/// expires, and sets a cookie binding the attempt to this browser. Any signed-in member may
/// start; Microsoft decides who can grant consent.
#[utoipa::path(
    operation_id = "start_tenant_connection_setup",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Where to send the browser", body = SetupResponse),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token: consent needs a person", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tenant-connection/setup")]
pub async fn setup(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    let started = state.connections.start_setup(&caller).await?;
    let cookie = Cookie::build(BINDING_COOKIE, started.binding)
        .path(CALLBACK_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.public_url().starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::minutes(
            i64::try_from(state.config.consent_ttl_minutes).unwrap_or(15),
        ))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(started.response))
}

/// The admin-consent redirect URI registered with Microsoft.
///
/// Records Microsoft's answer and sends the browser to the Tenant Connection page. A `state`
/// that is unknown, used, expired or not started in this browser is refused and changes
/// nothing; the browser lands on the page with `consent=rejected`.
#[utoipa::path(
    operation_id = "tenant_connection_consent_callback",
    tag = "Tenant connection",
    params(
        ("state" = Option<String>, Query, description = "The state sent to Microsoft"),
        ("admin_consent" = Option<String>, Query, description = "`True` when granted"),
        ("tenant" = Option<String>, Query, description = "The consenting tenant (trusted only once a token confirms it)"),
        ("error" = Option<String>, Query, description = "Microsoft's error, e.g. access_denied"),
        ("error_description" = Option<String>, Query, description = "With an AADSTS code"),
        ("error_subcode" = Option<String>, Query, description = "`cancel` from the approval page"),
    ),
    responses(
        (status = 303, description = "To /tenant-connection?consent=granted|cancelled|approval_required|error|rejected"),
    )
)]
#[get("/tenant-connection/consent-callback")]
pub async fn consent_callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let binding = req.cookie(BINDING_COOKIE).map(|c| c.value().to_owned());
    let page = state
        .connections
        .consent_callback(req.query_string().to_owned(), binding)
        .await;
    let mut response = HttpResponse::SeeOther();
    // A refused request (a forged link, say) must not wipe the binding of a live attempt.
    if page != CALLBACK_REJECTED {
        let mut expired = Cookie::build(BINDING_COOKIE, "")
            .path(CALLBACK_PATH)
            .finish();
        expired.make_removal();
        response.cookie(expired);
    }
    response.insert_header(("Location", page)).finish()
}

/// Step 4: verify setup.
///
/// Checks, within a deadline, that Microsoft issues the app a token for the tenant that
/// consented, with the required permissions and the Teams Communications Administrator role,
/// and that the tenant's name is readable. Two verifications at once for one account run once.
#[utoipa::path(
    operation_id = "verify_tenant_connection",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report: each check with a remediation when it failed", body = VerificationReport),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No consent yet (`consent_required`), or another verification still running after its deadline (`verification_running`)", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tenant-connection/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<VerificationReport>, ApiError> {
    Ok(web::Json(state.connections.verify(&caller).await?))
}

/// Disconnect the tenant (admins). The history is kept.
#[utoipa::path(
    operation_id = "disconnect_tenant",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disconnected", body = TenantConnection),
        (status = 401, description = "Not signed in", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = shared::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not connected (`not_connected`)", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/tenant-connection")]
pub async fn disconnect(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<TenantConnection>, ApiError> {
    Ok(web::Json(state.connections.disconnect(&caller).await?))
}
