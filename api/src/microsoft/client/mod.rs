//! The production Microsoft client: app tokens from the identity platform and typed Graph
//! calls, with timeouts, retries, throttling, paging, tracing and metrics.
//!
//! The client knows two base URLs and nothing else about its peer; Microsoft and anything that
//! speaks the same wire format (CONTRACT sections 1, 3 and 4) are the same to it.
//!
//! - `config`: [`ClientConfig`], [`CallPolicy`]
//! - `error`: [`MsError`], [`aadsts_code`]
//! - `retry`: the call loop (attempts, backoff, `Retry-After`, deadline)
//! - `tokens`: the per-tenant token cache and claims
//! - `sign_in`: OpenID Connect sign-in of the customer's admin (who consents, in which tenant)
//! - `consent`: the admin-consent URL and callback
//! - `graph`, `paging`, `policies`: the Graph calls; `wire`: their JSON

use std::{fmt, sync::Arc};

use secrecy::SecretString;
use url::Url;

mod config;
mod consent;
mod error;
mod graph;
mod metrics;
mod paging;
mod policies;
mod retry;
mod sign_in;
mod tokens;
mod wire;

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod sign_in_tests;
#[cfg(test)]
mod telephony_tests;
#[cfg(test)]
mod tests;

pub use config::{CallPolicy, ClientConfig};
pub use consent::{parse_consent_callback, ConsentOutcome};
pub use error::{aadsts_code, MsError};
pub use graph::Probe;
pub use shared::voice_profiles::PolicyType;
pub use sign_in::{parse_sign_in_callback, SignInOutcome, SignInRequest, SignedIn};
pub use tokens::{AppToken, AppTokenClaims};
pub use wire::{
    ActivationState, AssignNumber, AssignedLicense, AssignedPlan, AssignmentCategory,
    AssignmentStatus, DeltaPage, EffectivePolicyAssignment, GraphUser, NumberAssignment,
    NumberType, Operation, OperationNumber, OperationRef, OperationStatus, Organization,
    PolicyAssignment, TenantInformation, UserConfiguration, UserTelephoneNumber, VerifiedDomain,
};

/// The scope of every app token: all the Graph application permissions consented to.
pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The Microsoft client; cheap to clone (one HTTP connection pool and token cache inside).
#[derive(Clone)]
pub struct MicrosoftClient {
    inner: Arc<Inner>,
}

struct Inner {
    caller: retry::Caller,
    login: Url,
    graph: Url,
    client_id: String,
    client_secret: SecretString,
    tokens: tokens::TokenCache,
}

impl fmt::Debug for MicrosoftClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftClient")
            .field("login", &self.inner.login.as_str())
            .field("graph", &self.inner.graph.as_str())
            .field("client_id", &self.inner.client_id)
            .field("policy", &self.inner.caller.policy)
            .finish_non_exhaustive()
    }
}

impl MicrosoftClient {
    /// Checks the base URLs, builds the HTTP client and, given a registry, registers
    /// `microsoft_calls_total` and `microsoft_call_duration_seconds` in it.
    pub fn new(
        config: ClientConfig,
        policy: CallPolicy,
        registry: Option<&prometheus::Registry>,
    ) -> Result<MicrosoftClient, MsError> {
        let login = base_url("login_url", &config.login_url)?;
        let graph = base_url("graph_url", &config.graph_url)?;
        if config.client_id.trim().is_empty() {
            return Err(MsError::Config("client_id is empty".to_owned()));
        }
        let metrics = registry.map(metrics::Metrics::register).transpose()?;
        Ok(MicrosoftClient {
            inner: Arc::new(Inner {
                caller: retry::Caller::new(policy, metrics)?,
                login,
                graph,
                client_id: config.client_id,
                client_secret: config.client_secret,
                tokens: tokens::TokenCache::default(),
            }),
        })
    }
}

/// An http(s) base URL without query or fragment (a path prefix is allowed).
fn base_url(name: &str, value: &str) -> Result<Url, MsError> {
    let url = Url::parse(value.trim())
        .map_err(|e| MsError::Config(format!("{name} {value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(MsError::Config(format!(
            "{name} {value:?} is not an http(s) URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(MsError::Config(format!(
            "{name} {value:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

/// `base` with `segments` appended, each percent-encoded as one path segment.
pub(crate) fn endpoint_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        // Bases are checked to be http(s) URLs, which always have path segments.
        path.pop_if_empty().extend(segments);
    }
    url
}
