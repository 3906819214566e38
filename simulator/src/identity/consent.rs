//! `GET|POST /{tenant}/v2.0/adminconsent`: the admin-consent page (CONTRACT.md section 1).
//! GET shows the page; POST (the buttons, or a script) with `user` (UPN) and `action`
//! (`accept`, `cancel`, or `back` from the "Need admin approval" page) decides.
//!
//! Single sign-on: after an OpenID Connect sign-in (`signin.rs`) the `ESTSAUTH` cookie names the
//! user, and the page shows "Signed in as ..." instead of the picker when that user belongs to
//! the consent URL's tenant (any organization for `organizations`).
//!
//! Every error redirect carries `error`, `error_description`, `error_uri`, `admin_consent=True`
//! and `state`, never `tenant`. Errors before the redirect URI is trusted, an unknown user and a
//! disabled one are error pages.

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{
    errors::describe,
    flow::{self, ErrorRedirect},
    pages::{self, Account, UserGroup},
    session,
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
    let app = &sim.inner.app;
    let choose = http::query_get(&params, "prompt").is_some_and(|p| p == "select_account");
    let signed_in = signed_in_user(&sim, &req, consent.tenant_id.as_deref());
    let groups;
    let switch_href;
    let account = match &signed_in {
        Some((name, upn)) if !choose => {
            switch_href = format!("{}?{}", req.path(), with_prompt(&params));
            Account::SignedIn {
                name,
                upn,
                switch_href: &switch_href,
            }
        }
        _ => {
            groups = user_groups(&sim, consent.tenant_id.as_deref());
            Account::Picker {
                groups: &groups,
                selected: signed_in.as_ref().map(|(_, upn)| upn.as_str()),
            }
        }
    };
    flow::html(
        StatusCode::OK,
        pages::consent(&app.display_name, "unverified", &app.permissions, &account),
    )
}

/// The query with `prompt=select_account` (replacing any `prompt`).
fn with_prompt(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("prompt"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("prompt", "select_account"));
    http::query_string(&pairs)
}

/// (display name, UPN) of the session's user when it may consent here: a user of the consent
/// URL's tenant, or of any tenant for `organizations`.
fn signed_in_user(
    sim: &Simulator,
    req: &HttpRequest,
    tenant_id: Option<&str>,
) -> Option<(String, String)> {
    let s = session::current(sim, req)?;
    if tenant_id.is_some_and(|id| id != s.tenant_id) {
        return None;
    }
    let world = sim.read();
    let user = world.tenant(&s.tenant_id)?.user(&s.user_id)?;
    user.account_enabled
        .then(|| (user.display_name.clone(), user.upn.clone()))
}

pub async fn submit(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    // The protocol parameters come in the query (the page posts to its own URL); a script may
    // also send them in the body.
    let params = flow::params(&req, Some(&body));
    let consent = match validate(&sim, &path, &params) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    let action = http::query_get(&params, "action").unwrap_or("");
    let posted = http::query_get(&params, "user").unwrap_or("").trim();
    match action {
        "cancel" => redirect_error(
            &req,
            &consent,
            "access_denied",
            None,
            65004,
            "The resource owner or authorization server denied the request. User declined to consent to access the app.",
        ),
        // "Back to app" from the "Need admin approval" page: whether Microsoft redirects at
        // all is UNCONFIRMED (CONTRACT.md); if it does, the page's own code (AADSTS90094) is
        // what tells this apart from a person who cancelled (issue 17's review).
        "back" => redirect_error(
            &req,
            &consent,
            "access_denied",
            Some("cancel"),
            90094,
            "Admin consent is required for the permissions requested by this application.",
        ),
        "accept" => {
            // A posted user wins; otherwise the signed-in session's user.
            let user = if posted.is_empty() {
                signed_in_user(&sim, &req, consent.tenant_id.as_deref())
                    .map(|(_, upn)| upn)
                    .unwrap_or_default()
            } else {
                posted.to_string()
            };
            accept(&req, &sim, &consent, &user)
        }
        other => flow::error_page(
            StatusCode::BAD_REQUEST,
            900144,
            &format!("The request body must contain the following parameter: 'action' (accept or cancel); got '{other}'."),
        ),
    }
}

