//! The Tenant Connect REST API, one typed function per endpoint over the `shared` DTOs.
//!
//! Every call goes through [`exchange`], which adds the bearer token (and an `Idempotency-Key`
//! where a change must happen once), sends JSON or CSV and turns any non-2xx answer into an
//! [`ApiError`] carrying the server's problem+json. Lists answer a [`Page`]; its `next` is
//! followed as is with [`next_page`], or to the end with [`rest_of`].
//!
//! The users and phone-service endpoints are in `api/directory.rs`, the number inventory in
//! `api/numbers.rs`, voice profiles in `api/voice_profiles.rs`, billing in `api/billing.rs`, the
//! audit log in `api/audit.rs` and webhooks in `api/webhooks.rs`; all are re-exported here.

use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken};
use shared::auth::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};
use shared::members::{InviteMemberRequest, InvitedMember, Member, UpdateMemberRequest};
use shared::paging::Page;
use shared::problem::{ConflictCode, Problem};
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};
use uuid::Uuid;

mod audit;
mod billing;
mod directory;
mod numbers;
mod voice_profiles;
mod webhooks;

pub use audit::*;
pub use billing::*;
pub use directory::*;
pub use numbers::*;
pub use voice_profiles::*;
pub use webhooks::*;

const BASE: &str = "/api/v1";

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server refused the request and said why (problem+json).
    Problem(Problem),
    /// The server answered an error status without a readable problem body.
    Status(u16),
    /// The request never got an answer (offline, server down, blocked).
    Network,
    /// The server answered 2xx but the body was not what this app expects.
    Unreadable,
}

impl ApiError {
    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(problem) => Some(problem.status),
            ApiError::Status(status) => Some(*status),
            ApiError::Network | ApiError::Unreadable => None,
        }
    }

    /// True when the session is over (the token is missing, expired or revoked).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// The `code` of a 409 Conflict, to branch on (never on the wording of `detail`). `None`
    /// for any other answer, or a code this app does not know yet.
    pub fn conflict(&self) -> Option<ConflictCode> {
        match self {
            ApiError::Problem(problem) if problem.status == 409 => {
                serde_json::from_value(serde_json::Value::String(problem.code.clone())).ok()
            }
            _ => None,
        }
    }

    /// What went wrong, in plain words for the page.
    pub fn message(&self) -> String {
        match self {
            ApiError::Problem(problem) if !problem.detail.trim().is_empty() => {
                problem.detail.clone()
            }
            ApiError::Problem(problem) if !problem.title.trim().is_empty() => problem.title.clone(),
            ApiError::Problem(problem) => status_message(problem.status),
            ApiError::Status(status) => status_message(*status),
            ApiError::Network => {
                "The server could not be reached. Check your connection and try again.".into()
            }
            ApiError::Unreadable => {
                "The server's answer could not be read. Reload the page and try again.".into()
            }
        }
    }

    /// The request id to quote to support, when the server gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Problem(problem) => problem.request_id.as_deref(),
            _ => None,
        }
    }
}

fn status_message(status: u16) -> String {
    match status {
        401 => "Your session has ended. Please sign in again.".into(),
        403 => "You do not have permission to do this.".into(),
        404 => "That item no longer exists.".into(),
        429 => "Too many requests. Wait a moment and try again.".into(),
        500..=599 => "The server ran into a problem. Try again in a moment.".into(),
        _ => format!("The request failed (status {status})."),
    }
}

/// One request as it goes out: the bearer token, an optional idempotency key and a body with
/// its content type.
struct Outgoing<'a> {
    method: Method,
    /// The full path, starting with [`BASE`].
    url: String,
    token: Option<&'a str>,
    /// What the answer should be (`application/json` unless set).
    accept: &'static str,
    idempotency_key: Option<Uuid>,
    /// Content type and body text.
    body: Option<(&'static str, String)>,
}

impl<'a> Outgoing<'a> {
    fn new(method: Method, path: &str, token: Option<&'a str>) -> Self {
        Outgoing {
            method,
            url: format!("{BASE}{path}"),
            token,
            accept: "application/json",
            idempotency_key: None,
            body: None,
        }
    }

    fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, serde_json::Error> {
        self.body = Some(("application/json", serde_json::to_string(body)?));
        Ok(self)
    }
}

/// A refused request: the error, and the body it came with (for a problem's extension members).
struct Refusal {
    error: ApiError,
    body: String,
}

