//! `GET|POST /{tenant}/oauth2/v2.0/authorize`: OpenID Connect sign-in with the authorization
//! code flow and PKCE (CONTRACT.md section 2). GET shows a "Pick an account" page; POST (its
//! buttons, or a script) with `user` (UPN) and `action` (`accept` | `cancel`) decides. Success:
//! `302 {redirect_uri}?code=..&state=..&session_state=..` and the `ESTSAUTH` session cookie, so
//! the admin-consent page that follows knows who is signed in.
//!
//! `{tenant}` is `organizations` (any organization's user, and, as the simulator's test hook, the
//! seeded personal account), a tenant GUID or a verified domain (only that tenant's users; others
//! get AADSTS50020).

use std::time::Instant;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{
    consent::user_groups,
    flow::{self, ErrorRedirect},
    pages,
    session::{self, AuthCode},
};
use crate::{http, Simulator};

/// The OpenID Connect scopes the simulator grants; other requested scopes (Graph scopes, and
/// `offline_access`: the simulator issues no refresh tokens) are ignored.
const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

struct AuthorizeRequest {
    /// None for `organizations`.
    tenant_id: Option<String>,
    client_id: String,
    redirect_uri: String,
    /// The granted OpenID Connect scopes, space separated, in request order.
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    prompt: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> HttpResponse {
    let params = flow::params(&req, None);
    let request = match validate(&req, &sim, &path, &params) {
        Ok(r) => r,
        Err(res) => return *res,
    };
    let signed_in = session::current(&sim, &req).and_then(|s| {
        let world = sim.read();
        let user = world.tenant(&s.tenant_id)?.user(&s.user_id)?;
        Some((s.tenant_id.clone(), user.upn.clone()))
    });
    if request.prompt.as_deref() == Some("none") {
        // Silent sign-in: the session's user, or login_required.
        return match signed_in {
            Some((_, upn)) => accept(&req, &sim, &request, &upn),
            None => error_redirect(
                &req,
                &request,
                "login_required",
                50058,
                "A silent sign-in request was sent but no user is signed in.",
            ),
        };
    }
    page(
        &sim,
        &request,
        StatusCode::OK,
        signed_in.map(|(_, upn)| upn).as_deref(),
        None,
    )
}

pub async fn submit(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let params = flow::params(&req, Some(&body));
    let request = match validate(&req, &sim, &path, &params) {
        Ok(r) => r,
        Err(res) => return *res,
    };
    let user = http::query_get(&params, "user").unwrap_or("").trim();
    match http::query_get(&params, "action").unwrap_or("") {
        "cancel" => error_redirect(
            &req,
            &request,
            "access_denied",
            65004,
            "The resource owner or authorization server denied the request. User declined to consent to access the app.",
        ),
        "accept" => accept(&req, &sim, &request, user),
        other => flow::error_page(
            StatusCode::BAD_REQUEST,
            900144,
            &format!("The request body must contain the following parameter: 'action' (accept or cancel); got '{other}'."),
        ),
    }
}

fn page(
    sim: &Simulator,
    request: &AuthorizeRequest,
    status: StatusCode,
    selected: Option<&str>,
    error: Option<(u32, &str)>,
) -> HttpResponse {
    let groups = user_groups(sim, request.tenant_id.as_deref());
    let error = error.map(|(code, message)| {
        super::errors::describe(code, message, &http::new_id(), &http::new_id())
    });
    flow::html(
        status,
        pages::sign_in(
            &sim.inner.app.display_name,
            &groups,
            selected,
            error.as_deref(),
        ),
    )
}

fn accept(
    req: &HttpRequest,
    sim: &Simulator,
    request: &AuthorizeRequest,
    upn: &str,
) -> HttpResponse {
    if upn.is_empty() {
        let message = flow::missing_parameter_message("user");
        return page(
            sim,
            request,
            StatusCode::BAD_REQUEST,
            None,
            Some((900144, &message)),
        );
    }
    let found = {
        let world = sim.read();
        world
            .find_user(upn, request.tenant_id.as_deref())
            .map(|(home, user)| {
                let foreign = request.tenant_id.as_deref().is_some_and(|id| id != home.id);
                let refusal = foreign.then(|| {
                    let resource = request
                        .tenant_id
                        .as_deref()
                        .and_then(|id| world.tenant(id))
                        .map(|t| t.name.clone())
                        .unwrap_or_default();
                    flow::other_directory_message(sim, &user.upn, home, &resource)
                });
                (home.id.clone(), user.clone(), refusal)
            })
    };
    let Some((tenant_id, user, refusal)) = found else {
        let message = flow::unknown_user_message(upn);
        return page(
            sim,
            request,
            StatusCode::BAD_REQUEST,
            Some(upn),
            Some((50034, &message)),
        );
    };
    if !user.account_enabled {
        return page(
            sim,
            request,
            StatusCode::BAD_REQUEST,
            None,
            Some((50057, flow::DISABLED_USER_MESSAGE)),
        );
    }
    if let Some(message) = refusal {
        tracing::info!(home = %tenant_id, "sign-in refused: user of another directory");
        return error_redirect(req, request, flow::OTHER_DIRECTORY_ERROR, 50020, &message);
    }
    let code = sim.sessions().issue_code(
        AuthCode {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            scope: request.scope.clone(),
            tenant_id: tenant_id.clone(),
            user_id: user.id.clone(),
            issued: Instant::now(),
            redeemed: false,
        },
        Instant::now(),
    );
    tracing::info!(tenant = %tenant_id, "user signed in; authorization code issued");
    let session_state = http::new_id();
    let mut query = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        query.push(("state", s));
    }
    query.push(("session_state", &session_state));
    let mut res = flow::redirect_builder(&request.redirect_uri, &query);
    session::sign_in(sim, req, &mut res, &tenant_id, &user.id);
    res.finish()
}

