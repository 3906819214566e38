use actix_web::{
    cookie::{Cookie, SameSite},
    delete, get, post, web, HttpRequest, HttpResponse,
};
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};

use crate::{
    domain::{
        principal::Principal,
        tenant_connection::{Landing, CALLBACK_REJECTED},
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Binds a consent attempt to the browser that started it (and is its PKCE code verifier).
pub const BINDING_COOKIE: &str = "tc_consent_binding";
/// The same, over https: `__Host-` makes the browser refuse it unless it is Secure, for the
/// whole host (`Path=/`) and without `Domain`, so a sibling subdomain cannot plant or shadow it.
pub const HOST_BINDING_COOKIE: &str = "__Host-tc_consent_binding";
/// Over plain http the cookie goes only to the two redirect URIs below this path.
const CALLBACK_PATH: &str = "/api/v1/tenant-connection/";

/// The binding cookie's name and path for this deployment.
fn binding_cookie(secure: bool) -> (&'static str, &'static str) {
    if secure {
        (HOST_BINDING_COOKIE, "/")
    } else {
        (BINDING_COOKIE, CALLBACK_PATH)
    }
}

fn is_https(state: &AppState) -> bool {
    state.config.is_https()
}

/// The binding this browser brought back, under the name this deployment sets.
fn binding_of(state: &AppState, req: &HttpRequest) -> Option<String> {
    let (name, _) = binding_cookie(is_https(state));
    req.cookie(name).map(|c| c.value().to_owned())
}

/// Your account's connection to its Microsoft tenant: state, the four steps, the last
/// verification and the history. Any member may read it.
#[utoipa::path(
    operation_id = "get_tenant_connection",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The connection", body = TenantConnection),
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/tenant-connection")]
pub async fn get_connection(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<TenantConnection>, ApiError> {
    Ok(web::Json(state.connections.get(&caller).await?))
}

/// Step 2: sign in to Microsoft and grant admin consent.
///
/// Answers the Microsoft sign-in URL to send the browser to (OpenID Connect, with a fresh
/// single-use `state` that expires, a `nonce` and PKCE) and sets a cookie binding the attempt
/// to this browser. After the sign-in, the portal sends the browser on to admin consent for the
/// signed-in person's tenant. Any signed-in member may start while no tenant is connected;
/// Microsoft decides who can grant consent. Once a tenant is connected (or connected the old
/// way), only admins may start, and only that tenant can be consented for: another one is
/// refused at sign-in ("disconnect first").
///
/// Problems: 403 when called with an API token (consent needs a person in a browser), or by a
/// non-admin once a tenant is connected; 429 when the caller started
/// `CONNECTION_ACTIONS_PER_WINDOW` sign-ins within the window (`Retry-After` says when).
#[utoipa::path(
    operation_id = "start_tenant_connection_setup",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Where to send the browser", body = SetupResponse),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/tenant-connection/setup")]
pub async fn setup(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    let started = state.connections.start_setup(&caller).await?;
    let secure = is_https(&state);
    let (name, path) = binding_cookie(secure);
    let cookie = Cookie::build(name, started.binding)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::minutes(
            i64::try_from(state.config.consent_ttl_minutes).unwrap_or(15),
        ))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(started.response))
}

/// The sign-in redirect URI registered with Microsoft (step 2, first leg).
///
/// Redeems the authorization code, validates the ID token (signature, issuer, audience,
/// lifetime, nonce) and sends the browser on to Microsoft's admin consent for the tenant the
/// token names. A personal Microsoft account, a tenant held by another account, a tenant other
/// than the one the account is connected to, a person no longer allowed to connect, Cancel or an
/// error end the attempt and land on the Tenant Connection page with a notice; a `state` that is
/// unknown, used, expired or not started in this browser is refused and changes nothing.
#[utoipa::path(
    operation_id = "tenant_connection_sign_in_callback",
    tag = "Tenant connection",
    params(
        ("state" = Option<String>, Query, description = "The state sent to Microsoft"),
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("error" = Option<String>, Query, description = "Microsoft's error, e.g. access_denied"),
        ("error_description" = Option<String>, Query, description = "With an AADSTS code"),
    ),
    responses(
        (status = 303, description = "On to Microsoft's admin consent, or to /tenant-connection?consent=cancelled|personal_account|wrong_account|tenant_taken|tenant_differs|not_allowed|error|rejected"),
    )
)]
#[get("/tenant-connection/sign-in-callback")]
pub async fn sign_in_callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let binding = binding_of(&state, &req);
    let landing = state
        .connections
        .sign_in_callback(req.query_string().to_owned(), binding)
        .await;
    redirect(landing, is_https(&state))
}

