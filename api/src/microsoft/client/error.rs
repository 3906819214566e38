//! `MsError`: every way a call to Microsoft can fail, typed so callers branch on codes
//! (AADSTS numbers, Graph `code`), never on messages. The server maps it to its own errors.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum MsError {
    /// The identity platform refused (400/401 JSON with `error`, `error_codes`,
    /// `error_description`): e.g. `unauthorized_client` 700016 (no consent / revoked),
    /// `invalid_client` 7000215/7000222 (our secret), `invalid_tenant` 90002.
    #[error("identity platform refused ({status} {error}, AADSTS{}): {description}", code.map_or_else(|| "?".to_owned(), |c| c.to_string()))]
    Identity {
        status: u16,
        error: String,
        code: Option<u32>,
        description: String,
    },
    /// Graph refused: branch on `code` (e.g. `Authorization_RequestDenied`,
    /// `InvalidAuthenticationToken`, `Request_ResourceNotFound`).
    #[error("Microsoft Graph refused ({status} {code}): {message}")]
    Graph {
        status: u16,
        code: String,
        message: String,
    },
    /// Throttled (429, or 503 with `Retry-After`) and the wait would pass the deadline, or
    /// attempts ran out while throttled.
    #[error("throttled by Microsoft (retry after {retry_after:?})")]
    Throttled { retry_after: Option<Duration> },
    /// 5xx, 504, connection errors or per-attempt timeouts until attempts ran out.
    #[error("Microsoft is unavailable ({}): {detail}", status.map_or_else(|| "no answer".to_owned(), |s| s.to_string()))]
    Unavailable { status: Option<u16>, detail: String },
    /// The overall deadline passed (includes a hanging server).
    #[error("the call to Microsoft did not finish before its deadline")]
    DeadlineExceeded,
    /// The answer was not the JSON we expect.
    #[error("unexpected answer from Microsoft: {0}")]
    Malformed(String),
    /// An ID token that fails validation (signature, issuer, audience, lifetime, nonce).
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
    /// Bad configuration (e.g. an unparsable base URL).
    #[error("Microsoft client configuration: {0}")]
    Config(String),
}

impl MsError {
    /// The AADSTS code of an identity platform refusal.
    pub fn aadsts(&self) -> Option<u32> {
        match self {
            MsError::Identity { code, .. } => *code,
            _ => None,
        }
    }

    /// The Graph error `code` of a Graph refusal.
    pub fn graph_code(&self) -> Option<&str> {
        match self {
            MsError::Graph { code, .. } => Some(code),
            _ => None,
        }
    }

    /// How long Microsoft asked us to wait, when it throttled us.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            MsError::Throttled { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// A missing permission or role: any Graph 403, whatever its `code` (`forbidden`,
    /// `Authorization_RequestDenied`, `UnknownError` wrapping a Forbidden; TELEPHONY
    /// correction 1).
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, MsError::Graph { status: 403, .. })
    }

    /// A `users/delta` link Graph no longer honours: `410 Gone` (any code), or a 4xx with
    /// `syncStateNotFound` / `resyncRequired`. The caller restarts with a full sync.
    pub fn is_delta_expired(&self) -> bool {
        match self {
            MsError::Graph { status: 410, .. } => true,
            MsError::Graph { status, code, .. } if (400..500).contains(status) => {
                ["syncStateNotFound", "resyncRequired"]
                    .iter()
                    .any(|known| code.trim().eq_ignore_ascii_case(known))
            }
            _ => false,
        }
    }
}

/// The AADSTS code an error description carries: `"AADSTS65004: ..."` -> `65004`.
pub fn aadsts_code(description: &str) -> Option<u32> {
    let start = description.find("AADSTS")? + "AADSTS".len();
    let digits: String = description[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Which error body a service sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Identity,
    Graph,
}

#[derive(Deserialize)]
struct IdentityErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorDetail,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
}

/// The typed refusal in a non-success answer, or `Malformed` when the body is not the
/// service's error JSON.
pub(crate) fn refusal(service: Service, status: u16, body: &[u8]) -> MsError {
    match service {
        Service::Identity => match serde_json::from_slice::<IdentityErrorBody>(body) {
            Ok(e) => MsError::Identity {
                status,
                code: e
                    .error_codes
                    .first()
                    .copied()
                    .or_else(|| aadsts_code(&e.error_description)),
                error: e.error,
                description: e.error_description,
            },
            Err(_) => MsError::Malformed(format!(
                "HTTP {status} from the identity platform without its error JSON: {}",
                snippet(body)
            )),
        },
        Service::Graph => match serde_json::from_slice::<GraphErrorBody>(body) {
            Ok(e) => MsError::Graph {
                status,
                code: e.error.code,
                message: e.error.message,
            },
            // `410 Gone` (a delta resync) means the same with or without a body.
            Err(_) if status == 410 => MsError::Graph {
                status,
                code: String::new(),
                message: snippet(body),
            },
            Err(_) => MsError::Malformed(format!(
                "HTTP {status} from Graph without its error JSON: {}",
                snippet(body)
            )),
        },
    }
}

/// A short, printable start of a body, for error details and logs.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}
