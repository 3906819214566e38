//! The identity platform (login.microsoftonline.com): admin consent, the token endpoint, the
//! signing keys.

mod consent;
mod errors;
pub mod pages;
mod token;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::{http, Simulator};

pub use consent::sample_users;
pub use token::user_token;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/error", web::get().to(error_lookup))
        .route("/{tenant}/oauth2/v2.0/token", web::post().to(token::token))
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

async fn openid_configuration(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> HttpResponse {
    let tenant = path.into_inner();
    let Some(tid) = sim.read().tenant(&tenant).map(|t| t.id.clone()) else {
        return errors::TokenError::unknown_tenant(&req, &tenant).into_response();
    };
    let login = format!("{}/_microsoft/login", http::origin(&req));
    HttpResponse::Ok().json(json!({
        "token_endpoint": format!("{login}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{login}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{login}/{tid}/v2.0"),
        "authorization_endpoint": format!("{login}/{tid}/oauth2/v2.0/authorize"),
        "tenant_region_scope": "NA",
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
