//! The one error type of the API. Every failure becomes `application/problem+json` (RFC 9457)
//! with a stable `code`; the cause of a 5xx is logged with the request id and never sent.
//!
//! Policy: `anyhow` for start-up and the command line, `ApiError` everywhere a request is served
//! (domain rules, database access, handlers).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use shared::problem::Problem;

use crate::request_id;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON.
    #[error("{0}")]
    MalformedBody(String),
    /// Well-formed, but a field is missing, unknown, of the wrong type or not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// A field outside the bounds every request must keep (length, characters): refused
    /// before anything reaches the database or Microsoft.
    #[error("{0}")]
    OutOfBounds(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// No credentials, or credentials that are expired, forged or revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// Sign-in with a wrong email or password: one answer for both.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed sign-ins, or too many at once: try again after `retry_after` seconds.
    #[error("{detail}")]
    Throttled { detail: String, retry_after: u64 },
    #[error("{0}")]
    NotFound(String),
    /// The path is served, but not with this method; `allow` lists the methods it takes.
    #[error("This endpoint does not take {method}; it takes {allow}.")]
    MethodNotAllowed { method: String, allow: String },
    /// Input rows that are not acceptable, each with its line: nothing was changed. `rows`
    /// holds the first of them (`domain::rejected::SHOWN`), `count` how many there were; build
    /// it with `domain::rejected::Rejected`.
    #[error("{detail}")]
    RejectedRows {
        detail: String,
        rows: Vec<shared::numbers::RejectedRow>,
        count: u32,
    },
    /// The request conflicts with the current state; `code` says how.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(e: anyhow::Error) -> ApiError {
        ApiError::Internal(e)
    }

    pub fn unavailable(e: anyhow::Error) -> ApiError {
        ApiError::Unavailable(e)
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::NotFound(format!("No such {what} in your account."))
    }

    pub fn conflict(code: shared::problem::ConflictCode, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            code: code.as_str(),
            detail: detail.into(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedBody(_) => "malformed_body",
            ApiError::InvalidInput(_) => "invalid_input",
            ApiError::OutOfBounds(_) => "out_of_bounds",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Throttled { .. } => "too_many_requests",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::RejectedRows { .. } => "rejected_rows",
            ApiError::Conflict { code, .. } => code,
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::MalformedBody(_) => "Malformed request body",
            ApiError::InvalidInput(_) => "Invalid input",
            ApiError::OutOfBounds(_) => "Input out of bounds",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::Unauthenticated(_) => "Authentication required",
            ApiError::InvalidCredentials => "Sign-in failed",
            ApiError::Forbidden(_) => "Not allowed",
            ApiError::Throttled { .. } => "Too many requests",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::RejectedRows { .. } => "Rows rejected",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// What the caller is told. For a 5xx, never the cause.
    fn detail(&self) -> String {
        match self {
            ApiError::Unavailable(_) => {
                "The service is temporarily unavailable. Please try again shortly.".to_owned()
            }
            ApiError::Internal(_) => {
                "Something went wrong on our side. Please try again, or contact support \
                 quoting the request id."
                    .to_owned()
            }
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> Problem {
        let code = self.code();
        Problem {
            problem_type: format!("urn:tenant-connect:problem:{code}"),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            request_id: request_id::current(),
            rejected: match self {
                ApiError::RejectedRows { rows, .. } => Some(rows.clone()),
                _ => None,
            },
            rejected_count: match self {
                ApiError::RejectedRows { count, .. } => Some(*count),
                _ => None,
            },
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::Internal(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedBody(_) | ApiError::OutOfBounds(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidInput(_) | ApiError::RejectedRows { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthenticated(_) | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(error = ?cause, code = self.code(), "request failed");
            }
            _ => tracing::info!(code = self.code(), "request refused"),
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthenticated(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let ApiError::Throttled { retry_after, .. } = self {
            response.insert_header(("Retry-After", retry_after.max(&1).to_string()));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            response.insert_header(("Allow", allow.as_str()));
        }
        response
            .content_type("application/problem+json")
            .json(self.problem())
    }
}

/// Turns actix's extractor errors (JSON body, path, query) into our problems.
pub mod extractors {
    use actix_web::{
        error::{JsonPayloadError, PathError, QueryPayloadError},
        HttpRequest,
    };

    use super::ApiError;

    pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
        let api = match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge(limit),
            JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::InvalidInput(format!(
                "The request body does not have the expected fields: {e}."
            )),
            JsonPayloadError::Deserialize(e) => {
                ApiError::MalformedBody(format!("The request body is not valid JSON: {e}."))
            }
            other => {
                ApiError::MalformedBody(format!("The request body could not be read: {other}."))
            }
        };
        api.into()
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> actix_web::Error {
        let PathError::Deserialize(e) = err else {
            return ApiError::NotFound("No such resource.".into()).into();
        };
        ApiError::NotFound(format!("No such resource: {e}.")).into()
    }

    pub fn query(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::InvalidInput(format!("The query string is not acceptable: {err}.")).into()
    }
}