/// The admin-consent redirect URI registered with Microsoft (step 2, second leg).
///
/// Records Microsoft's answer and sends the browser to the Tenant Connection page. A grant
/// counts only when its `tenant` is the tenant the person proved at sign-in (compared as
/// GUIDs), no other account holds it, the account is not connected to another tenant, and the
/// person is still allowed to connect (an admin, once a tenant is connected). A `state` that is unknown, used, expired or not
/// started in this browser is refused and changes nothing.
#[utoipa::path(
    operation_id = "tenant_connection_consent_callback",
    tag = "Tenant connection",
    params(
        ("state" = Option<String>, Query, description = "The state sent to Microsoft"),
        ("admin_consent" = Option<String>, Query, description = "`True` (also on errors: the `error` decides)"),
        ("tenant" = Option<String>, Query, description = "The consenting tenant: must be the signed-in person's tenant"),
        ("error" = Option<String>, Query, description = "Microsoft's error, e.g. access_denied"),
        ("error_description" = Option<String>, Query, description = "With an AADSTS code"),
        ("error_subcode" = Option<String>, Query, description = "`cancel` from the approval page"),
    ),
    responses(
        (status = 303, description = "To /tenant-connection?consent=granted|cancelled|approval_required|wrong_account|tenant_mismatch|tenant_taken|tenant_differs|not_allowed|error|rejected"),
    )
)]
#[get("/tenant-connection/consent-callback")]
pub async fn consent_callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let binding = binding_of(&state, &req);
    let landing = state
        .connections
        .consent_callback(req.query_string().to_owned(), binding)
        .await;
    redirect(landing, is_https(&state))
}

/// 303 to where the attempt goes next. The binding cookie goes when the attempt ends; a
/// refused request (a forged link, say) must not wipe the binding of a live attempt.
fn redirect(landing: Landing, secure: bool) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    let location = match landing {
        Landing::Microsoft(url) => url,
        Landing::Page(page) => {
            if page != CALLBACK_REJECTED {
                let (name, path) = binding_cookie(secure);
                let mut expired = Cookie::build(name, "").path(path).secure(secure).finish();
                expired.make_removal();
                response.cookie(expired);
            }
            page
        }
    };
    response
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// Step 4: verify setup.
///
/// Checks, within a deadline, that Microsoft issues the app a token for the tenant that
/// consented, with the required permissions and the Teams Communications Administrator role,
/// and that the tenant's name is readable. Two verifications at once for one account run once.
/// An account that verified `CONNECTION_ACTIONS_PER_WINDOW` times within the window gets its
/// last report again, without asking Microsoft. A verification that finds what the last one
/// found, by the same person, adds nothing to the history.
///
/// Problems: 409 `consent_required` (no consent yet), 409 `verification_running` (another
/// verification still running after its deadline), 429 (over the limit with no report to
/// answer, or the caller's request rate).
#[utoipa::path(
    operation_id = "verify_tenant_connection",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report: each check with a remediation when it failed", body = VerificationReport),
        (status = 401, response = problems::Unauthenticated),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
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
///
/// Problems: 403 unless the caller is an admin; 409 `not_connected` when there is nothing to
/// disconnect.
#[utoipa::path(
    operation_id = "disconnect_tenant",
    tag = "Tenant connection",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disconnected", body = TenantConnection),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[delete("/tenant-connection")]
pub async fn disconnect(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<TenantConnection>, ApiError> {
    Ok(web::Json(state.connections.disconnect(&caller).await?))
}
