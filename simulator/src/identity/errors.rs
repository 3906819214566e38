//! Identity platform errors: the token endpoint's JSON error body (CONTRACT.md section 3).

use std::fmt;

use actix_web::{http::StatusCode, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use serde_json::json;

use crate::http;

/// `2024-05-01 12:00:00Z`, the form AADSTS messages use.
pub fn aadsts_timestamp() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// The description Microsoft sends: `AADSTSnnnn: message` plus trace lines.
pub fn describe(code: u32, message: &str, trace_id: &str, correlation_id: &str) -> String {
    format!(
        "AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {}",
        aadsts_timestamp()
    )
}

#[derive(Debug)]
pub struct TokenError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    message: String,
    login_base: String,
    retry_after: Option<u64>,
}

impl TokenError {
    pub fn new(
        req: &HttpRequest,
        status: StatusCode,
        error: &'static str,
        code: u32,
        message: impl Into<String>,
    ) -> TokenError {
        TokenError {
            status,
            error,
            code,
            message: message.into(),
            login_base: format!("{}/_microsoft/login", http::origin(req)),
            retry_after: None,
        }
    }

    pub fn unknown_tenant(req: &HttpRequest, tenant: &str) -> TokenError {
        TokenError::new(
            req,
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    /// An injected fault: throttling and outages answered in the identity platform's shape.
    /// UNCONFIRMED: the exact `error`/AADSTS pair Microsoft sends for 429/5xx at /token.
    pub fn injected(req: &HttpRequest, status: u16, retry_after: Option<u64>) -> TokenError {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let (error, code, message) = match status.as_u16() {
            429 => ("temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop. Please contact your app vendor."),
            500..=599 => ("temporarily_unavailable", 90033, "A transient error has occurred. Please try again."),
            401 => ("invalid_client", 7000215, "Invalid client secret provided."),
            _ => ("invalid_request", 90014, "The request was rejected."),
        };
        let mut e = TokenError::new(req, status, error, code, message);
        e.retry_after = retry_after;
        e
    }

    pub fn into_response(self) -> HttpResponse {
        self.error_response()
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} AADSTS{}", self.error, self.code)
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let trace_id = http::new_id();
        let correlation_id = http::new_id();
        let mut res = HttpResponse::build(self.status);
        res.insert_header(("Cache-Control", "no-store, no-cache"))
            .insert_header(("Pragma", "no-cache"))
            .insert_header(("x-ms-request-id", trace_id.clone()));
        if let Some(s) = self.retry_after {
            res.insert_header(("Retry-After", s.to_string()));
        }
        res.json(json!({
            "error": self.error,
            "error_description": describe(self.code, &self.message, &trace_id, &correlation_id),
            "error_codes": [self.code],
            "timestamp": aadsts_timestamp(),
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("{}/error?code={}", self.login_base, self.code),
        }))
    }
}