/// Sends a request; the body text of a 2xx answer, or why it failed.
async fn exchange(outgoing: Outgoing<'_>) -> Result<String, Refusal> {
    let network = |_| Refusal {
        error: ApiError::Network,
        body: String::new(),
    };
    let mut builder = RequestBuilder::new(&outgoing.url)
        .method(outgoing.method)
        .header("Accept", outgoing.accept);
    if let Some(token) = outgoing.token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    if let Some(key) = outgoing.idempotency_key {
        builder = builder.header("Idempotency-Key", &key.to_string());
    }
    let request = match outgoing.body {
        Some((content_type, body)) => builder.header("Content-Type", content_type).body(body),
        None => builder.build(),
    }
    .map_err(network)?;
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let text = response.text().await.map_err(network)?;

    if !(200..300).contains(&status) {
        let error = match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => ApiError::Problem(problem),
            Err(_) => ApiError::Status(status),
        };
        return Err(Refusal { error, body: text });
    }
    Ok(text)
}

/// Reads a 2xx body; `None` when it is not a `T`. `T = ()` accepts an empty body (204).
fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).ok()
}

/// Sends a request and decodes the answer.
async fn send<T: DeserializeOwned>(outgoing: Outgoing<'_>) -> Result<T, ApiError> {
    let text = exchange(outgoing).await.map_err(|refusal| refusal.error)?;
    decode(&text).ok_or(ApiError::Unreadable)
}

/// Sends one request and decodes the answer. `T = ()` accepts an empty body (204).
async fn request<B, T>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<T, ApiError>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    let outgoing = Outgoing::new(method, path, token);
    let outgoing = match body {
        Some(body) => outgoing.json(body).map_err(|_| ApiError::Unreadable)?,
        None => outgoing,
    };
    send(outgoing).await
}

/// Like [`request`], with an `Idempotency-Key`: the server does a repeated request only once.
async fn request_once<B, T>(
    method: Method,
    path: &str,
    token: &str,
    idempotency_key: Uuid,
    body: Option<&B>,
) -> Result<T, ApiError>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    let mut outgoing = Outgoing::new(method, path, Some(token));
    outgoing.idempotency_key = Some(idempotency_key);
    let outgoing = match body {
        Some(body) => outgoing.json(body).map_err(|_| ApiError::Unreadable)?,
        None => outgoing,
    };
    send(outgoing).await
}

