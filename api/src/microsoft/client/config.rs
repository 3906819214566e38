//! What the client needs to know: where Microsoft is, who we are, and how patient to be.

use std::{fmt, time::Duration};

use secrecy::SecretString;

/// Where the identity platform and Graph are, and the app's credentials. The client knows
/// nothing else about its peer: pointing the two URLs elsewhere is all it takes to talk to a
/// different implementation of the same wire format.
pub struct ClientConfig {
    /// The identity platform, e.g. `https://login.microsoftonline.com` (no trailing slash).
    pub login_url: String,
    /// Microsoft Graph, e.g. `https://graph.microsoft.com`.
    pub graph_url: String,
    /// The multi-tenant app's client (application) id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("login_url", &self.login_url)
            .field("graph_url", &self.graph_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// Timeouts, retries and token caching for every call.
#[derive(Clone, Debug)]
pub struct CallPolicy {
    /// One HTTP attempt, body included.
    pub request_timeout: Duration,
    /// One call, all attempts and waits included (for a paged stream: one page).
    pub deadline: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff bound; doubles per attempt, with full jitter.
    pub backoff_base: Duration,
    /// Largest backoff bound.
    pub backoff_max: Duration,
    /// Cached tokens are replaced this long before they expire.
    pub token_refresh_margin: Duration,
}

impl Default for CallPolicy {
    fn default() -> CallPolicy {
        CallPolicy {
            request_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            max_attempts: 5,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            token_refresh_margin: Duration::from_secs(5 * 60),
        }
    }
}
