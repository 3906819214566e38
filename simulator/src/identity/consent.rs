//! `GET|POST /{tenant}/v2.0/adminconsent`: the admin-consent page (CONTRACT.md section 1).
//! GET shows the page; POST (the buttons, or a script) with `user` (UPN) and `action`
//! (`accept`, `cancel`, or `back` from the "Need admin approval" page) decides.

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{
    errors::describe,
    pages::{self, UserGroup},
};
use crate::{
    http,
    state::{can_grant_consent, role_name, Tenant},
    Simulator,
};

/// Ordinary users listed per tenant on the page (admins are always listed).
const SAMPLE_USERS: usize = 25;

struct ConsentRequest {
    /// None for `organizations`: any tenant's users may sign in.
    tenant_id: Option<String>,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> HttpResponse {
    let params = http::query_pairs(&req);
    let consent = match validate(&sim, &path, &params) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    let groups = user_groups(&sim, consent.tenant_id.as_deref());
    let app = &sim.inner.app;
    html(
        StatusCode::OK,
        pages::consent(&app.display_name, "unverified", &app.permissions, &groups),
    )
}

pub async fn submit(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    // The protocol parameters come in the query (the page posts to its own URL); a script may
    // also send them in the body.
    let mut params = http::query_pairs(&req);
    params
        .extend(url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    let consent = match validate(&sim, &path, &params) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    let action = http::query_get(&params, "action").unwrap_or("");
    let user = http::query_get(&params, "user").unwrap_or("").trim();
    match action {
        "cancel" => redirect_error(
            &consent,
            "The resource owner or authorization server denied the request. User declined to consent to access the app.",
            None,
        ),
        "back" => redirect_error(
            &consent,
            "User declined to consent to access the app.",
            Some("cancel"),
        ),
        "accept" => accept(&sim, &consent, user),
        other => error_page(
            StatusCode::BAD_REQUEST,
            900144,
            &format!("The request body must contain the following parameter: 'action' (accept or cancel); got '{other}'."),
        ),
    }
}

fn accept(sim: &Simulator, consent: &ConsentRequest, upn: &str) -> HttpResponse {
    if upn.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request body must contain the following parameter: 'user'.",
        );
    }
    let app = &sim.inner.app;
    let mut world = sim.write();
    let tenant = world.tenants.iter_mut().find(|t| {
        consent.tenant_id.as_deref().is_none_or(|id| id == t.id) && t.user(upn).is_some()
    });
    let Some(tenant) = tenant else {
        return error_page(
            StatusCode::BAD_REQUEST,
            50034,
            &format!("The user account {upn} does not exist in the directory. To sign into this application, the account must be added to the directory."),
        );
    };
    let Some(user) = tenant.user(upn).cloned() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            50034,
            "The user account does not exist.",
        );
    };
    if !user.account_enabled {
        return error_page(
            StatusCode::BAD_REQUEST,
            50057,
            "The user account is disabled.",
        );
    }
    if !can_grant_consent(&tenant.roles_of(&user.id)) {
        tracing::info!(tenant = %tenant.id, "admin consent refused: not an admin");
        let description = describe(
            90094,
            "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.",
            &http::new_id(),
            &http::new_id(),
        );
        return html(
            StatusCode::OK,
            pages::need_approval(&app.display_name, &user.upn, &description),
        );
    }
    tenant.consent(&app.client_id, &app.display_name, &app.permissions);
    tracing::info!(tenant = %tenant.id, "admin consent granted");
    let mut query = vec![
        ("admin_consent", "True"),
        ("tenant", tenant.id.as_str()),
        ("scope", consent.scope.as_str()),
    ];
    if let Some(s) = &consent.state {
        query.push(("state", s));
    }
    redirect(&consent.redirect_uri, &query)
}

fn validate(
    sim: &Simulator,
    tenant_param: &str,
    params: &[(String, String)],
) -> Result<ConsentRequest, Box<HttpResponse>> {
    let app = &sim.inner.app;
    let Some(client_id) = http::query_get(params, "client_id").filter(|s| !s.is_empty()) else {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )));
    };
    let tenant_id = if tenant_param.eq_ignore_ascii_case("organizations") {
        None
    } else {
        match sim.read().tenant(tenant_param) {
            Some(t) => Some(t.id.clone()),
            None => {
                return Err(Box::new(error_page(
                    StatusCode::BAD_REQUEST,
                    90002,
                    &format!("Tenant '{tenant_param}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
                )))
            }
        }
    };
    if !client_id.eq_ignore_ascii_case(&app.client_id) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
        )));
    }
    let redirect_uri = match http::query_get(params, "redirect_uri") {
        None | Some("") => app.redirect_uris.first().cloned().unwrap_or_default(),
        Some(uri) => uri.to_string(),
    };
    if !app.redirect_uris.contains(&redirect_uri) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            50011,
            &format!("The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", app.client_id),
        )));
    }
    let Some(scope) = http::query_get(params, "scope").filter(|s| !s.is_empty()) else {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )));
    };
    Ok(ConsentRequest {
        tenant_id,
        redirect_uri,
        scope: scope.to_string(),
        state: http::query_get(params, "state").map(str::to_string),
    })
}

/// Users to pick from: per tenant, its administrators and a sample of the others.
fn user_groups(sim: &Simulator, only: Option<&str>) -> Vec<UserGroup> {
    let world = sim.read();
    world
        .tenants
        .iter()
        .filter(|t| only.is_none_or(|id| id == t.id))
        .map(|t| UserGroup {
            label: format!("{} ({})", t.name, t.domain),
            users: sample_users(t, SAMPLE_USERS),
        })
        .collect()
}

/// (UPN, "Name (UPN) — role") for the admins and the first `sample` other enabled users.
pub fn sample_users(t: &Tenant, sample: usize) -> Vec<(String, String)> {
    let mut roles: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in &t.role_assignments {
        if let Some(name) = role_name(&a.role_definition_id) {
            roles.entry(a.principal_id.as_str()).or_default().push(name);
        }
    }
    let label = |u: &crate::state::User, role: &str| {
        (
            u.upn.clone(),
            format!("{} ({}) — {role}", u.display_name, u.upn),
        )
    };
    let mut out: Vec<(String, String)> = t
        .users
        .iter()
        .filter_map(|u| roles.get(u.id.as_str()).map(|r| label(u, &r.join(", "))))
        .collect();
    out.extend(
        t.users
            .iter()
            .filter(|u| u.account_enabled && !roles.contains_key(u.id.as_str()))
            .take(sample)
            .map(|u| label(u, "User")),
    );
    out
}

fn redirect_error(consent: &ConsentRequest, message: &str, subcode: Option<&str>) -> HttpResponse {
    let description = describe(65004, message, &http::new_id(), &http::new_id());
    let mut query = vec![("error", "access_denied")];
    if let Some(s) = subcode {
        query.push(("error_subcode", s));
    }
    query.push(("error_description", description.as_str()));
    if let Some(s) = &consent.state {
        query.push(("state", s));
    }
    redirect(&consent.redirect_uri, &query)
}

fn redirect(redirect_uri: &str, query: &[(&str, &str)]) -> HttpResponse {
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", http::query_string(query));
    HttpResponse::Found()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store, no-cache"))
        .finish()
}

fn error_page(status: StatusCode, code: u32, message: &str) -> HttpResponse {
    let description = describe(code, message, &http::new_id(), &http::new_id());
    html(status, pages::error("Sign in", &description))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}