/// A fresh key for one attempt at a change (one click): a random (v4) UUID from the browser's
/// cryptographic generator.
pub fn new_idempotency_key() -> Uuid {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (very old browser): a key only needs to be unique, not secret.
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// `?name=value&...` of the pairs that have a value, each encoded; empty when none has.
fn query_string(pairs: &[(&str, Option<String>)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter_map(|(name, value)| {
            let value = value.as_deref()?;
            Some(format!("{name}={}", encode(value)))
        })
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}

/// One path segment or query value, percent-encoded as `encodeURIComponent` does.
fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => encoded.push(char::from(byte)),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Text without surrounding blanks, or `None` when nothing is left.
fn non_blank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// GET a following page: the `next` of the previous one, requested as is.
pub async fn next_page<T: DeserializeOwned>(token: &str, next: &str) -> Result<Page<T>, ApiError> {
    // `next` is a path of this API; anything else is not followed.
    if !next.starts_with(&format!("{BASE}/")) {
        return Err(ApiError::Unreadable);
    }
    let mut outgoing = Outgoing::new(Method::GET, "", Some(token));
    outgoing.url = next.to_owned();
    send(outgoing).await
}

/// Every item of a list: the items of `first` and of each page after it.
pub async fn rest_of<T: DeserializeOwned>(token: &str, first: Page<T>) -> Result<Vec<T>, ApiError> {
    let mut items = first.items;
    let mut next = first.next;
    while let Some(path) = next {
        let page: Page<T> = next_page(token, &path).await?;
        items.extend(page.items);
        // A server that answers the same cursor again would keep us here forever.
        next = page.next.filter(|following| *following != path);
    }
    Ok(items)
}

/// POST /auth/login
pub async fn login(body: &LoginRequest) -> Result<LoginResponse, ApiError> {
    request(Method::POST, "/auth/login", None, Some(body)).await
}

/// GET /me
pub async fn me(token: &str) -> Result<Me, ApiError> {
    request::<(), _>(Method::GET, "/me", Some(token), None).await
}

/// POST /me/password. Every earlier session ends; the answer is a fresh one.
pub async fn change_password(
    token: &str,
    body: &ChangePasswordRequest,
) -> Result<LoginResponse, ApiError> {
    request(Method::POST, "/me/password", Some(token), Some(body)).await
}

/// POST /auth/logout: ends this session on the server.
pub async fn logout(token: &str) -> Result<(), ApiError> {
    request::<(), _>(Method::POST, "/auth/logout", Some(token), None).await
}

/// POST /auth/logout-everywhere: ends every session of the signed-in person.
pub async fn logout_everywhere(token: &str) -> Result<(), ApiError> {
    request::<(), _>(Method::POST, "/auth/logout-everywhere", Some(token), None).await
}

/// GET /members: the first page (follow it with [`rest_of`]).
pub async fn list_members(token: &str) -> Result<Page<Member>, ApiError> {
    request::<(), _>(Method::GET, "/members", Some(token), None).await
}

/// POST /members
pub async fn invite_member(
    token: &str,
    body: &InviteMemberRequest,
) -> Result<InvitedMember, ApiError> {
    request(Method::POST, "/members", Some(token), Some(body)).await
}

/// PATCH /members/{id}
pub async fn update_member(
    token: &str,
    id: Uuid,
    body: &UpdateMemberRequest,
) -> Result<Member, ApiError> {
    request(
        Method::PATCH,
        &format!("/members/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

/// DELETE /members/{id}
pub async fn remove_member(token: &str, id: Uuid) -> Result<(), ApiError> {
    request::<(), _>(Method::DELETE, &format!("/members/{id}"), Some(token), None).await
}

/// GET /api-tokens: the first page (follow it with [`rest_of`]).
pub async fn list_api_tokens(token: &str) -> Result<Page<ApiToken>, ApiError> {
    request::<(), _>(Method::GET, "/api-tokens", Some(token), None).await
}

/// POST /api-tokens
pub async fn create_api_token(
    token: &str,
    body: &CreateApiTokenRequest,
) -> Result<CreatedApiToken, ApiError> {
    request(Method::POST, "/api-tokens", Some(token), Some(body)).await
}

/// DELETE /api-tokens/{id}
pub async fn revoke_api_token(token: &str, id: Uuid) -> Result<(), ApiError> {
    request::<(), _>(
        Method::DELETE,
        &format!("/api-tokens/{id}"),
        Some(token),
        None,
    )
    .await
}

/// GET /tenant-connection
pub async fn tenant_connection(token: &str) -> Result<TenantConnection, ApiError> {
    request::<(), _>(Method::GET, "/tenant-connection", Some(token), None).await
}

/// POST /tenant-connection/setup: where to send the browser for step 2.
pub async fn start_setup(token: &str) -> Result<SetupResponse, ApiError> {
    request::<(), _>(Method::POST, "/tenant-connection/setup", Some(token), None).await
}

/// POST /tenant-connection/verify: step 4.
pub async fn verify_connection(token: &str) -> Result<VerificationReport, ApiError> {
    request::<(), _>(Method::POST, "/tenant-connection/verify", Some(token), None).await
}

/// DELETE /tenant-connection (admins).
pub async fn disconnect(token: &str) -> Result<TenantConnection, ApiError> {
    request::<(), _>(Method::DELETE, "/tenant-connection", Some(token), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_encoded_like_encode_uri_component() {
        assert_eq!(encode("+14255550100"), "%2B14255550100");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            encode("adele.vance@contoso.example"),
            "adele.vance%40contoso.example"
        );
        assert_eq!(encode("Az09-_.!~*'()"), "Az09-_.!~*'()");
    }

    #[test]
    fn a_query_names_only_the_pairs_with_a_value() {
        assert_eq!(query_string(&[("q", None)]), "");
        assert_eq!(
            query_string(&[
                ("q", Some("a b".into())),
                ("x", None),
                ("n", Some("1".into()))
            ]),
            "?q=a%20b&n=1"
        );
    }

    #[test]
    fn blank_text_is_no_value() {
        assert_eq!(non_blank("  "), None);
        assert_eq!(non_blank(" US "), Some("US".to_owned()));
    }

    #[test]
    fn a_problem_detail_is_the_message() {
        let problem = Problem {
            problem_type: "https://example.test/problems/no_available_number".into(),
            title: "No available number".into(),
            status: 409,
            detail: "No number is available in US.".into(),
            code: "no_available_number".into(),
            request_id: Some("req-1".into()),
            rejected: None,
            rejected_count: None,
        };
        let error = ApiError::Problem(problem);
        assert_eq!(error.message(), "No number is available in US.");
        assert_eq!(error.status(), Some(409));
        assert_eq!(error.request_id(), Some("req-1"));
        assert_eq!(error.conflict(), Some(ConflictCode::NoAvailableNumber));
    }

    #[test]
    fn only_a_409_has_a_conflict_code() {
        let problem = |status: u16, code: &str| {
            ApiError::Problem(Problem {
                problem_type: format!("https://example.test/problems/{code}"),
                title: "Refused".into(),
                status,
                detail: "Refused.".into(),
                code: code.into(),
                request_id: None,
                rejected: None,
                rejected_count: None,
            })
        };
        assert_eq!(
            problem(409, "profile_in_use").conflict(),
            Some(ConflictCode::ProfileInUse)
        );
        assert_eq!(problem(422, "profile_in_use").conflict(), None);
        assert_eq!(problem(409, "something_new").conflict(), None);
        assert_eq!(ApiError::Status(409).conflict(), None);
    }
}
