//! The Tenant Connect REST API, one typed function per endpoint over the `shared` DTOs.
//!
//! Every call goes through [`request`], which adds the bearer token, sends JSON and turns any
//! non-2xx answer into an [`ApiError`] carrying the server's problem+json.

use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken};
use shared::auth::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};
use shared::members::{InviteMemberRequest, InvitedMember, Member, UpdateMemberRequest};
use shared::problem::Problem;
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};
use uuid::Uuid;

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
    let mut builder = RequestBuilder::new(&format!("{BASE}{path}"))
        .method(method)
        .header("Accept", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder.json(body).map_err(|_| ApiError::Unreadable)?,
        None => builder.build().map_err(|_| ApiError::Network)?,
    };
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ApiError::Network)?;

    if !(200..300).contains(&status) {
        return Err(match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => ApiError::Problem(problem),
            Err(_) => ApiError::Status(status),
        });
    }
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|_| ApiError::Unreadable)
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

/// GET /members
pub async fn list_members(token: &str) -> Result<Vec<Member>, ApiError> {
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

/// GET /api-tokens
pub async fn list_api_tokens(token: &str) -> Result<Vec<ApiToken>, ApiError> {
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
