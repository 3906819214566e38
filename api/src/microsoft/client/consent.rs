//! Admin consent (CONTRACT section 1): the URL that sends a customer's admin to Microsoft, and
//! the typed outcome of the redirect that comes back.

use std::collections::HashMap;

use super::{endpoint_url, error::aadsts_code, MicrosoftClient, GRAPH_SCOPE};

/// What the admin-consent redirect says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// `admin_consent=True` and no error. `tenant` is informational only: it must equal the
    /// `tid` of the person's validated ID token, and a token must confirm it.
    Granted { tenant: String, state: String },
    /// The person cancelled or declined: AADSTS65004 (whatever the `error`), or
    /// `error_subcode=cancel` without 90094/90095. The product calls it "cancelled".
    Declined {
        state: Option<String>,
        code: Option<u32>,
        description: String,
    },
    /// A non-admin needs an admin's approval (AADSTS90094 / 90095), even when they then
    /// clicked "Back to app" (`error_subcode=cancel`).
    ApprovalRequired {
        state: Option<String>,
        code: Option<u32>,
        description: String,
    },
    /// Someone from another directory, or a personal Microsoft account, signed in
    /// (AADSTS50020).
    WrongAccount {
        state: Option<String>,
        description: String,
    },
    /// Any other error.
    Failed {
        state: Option<String>,
        error: String,
        code: Option<u32>,
        description: String,
    },
    /// Neither success nor error, a missing `state` or `tenant` on success, or a repeated
    /// parameter: refused.
    Invalid { reason: String },
}

impl MicrosoftClient {
    /// `{login}/{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state`, URL-encoded.
    /// `tenant`: a tenant GUID, a verified domain or `organizations` (never `common`).
    pub fn admin_consent_url(&self, tenant: &str, redirect_uri: &str, state: &str) -> String {
        let mut url = endpoint_url(&self.inner.login, &[tenant, "v2.0", "adminconsent"]);
        url.query_pairs_mut()
            .append_pair("client_id", &self.inner.client_id)
            .append_pair("scope", GRAPH_SCOPE)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        url.into()
    }
}

/// The parameters of a redirect's query string (without `?`), each at most once: a repeated
/// parameter is refused, so that no reading of the URL can differ from ours.
pub(crate) fn single_params(query: &str) -> Result<HashMap<String, String>, String> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if params
            .insert(name.clone().into_owned(), value.to_owned())
            .is_some()
        {
            return Err(format!("the parameter {name} appears more than once"));
        }
    }
    Ok(params)
}

/// Parses the query string (without `?`) of the redirect back from admin consent.
///
/// Microsoft's error redirects carry `admin_consent=True` too (CONTRACT section 1), so an
/// `error` decides first and `admin_consent` alone never means success. An error is classified
/// by its AADSTS code, never by the `error` value alone: 90094/90095 need an admin's approval;
/// 65004, or `error_subcode=cancel` otherwise, is a cancellation.
pub fn parse_consent_callback(query: &str) -> ConsentOutcome {
    let params = match single_params(query) {
        Ok(p) => p,
        Err(reason) => return invalid(reason),
    };
    let get = |name: &str| params.get(name).cloned();
    let state = get("state");
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or_default();
        let code = aadsts_code(&description);
        let cancelled = get("error_subcode").is_some_and(|s| s.eq_ignore_ascii_case("cancel"));
        return if matches!(code, Some(90094 | 90095)) {
            ConsentOutcome::ApprovalRequired {
                state,
                code,
                description,
            }
        } else if code == Some(65004) || cancelled {
            ConsentOutcome::Declined {
                state,
                code,
                description,
            }
        } else if code == Some(50020) {
            ConsentOutcome::WrongAccount { state, description }
        } else {
            ConsentOutcome::Failed {
                state,
                error,
                code,
                description,
            }
        };
    }
    match get("admin_consent") {
        None => invalid("neither admin_consent nor error is present".to_owned()),
        Some(consent) if !consent.eq_ignore_ascii_case("true") => {
            invalid(format!("admin_consent is {consent:?}, not True"))
        }
        Some(_) => match (get("tenant"), state) {
            (Some(tenant), Some(state)) => ConsentOutcome::Granted { tenant, state },
            (None, _) => invalid("the tenant is missing".to_owned()),
            (_, None) => invalid("the state is missing".to_owned()),
        },
    }
}

fn invalid(reason: String) -> ConsentOutcome {
    ConsentOutcome::Invalid { reason }
}
