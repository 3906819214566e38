//! `POST /{tenant}/oauth2/v2.0/token`: client credentials for our app (CONTRACT.md section 3),
//! the authorization code grant of the OpenID Connect sign-in (section 2),
//! plus the token minting shared with the control API's delegated admin tokens.

use std::time::Instant;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    errors::TokenError,
    session::{AuthCode, CodeState},
};
use crate::{
    faults::{self, Endpoint},
    http,
    keys::GRAPH_AUDIENCE,
    state::User,
    Simulator,
};

/// The directory role every app-only token lists in `wids` (seen in real tokens; the
/// contract's authorization ignores `wids` for app tokens, so it opens nothing here).
pub const IMPLICIT_APP_ROLE: &str = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

/// ID tokens live one hour.
const ID_TOKEN_LIFETIME: i64 = 3600;

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
    match grant_type {
        "client_credentials" => {}
        "authorization_code" => {
            return authorization_code(&req, &sim, &tenant_param, tenant_id.as_deref(), &form)
        }
        _ => {
            return Err(TokenError::new(
                &req,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{grant_type}'."),
            ))
        }
    }
    let Some(tenant_id) = tenant_id else {
        return Err(TokenError::unknown_tenant(&req, &tenant_param));
    };
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

    check_secret(&req, &sim, &form)?;
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
    // Every app token carries the implicit role of service principals, besides the directory
    // roles assigned to ours.
    let mut wids = wids;
    wids.push(IMPLICIT_APP_ROLE.to_string());
    claims.insert("wids".into(), json!(wids));
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

