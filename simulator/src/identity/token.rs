//! `POST /{tenant}/oauth2/v2.0/token`: client credentials for our app (CONTRACT.md section 3),
//! plus the token minting shared with the control API's delegated admin tokens.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};

use super::errors::TokenError;
use crate::{
    faults::{self, Endpoint},
    http,
    keys::GRAPH_AUDIENCE,
    state::User,
    Simulator,
};

const GRAPH_DEFAULT_SCOPES: [&str; 2] = [
    "https://graph.microsoft.com/.default",
    "00000003-0000-0000-c000-000000000000/.default",
];

pub async fn token(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let tenant_param = path.into_inner();
    let tenant_id = sim.read().tenant(&tenant_param).map(|t| t.id.clone());
    if let Some(f) = faults::intercept(&sim, &[Endpoint::Token], tenant_id.as_deref()).await {
        return Err(TokenError::injected(&req, f.status, f.retry_after));
    }
    let Some(tenant_id) = tenant_id else {
        return Err(TokenError::unknown_tenant(&req, &tenant_param));
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| http::query_get(&form, name).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        TokenError::new(
            &req,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    };

    let grant_type = field("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(TokenError::new(
            &req,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let client_id = field("client_id").ok_or_else(|| missing("client_id"))?;
    let app = &sim.inner.app;

    let (tenant_name, sp) = {
        let world = sim.read();
        let Some(t) = world.tenant(&tenant_id) else {
            return Err(TokenError::unknown_tenant(&req, &tenant_param));
        };
        let sp = t
            .service_principal
            .as_ref()
            .filter(|sp| sp.app_id.eq_ignore_ascii_case(client_id))
            .map(|sp| (sp.clone(), t.roles_of(&sp.id)));
        (t.name.clone(), sp)
    };
    let Some((sp, wids)) = sp.filter(|_| client_id.eq_ignore_ascii_case(&app.client_id)) else {
        return Err(TokenError::new(
            &req,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant_name}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    };

    if field("client_assertion").is_some() {
        // Certificate credentials are not registered on the simulated app.
        return Err(TokenError::new(
            &req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        ));
    }
    let Some(secret) = field("client_secret") else {
        return Err(TokenError::new(
            &req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    if secret != app.client_secret.expose_secret() {
        tracing::info!(tenant = %tenant_id, "token request with a wrong client secret");
        return Err(TokenError::new(
            &req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ),
        ));
    }
    let scope = field("scope").ok_or_else(|| missing("scope"))?;
    if !GRAPH_DEFAULT_SCOPES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scope))
    {
        return Err(TokenError::new(
            &req,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    }

    let lifetime = sim.inner.token_lifetime.as_secs();
    let now = Utc::now().timestamp();
    let mut claims = base_claims(&tenant_id, &sp.id, now, lifetime);
    claims.insert("app_displayname".into(), json!(sp.display_name));
    claims.insert("appid".into(), json!(app.client_id));
    claims.insert("appidacr".into(), json!("1"));
    claims.insert("idtyp".into(), json!("app"));
    if !sp.roles.is_empty() {
        claims.insert("roles".into(), json!(sp.roles));
    }
    if !wids.is_empty() {
        claims.insert("wids".into(), json!(wids));
    }
    let access_token = sim.inner.key.sign(&Value::Object(claims)).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        TokenError::injected(&req, 500, None)
    })?;
    tracing::info!(tenant = %tenant_id, "app token issued");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store, no-cache"))
        .insert_header(("Pragma", "no-cache"))
        .insert_header(("x-ms-request-id", http::new_id()))
        .json(json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        })))
}

fn base_claims(tid: &str, oid: &str, now: i64, lifetime: u64) -> Map<String, Value> {
    let iss = format!("https://sts.windows.net/{tid}/");
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(GRAPH_AUDIENCE));
    claims.insert("iss".into(), json!(iss));
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime as i64));
    claims.insert("idp".into(), json!(iss));
    claims.insert("oid".into(), json!(oid));
    claims.insert("sub".into(), json!(oid));
    claims.insert("tid".into(), json!(tid));
    claims.insert("uti".into(), json!(http::new_id().replace('-', "")));
    claims.insert("ver".into(), json!("1.0"));
    claims
}

/// A delegated Graph token for a directory user (the control API hands these out so a test or
/// the demo can act as a simulated admin).
pub fn user_token(
    sim: &Simulator,
    tid: &str,
    user: &User,
    wids: &[String],
) -> anyhow::Result<(String, u64)> {
    let lifetime = sim.inner.token_lifetime.as_secs();
    let mut claims = base_claims(tid, &user.id, Utc::now().timestamp(), lifetime);
    claims.insert("idtyp".into(), json!("user"));
    claims.insert("upn".into(), json!(user.upn));
    claims.insert("unique_name".into(), json!(user.upn));
    claims.insert("name".into(), json!(user.display_name));
    claims.insert("scp".into(), json!("RoleManagement.ReadWrite.Directory"));
    // The Azure portal's application id: the admin acts through the Entra admin center.
    claims.insert(
        "appid".into(),
        json!("c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
    );
    if !wids.is_empty() {
        claims.insert("wids".into(), json!(wids));
    }
    Ok((sim.inner.key.sign(&Value::Object(claims))?, lifetime))
}
