//! Admin consent (CONTRACT section 1): the URL that sends a customer's admin to Microsoft, and
//! the typed outcome of the redirect that comes back.

use std::collections::HashMap;

use super::{endpoint_url, error::aadsts_code, MicrosoftClient, GRAPH_SCOPE};

/// What the admin-consent redirect says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// `admin_consent=True` and no error. `tenant` is informational only: confirm it with a
    /// token before trusting it.
    Granted { tenant: String, state: String },
    /// The admin cancelled (`access_denied`, AADSTS65004, no `error_subcode`).
    Declined {
        state: Option<String>,
        code: Option<u32>,
        description: String,
    },
    /// A non-admin needs an admin's approval (AADSTS90094 / 90095, or `error_subcode=cancel`
    /// from the admin-consent request workflow).
    ApprovalRequired {
        state: Option<String>,
        code: Option<u32>,
        description: String,
    },
    /// Any other error.
    Failed {
        state: Option<String>,
        error: String,
        code: Option<u32>,
        description: String,
    },
    /// Neither success nor error, both at once, a missing `state` or `tenant` on success, or a
    /// repeated parameter: refused.
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

/// Parses the query string (without `?`) of the redirect back from admin consent.
pub fn parse_consent_callback(query: &str) -> ConsentOutcome {
    let mut params: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        if params
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return invalid(format!("the parameter {name} appears more than once"));
        }
    }
    let get = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let state = get("state");
    match (get("admin_consent"), get("error")) {
        (Some(_), Some(_)) => invalid("both success and error parameters are present".to_owned()),
        (None, None) => invalid("neither admin_consent nor error is present".to_owned()),
        (Some(consent), None) => {
            if !consent.eq_ignore_ascii_case("true") {
                return invalid(format!("admin_consent is {consent:?}, not True"));
            }
            match (get("tenant"), state) {
                (Some(tenant), Some(state)) => ConsentOutcome::Granted { tenant, state },
                (None, _) => invalid("the tenant is missing".to_owned()),
                (_, None) => invalid("the state is missing".to_owned()),
            }
        }
        (None, Some(error)) => {
            let description = get("error_description").unwrap_or_default();
            let code = aadsts_code(&description);
            let subcode = get("error_subcode");
            if subcode
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("cancel"))
                || matches!(code, Some(90094 | 90095))
            {
                ConsentOutcome::ApprovalRequired {
                    state,
                    code,
                    description,
                }
            } else if error == "access_denied" && code == Some(65004) && subcode.is_none() {
                ConsentOutcome::Declined {
                    state,
                    code,
                    description,
                }
            } else {
                ConsentOutcome::Failed {
                    state,
                    error,
                    code,
                    description,
                }
            }
        }
    }
}

fn invalid(reason: String) -> ConsentOutcome {
    ConsentOutcome::Invalid { reason }
}
