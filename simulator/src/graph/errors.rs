//! Graph errors: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
//! with `request-id` / `client-request-id` headers (set on every Graph response by `request_ids`).

use std::fmt;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::Next,
    HttpMessage, HttpRequest, HttpResponse, ResponseError,
};
use chrono::Utc;
use serde_json::json;

use crate::http;

/// The ids of one Graph request, shared by its headers and its error body.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
}

impl RequestIds {
    pub fn of(req: &HttpRequest) -> RequestIds {
        req.extensions()
            .get::<RequestIds>()
            .cloned()
            .unwrap_or_else(|| RequestIds {
                request_id: http::new_id(),
                client_request_id: http::new_id(),
            })
    }
}

/// Middleware: gives each Graph request its ids and answers with them as headers.
pub async fn request_ids(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(http::new_id);
    let ids = RequestIds {
        request_id: http::new_id(),
        client_request_id,
    };
    req.extensions_mut().insert(ids.clone());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in [
        ("request-id", ids.request_id),
        ("client-request-id", ids.client_request_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    Ok(res)
}

#[derive(Debug)]
pub struct GraphError {
    status: StatusCode,
    code: String,
    message: String,
    ids: RequestIds,
    retry_after: Option<u32>,
    /// Extra `innerError` members (the Teams back end's 403 has some).
    inner: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl GraphError {
    pub fn new(
        req: &HttpRequest,
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
    ) -> GraphError {
        GraphError {
            status,
            code: code.to_string(),
            message: message.into(),
            ids: RequestIds::of(req),
            retry_after: None,
            inner: None,
        }
    }

    /// Directory (users, organization, roles) style 400.
    pub fn bad_request(req: &HttpRequest, message: impl Into<String>) -> GraphError {
        GraphError::new(req, StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn not_found(req: &HttpRequest, id: &str) -> GraphError {
        GraphError::new(
            req,
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    pub fn denied(req: &HttpRequest) -> GraphError {
        GraphError::new(
            req,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// A Teams admin endpoint's missing-permission 403 (TELEPHONY.md, corrections 1, seen).
    pub fn forbidden_teams(req: &HttpRequest, permissions: &str) -> GraphError {
        let mut e = GraphError::new(
            req,
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("Insufficient permission(s) for the request. API requires any of the following permission(s): {permissions}."),
        );
        let mut inner = serde_json::Map::new();
        inner.insert("code".into(), json!("Forbidden"));
        inner.insert("message".into(), serde_json::Value::Null);
        inner.insert("target".into(), serde_json::Value::Null);
        inner.insert(
            "additionalData".into(),
            json!({"action": "Add the required roles/permissions and try again."}),
        );
        e.inner = Some(Box::new(inner));
        e
    }

    pub fn internal(req: &HttpRequest) -> GraphError {
        GraphError::new(
            req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "An internal server error occurred.",
        )
    }

    /// An injected fault, with the code Graph uses for that status.
    pub fn injected(req: &HttpRequest, status: u16, retry_after: Option<u64>) -> GraphError {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let (code, message) = match status.as_u16() {
            429 => ("TooManyRequests", "Too many requests."),
            503 => (
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => ("UnknownError", "Gateway timeout."),
            500 => ("generalException", "An internal server error occurred."),
            401 => (
                "InvalidAuthenticationToken",
                "Access token validation failure.",
            ),
            403 => (
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            404 => ("Request_ResourceNotFound", "The resource does not exist."),
            400 => ("BadRequest", "The request is malformed or incorrect."),
            _ => ("UnknownError", "An error occurred."),
        };
        let mut e = GraphError::new(req, status, code, message);
        e.retry_after = retry_after.map(|s| u32::try_from(s).unwrap_or(u32::MAX));
        e
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)
    }
}

impl ResponseError for GraphError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after {
            res.insert_header(("Retry-After", s.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                "WWW-Authenticate",
                r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#,
            ));
        }
        let mut inner = self.inner.as_deref().cloned().unwrap_or_default();
        inner.insert(
            "date".into(),
            json!(Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()),
        );
        inner.insert("request-id".into(), json!(self.ids.request_id));
        inner.insert(
            "client-request-id".into(),
            json!(self.ids.client_request_id),
        );
        res.json(json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": inner,
            }
        }))
    }
}