fn error_redirect(
    req: &HttpRequest,
    request: &AuthorizeRequest,
    error: &str,
    code: u32,
    message: &str,
) -> HttpResponse {
    flow::error_redirect(
        req,
        &request.redirect_uri,
        request.state.as_deref(),
        false,
        ErrorRedirect {
            error,
            subcode: None,
            code,
            message,
        },
    )
}

/// Client, tenant and redirect URI problems are error pages; once the redirect URI is trusted,
/// protocol problems go back to the app as error redirects.
fn validate(
    req: &HttpRequest,
    sim: &Simulator,
    tenant_param: &str,
    params: &[(String, String)],
) -> Result<AuthorizeRequest, Box<HttpResponse>> {
    let client = flow::validate_client(sim, tenant_param, params)?;
    let get = |k: &str| http::query_get(params, k).filter(|v| !v.is_empty());
    let state = get("state").map(str::to_string);
    let fail = |error: &str, code: u32, message: &str| {
        Box::new(flow::error_redirect(
            req,
            &client.redirect_uri,
            state.as_deref(),
            false,
            ErrorRedirect {
                error,
                subcode: None,
                code,
                message,
            },
        ))
    };
    let missing = |name: &str| {
        fail(
            "invalid_request",
            900144,
            &flow::missing_parameter_message(name),
        )
    };
    let Some(response_type) = get("response_type") else {
        return Err(missing("response_type"));
    };
    if response_type != "code" {
        return Err(fail(
            "unsupported_response_type",
            700054,
            &format!("response_type '{response_type}' is not enabled for the application."),
        ));
    }
    let Some(scope) = get("scope") else {
        return Err(missing("scope"));
    };
    let requested: Vec<&str> = scope.split_whitespace().collect();
    if !requested.contains(&"openid") {
        // UNCONFIRMED pairing: Microsoft would issue a plain OAuth code; the simulator only
        // signs people in, so it requires `openid`.
        return Err(fail(
            "invalid_scope",
            70011,
            &format!("The provided value for the input parameter 'scope' is not valid. The scope '{scope}' does not include 'openid'."),
        ));
    }
    let granted: Vec<&str> = requested
        .iter()
        .copied()
        .filter(|s| OIDC_SCOPES.contains(s))
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) {
                acc.push(s);
            }
            acc
        });
    // PKCE. Microsoft requires it for public clients and accepts `plain`; the simulator requires
    // S256 always, as the portal must send it. UNCONFIRMED: the AADSTS codes for a missing
    // challenge / a method other than S256.
    let Some(code_challenge) = get("code_challenge") else {
        return Err(missing("code_challenge"));
    };
    let method = get("code_challenge_method").unwrap_or("plain");
    if method != "S256" {
        return Err(fail(
            "invalid_request",
            501491,
            &format!(
                "Invalid code_challenge_method '{method}': the simulator accepts only 'S256'."
            ),
        ));
    }
    let well_formed = code_challenge.len() == 43
        && code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(fail(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter.",
        ));
    }
    let prompt = get("prompt").map(str::to_string);
    if let Some(p) = &prompt {
        if !["login", "select_account", "consent", "none"].contains(&p.as_str()) {
            return Err(fail(
                "invalid_request",
                90023,
                &format!("Invalid prompt parameter value '{p}'."),
            ));
        }
    }
    Ok(AuthorizeRequest {
        tenant_id: client.tenant_id,
        client_id: sim.inner.app.client_id.clone(),
        redirect_uri: client.redirect_uri,
        scope: granted.join(" "),
        state,
        nonce: get("nonce").map(str::to_string),
        code_challenge: code_challenge.to_string(),
        prompt,
    })
}
