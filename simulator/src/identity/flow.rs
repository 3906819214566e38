//! What the browser-facing endpoints (`authorize`, `adminconsent`) share: validating the client
//! and its redirect URI, error pages (no redirect), error redirects in Microsoft's shape
//! (CONTRACT.md sections 1 and 2), and the AADSTS50020 text.

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};

use super::{errors::describe, pages};
use crate::{
    http,
    state::{Tenant, PERSONAL_ACCOUNTS_DOMAIN},
    Simulator,
};

/// The `error` sent with AADSTS50020 (a user from another directory). CONTRACT section 1 says
/// "the same shape" as the cancel redirect. UNCONFIRMED: the exact `error` value.
pub const OTHER_DIRECTORY_ERROR: &str = "access_denied";

/// The client and redirect URI of a browser request, validated.
pub struct Client {
    /// None for `organizations`: any organization's users may sign in.
    pub tenant_id: Option<String>,
    pub redirect_uri: String,
}

/// The identity platform's base URL as the caller addressed us.
pub fn login_base(req: &HttpRequest) -> String {
    format!("{}/_microsoft/login", http::origin(req))
}

/// Request parameters: the query (pages post to their own URL), then form fields of a POST body.
pub fn params(req: &HttpRequest, body: Option<&[u8]>) -> Vec<(String, String)> {
    let mut params = http::query_pairs(req);
    if let Some(body) = body {
        params.extend(
            url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
    }
    params
}

/// Checks `client_id`, the tenant segment and `redirect_uri`; failures are error pages, never
/// redirects (the redirect URI cannot be trusted yet).
pub fn validate_client(
    sim: &Simulator,
    tenant_param: &str,
    params: &[(String, String)],
) -> Result<Client, Box<HttpResponse>> {
    let app = &sim.inner.app;
    let Some(client_id) = http::query_get(params, "client_id").filter(|s| !s.is_empty()) else {
        return Err(Box::new(missing_parameter_page("client_id")));
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
    Ok(Client {
        tenant_id,
        redirect_uri,
    })
}

pub fn missing_parameter_message(name: &str) -> String {
    format!("The request body must contain the following parameter: '{name}'.")
}

pub fn missing_parameter_page(name: &str) -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        900144,
        &missing_parameter_message(name),
    )
}

/// An error redirect: `error`, `error_subcode`?, `error_description` (AADSTS code and trace
/// lines), `error_uri`, `admin_consent=True` (admin-consent endpoint only), `state`. Never
/// `tenant`.
pub struct ErrorRedirect<'a> {
    pub error: &'a str,
    pub subcode: Option<&'a str>,
    pub code: u32,
    pub message: &'a str,
}

pub fn error_redirect(
    req: &HttpRequest,
    redirect_uri: &str,
    state: Option<&str>,
    admin_consent: bool,
    e: ErrorRedirect<'_>,
) -> HttpResponse {
    let description = describe(e.code, e.message, &http::new_id(), &http::new_id());
    let error_uri = format!("{}/error?code={}", login_base(req), e.code);
    let mut query = vec![("error", e.error)];
    if let Some(s) = e.subcode {
        query.push(("error_subcode", s));
    }
    query.push(("error_description", description.as_str()));
    query.push(("error_uri", error_uri.as_str()));
    if admin_consent {
        query.push(("admin_consent", "True"));
    }
    if let Some(s) = state {
        query.push(("state", s));
    }
    redirect(redirect_uri, &query)
}

/// `302` to `redirect_uri` with the query appended.
pub fn redirect(redirect_uri: &str, query: &[(&str, &str)]) -> HttpResponse {
    redirect_builder(redirect_uri, query).finish()
}

pub fn redirect_builder(
    redirect_uri: &str,
    query: &[(&str, &str)],
) -> actix_web::HttpResponseBuilder {
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", http::query_string(query));
    let mut res = HttpResponse::Found();
    res.insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store, no-cache"));
    res
}

pub fn error_page(status: StatusCode, code: u32, message: &str) -> HttpResponse {
    let description = describe(code, message, &http::new_id(), &http::new_id());
    html(status, pages::error("Sign in", &description))
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store, no-cache"))
        .body(body)
}

/// The identity provider Microsoft names for a user's home directory.
pub fn identity_provider(home: &Tenant) -> String {
    if home.personal {
        PERSONAL_ACCOUNTS_DOMAIN.to_string()
    } else {
        format!("https://sts.windows.net/{}/", home.id)
    }
}

/// AADSTS50020's message: `upn` (home directory `home`) is not a member of `resource_tenant`.
pub fn other_directory_message(
    sim: &Simulator,
    upn: &str,
    home: &Tenant,
    resource_tenant: &str,
) -> String {
    let app = &sim.inner.app;
    format!(
        "User account '{upn}' from identity provider '{}' does not exist in tenant '{resource_tenant}' and cannot access the application '{}'({}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
        identity_provider(home),
        app.client_id,
        app.display_name
    )
}

pub fn unknown_user_message(upn: &str) -> String {
    format!("The user account {upn} does not exist in the directory. To sign into this application, the account must be added to the directory.")
}

pub const DISABLED_USER_MESSAGE: &str =
    "The user account is disabled. The account has been disabled by an administrator.";