/// The client authentication shared by both grants: a client secret (certificates are not
/// registered on the simulated app).
fn check_secret(
    req: &HttpRequest,
    sim: &Simulator,
    form: &[(String, String)],
) -> Result<(), TokenError> {
    let field = |name: &str| http::query_get(form, name).filter(|v| !v.is_empty());
    if field("client_assertion").is_some() {
        return Err(TokenError::new(
            req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        ));
    }
    let Some(secret) = field("client_secret") else {
        return Err(TokenError::new(
            req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    if secret != sim.inner.app.client_secret.expose_secret() {
        tracing::info!("token request with a wrong client secret");
        return Err(TokenError::new(
            req,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                sim.inner.app.client_id
            ),
        ));
    }
    Ok(())
}

/// `grant_type=authorization_code`: redeems a code from the authorize endpoint (single use,
/// PKCE-checked) for an ID token and a delegated Graph access token.
fn authorization_code(
    req: &HttpRequest,
    sim: &Simulator,
    tenant_param: &str,
    tenant_id: Option<&str>,
    form: &[(String, String)],
) -> Result<HttpResponse, TokenError> {
    let field = |name: &str| http::query_get(form, name).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        TokenError::new(
            req,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let organizations = tenant_param.eq_ignore_ascii_case("organizations");
    if tenant_id.is_none() && !organizations {
        return Err(TokenError::unknown_tenant(req, tenant_param));
    }
    let app = &sim.inner.app;
    let client_id = field("client_id").ok_or_else(|| missing("client_id"))?;
    if !client_id.eq_ignore_ascii_case(&app.client_id) {
        return Err(TokenError::new(
            req,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant_param}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    check_secret(req, sim, form)?;
    let code_value = field("code").ok_or_else(|| missing("code"))?;
    let redirect_uri = field("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
    let verifier = field("code_verifier");
    let invalid_grant = |code: u32, message: &str| {
        TokenError::new(
            req,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            code,
            message.to_string(),
        )
    };
    let code = {
        let mut sessions = sim.sessions();
        let found = match sessions.code(code_value, Instant::now()) {
            CodeState::Unknown => {
                return Err(invalid_grant(70000, "Provided grant is invalid or malformed."))
            }
            CodeState::Expired => {
                return Err(invalid_grant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."))
            }
            CodeState::Redeemed => {
                return Err(invalid_grant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."))
            }
            CodeState::Valid(c) => c,
        };
        if !found.client_id.eq_ignore_ascii_case(client_id) {
            return Err(invalid_grant(
                70000,
                "Provided grant is invalid or malformed: the code was issued to another client.",
            ));
        }
        if tenant_id.is_some_and(|t| t != found.tenant_id) {
            return Err(invalid_grant(
                700005,
                "Provided Authorization Code is intended to use against other tenant, thus rejected.",
            ));
        }
        if found.redirect_uri != redirect_uri {
            return Err(invalid_grant(
                500112,
                &format!(
                    "The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                    found.redirect_uri
                ),
            ));
        }
        if verifier.is_none_or(|v| pkce_challenge(v) != found.code_challenge) {
            return Err(invalid_grant(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
        found.redeemed = true;
        found.clone()
    };
    let user = {
        let world = sim.read();
        world.tenant(&code.tenant_id).and_then(|t| {
            t.user(&code.user_id)
                .map(|u| (u.clone(), t.roles_of(&u.id)))
        })
    };
    let Some((user, wids)) = user.filter(|(u, _)| u.account_enabled) else {
        return Err(invalid_grant(
            50057,
            "The user account is disabled or no longer exists.",
        ));
    };
    let login = format!("{}/_microsoft/login", http::origin(req));
    let sign = |claims: Map<String, Value>| {
        sim.inner.key.sign(&Value::Object(claims)).map_err(|e| {
            tracing::error!(error = %e, "signing failed");
            TokenError::injected(req, 500, None)
        })
    };
    let now = Utc::now().timestamp();
    let id_token = sign(id_token_claims(&login, &app.client_id, &code, &user, now))?;
    let lifetime = sim.inner.token_lifetime.as_secs();
    let access_claims = delegated_claims(
        &code.tenant_id,
        &user,
        &wids,
        &code.scope,
        &app.client_id,
        now,
        lifetime,
    );
    let access_token = sign(access_claims)?;
    tracing::info!(tenant = %code.tenant_id, "authorization code redeemed");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store, no-cache"))
        .insert_header(("Pragma", "no-cache"))
        .insert_header(("x-ms-request-id", http::new_id()))
        .json(json!({
            "token_type": "Bearer",
            "scope": code.scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
            "id_token": id_token,
        })))
}

/// BASE64URL(SHA256(verifier)) (RFC 7636, S256).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The ID token (v2.0): `iss` is `{login}/{tid}/v2.0` with the base URL the caller used.
fn id_token_claims(
    login: &str,
    client_id: &str,
    code: &AuthCode,
    user: &User,
    now: i64,
) -> Map<String, Value> {
    let scopes: Vec<&str> = code.scope.split(' ').collect();
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(client_id));
    claims.insert(
        "iss".into(),
        json!(format!("{login}/{}/v2.0", code.tenant_id)),
    );
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(now + ID_TOKEN_LIFETIME));
    if scopes.contains(&"email") {
        claims.insert("email".into(), json!(user.upn));
    }
    // As at Microsoft, `name`, `preferred_username` and `oid` come with the `profile` scope.
    if scopes.contains(&"profile") {
        claims.insert("name".into(), json!(user.display_name));
        claims.insert("oid".into(), json!(user.id));
        claims.insert("preferred_username".into(), json!(user.upn));
    }
    if let Some(nonce) = &code.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    // Pairwise: the same user has a different `sub` in each app.
    claims.insert(
        "sub".into(),
        json!(pkce_challenge(&format!("{client_id}|{}", user.id))),
    );
    claims.insert("tid".into(), json!(code.tenant_id));
    claims.insert("uti".into(), json!(super::session::random_token(16)));
    claims.insert("ver".into(), json!("2.0"));
    claims
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

/// A delegated Graph access token's claims (v1.0 format, as Graph's tokens are).
fn delegated_claims(
    tid: &str,
    user: &User,
    wids: &[String],
    scp: &str,
    appid: &str,
    now: i64,
    lifetime: u64,
) -> Map<String, Value> {
    let mut claims = base_claims(tid, &user.id, now, lifetime);
    claims.insert("idtyp".into(), json!("user"));
    claims.insert("upn".into(), json!(user.upn));
    claims.insert("unique_name".into(), json!(user.upn));
    claims.insert("name".into(), json!(user.display_name));
    claims.insert("scp".into(), json!(scp));
    claims.insert("appid".into(), json!(appid));
    if !wids.is_empty() {
        claims.insert("wids".into(), json!(wids));
    }
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
    // The Azure portal's application id: the admin acts through the Entra admin center.
    let claims = delegated_claims(
        tid,
        user,
        wids,
        "RoleManagement.ReadWrite.Directory",
        "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        Utc::now().timestamp(),
        lifetime,
    );
    Ok((sim.inner.key.sign(&Value::Object(claims))?, lifetime))
}