fn accept(req: &HttpRequest, sim: &Simulator, consent: &ConsentRequest, upn: &str) -> HttpResponse {
    if upn.is_empty() {
        return flow::missing_parameter_page("user");
    }
    let app = &sim.inner.app;
    let mut world = sim.write();
    let Some((home, user)) = world
        .find_user(upn, consent.tenant_id.as_deref())
        .map(|(t, u)| (t, u.clone()))
    else {
        return flow::error_page(
            StatusCode::BAD_REQUEST,
            50034,
            &flow::unknown_user_message(upn),
        );
    };
    if !user.account_enabled {
        return flow::error_page(StatusCode::BAD_REQUEST, 50057, flow::DISABLED_USER_MESSAGE);
    }
    // A user of another directory, or a personal account (which has no directory to consent
    // for), cannot grant consent: AADSTS50020 back to the app.
    let foreign = consent.tenant_id.as_deref().is_some_and(|id| id != home.id);
    if foreign || home.personal {
        let resource = match &consent.tenant_id {
            Some(id) => world.tenant(id).map(|t| t.name.clone()).unwrap_or_default(),
            None => home.name.clone(),
        };
        let message = flow::other_directory_message(sim, &user.upn, home, &resource);
        tracing::info!(home = %home.id, "admin consent refused: user of another directory");
        return redirect_error(
            req,
            consent,
            flow::OTHER_DIRECTORY_ERROR,
            None,
            50020,
            &message,
        );
    }
    let home_id = home.id.clone();
    let Some(tenant) = world.tenant_mut(&home_id) else {
        return flow::error_page(
            StatusCode::BAD_REQUEST,
            50034,
            &flow::unknown_user_message(upn),
        );
    };
    let is_admin = can_grant_consent(&tenant.roles_of(&user.id));
    if is_admin {
        tenant.consent(&app.client_id, &app.display_name, &app.permissions);
        tracing::info!(tenant = %tenant.id, "admin consent granted");
    } else {
        tracing::info!(tenant = %tenant.id, "admin consent refused: not an admin");
    }
    drop(world);
    // Signing in on this page starts a session, as at Microsoft.
    let mut res = if is_admin {
        let mut query = vec![
            ("admin_consent", "True"),
            ("tenant", home_id.as_str()),
            ("scope", consent.scope.as_str()),
        ];
        if let Some(s) = &consent.state {
            query.push(("state", s));
        }
        flow::redirect_builder(&consent.redirect_uri, &query)
    } else {
        let mut res = HttpResponse::Ok();
        res.content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store, no-cache"));
        res
    };
    session::sign_in(sim, req, &mut res, &home_id, &user.id);
    if is_admin {
        return res.finish();
    }
    let description = describe(
        90094,
        "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.",
        &http::new_id(),
        &http::new_id(),
    );
    res.body(pages::need_approval(
        &app.display_name,
        &user.upn,
        &description,
    ))
}

fn validate(
    sim: &Simulator,
    tenant_param: &str,
    params: &[(String, String)],
) -> Result<ConsentRequest, Box<HttpResponse>> {
    let client = flow::validate_client(sim, tenant_param, params)?;
    let Some(scope) = http::query_get(params, "scope").filter(|s| !s.is_empty()) else {
        return Err(Box::new(flow::missing_parameter_page("scope")));
    };
    Ok(ConsentRequest {
        tenant_id: client.tenant_id,
        redirect_uri: client.redirect_uri,
        scope: scope.to_string(),
        state: http::query_get(params, "state").map(str::to_string),
    })
}

/// Users to pick from: per tenant, its administrators and a sample of the others; the personal
/// accounts are listed last, labelled as such.
pub fn user_groups(sim: &Simulator, only: Option<&str>) -> Vec<UserGroup> {
    let world = sim.read();
    let mut groups: Vec<(bool, UserGroup)> = world
        .tenants
        .iter()
        .filter(|t| only.is_none_or(|id| id == t.id))
        .map(|t| {
            let group = if t.personal {
                UserGroup {
                    label: "Personal Microsoft accounts (not a work or school account)".into(),
                    users: t
                        .users
                        .iter()
                        .take(SAMPLE_USERS)
                        .map(|u| {
                            (
                                u.upn.clone(),
                                format!("{} ({}) — Personal account", u.display_name, u.upn),
                            )
                        })
                        .collect(),
                }
            } else {
                UserGroup {
                    label: format!("{} ({})", t.name, t.domain),
                    users: sample_users(t, SAMPLE_USERS),
                }
            };
            (t.personal, group)
        })
        .collect();
    groups.sort_by_key(|(personal, _)| *personal);
    groups.into_iter().map(|(_, g)| g).collect()
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

fn redirect_error(
    req: &HttpRequest,
    consent: &ConsentRequest,
    error: &str,
    subcode: Option<&str>,
    code: u32,
    message: &str,
) -> HttpResponse {
    flow::error_redirect(
        req,
        &consent.redirect_uri,
        consent.state.as_deref(),
        true,
        ErrorRedirect {
            error,
            subcode,
            code,
            message,
        },
    )
}
