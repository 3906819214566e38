//! The identity platform (login.microsoftonline.com): OpenID Connect sign-in, admin consent,
//! the token endpoint, discovery and the signing keys.

mod consent;
mod errors;
mod flow;
pub mod pages;
pub(crate) mod session;
mod signin;
mod token;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::{http, Simulator};

pub use consent::sample_users;
pub use token::user_token;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/error", web::get().to(error_lookup))
        .route("/{tenant}/oauth2/v2.0/token", web::post().to(token::token))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            web::get().to(signin::show),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            web::post().to(signin::submit),
        )
        .route("/{tenant}/discovery/v2.0/keys", web::get().to(jwks))
        .route("/{tenant}/discovery/keys", web::get().to(jwks))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            web::get().to(openid_configuration),
        )
        .route("/{tenant}/v2.0/adminconsent", web::get().to(consent::show))
        .route(
            "/{tenant}/v2.0/adminconsent",
            web::post().to(consent::submit),
        );
}

async fn jwks(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.inner.key.jwks())
}

/// OpenID Connect discovery. For `organizations` the issuer holds the literal `{tenantid}`
/// placeholder, as Microsoft's does: a client substitutes the ID token's `tid`.
async fn openid_configuration(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> HttpResponse {
    let tenant = path.into_inner();
    let (segment, issuer_tenant) = if tenant.eq_ignore_ascii_case("organizations") {
        ("organizations".to_string(), "{tenantid}".to_string())
    } else {
        let Some(tid) = sim.read().tenant(&tenant).map(|t| t.id.clone()) else {
            return errors::TokenError::unknown_tenant(&req, &tenant).into_response();
        };
        (tid.clone(), tid)
    };
    let login = flow::login_base(&req);
    HttpResponse::Ok().json(json!({
        "token_endpoint": format!("{login}/{segment}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{login}/{segment}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{login}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{login}/{segment}/oauth2/v2.0/authorize"),
        "code_challenge_methods_supported": ["plain", "S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": if segment == "organizations" { Value::Null } else { json!("NA") },
        "cloud_instance_name": "microsoftonline.com",
    }))
}

/// `error_uri` targets: a one-line page naming the code.
async fn error_lookup(req: HttpRequest) -> HttpResponse {
    let pairs = http::query_pairs(&req);
    let code = http::query_get(&pairs, "code").unwrap_or("");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(pages::layout(
            "Error lookup",
            &format!(
                "<h1>Error lookup</h1><p>Error code: <strong>AADSTS{}</strong></p>",
                http::html(code)
            ),
        ))
}
