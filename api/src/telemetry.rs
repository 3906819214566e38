//! Logs: human-readable by default, JSON lines with `LOG_FORMAT=json`. Each request's lines
//! carry its request id (from the root span of `tracing-actix-web`). `RUST_LOG` filters.

use actix_web::HttpMessage as _;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second initialisation (tests start many servers) keeps the first one.
    let _ = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_span_events(fmt::format::FmtSpan::CLOSE),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true),
            )
            .try_init(),
    };
}

/// The root span of each request, as `tracing-actix-web`'s default one but with the query of
/// the Microsoft redirect URIs left out: it carries a single-use authorization `code` and the
/// attempt's `state`, which belong in no log.
pub struct RedactingRootSpan;

/// Paths whose query is never logged.
const REDACTED_QUERY_PATHS: [&str; 2] = [
    "/api/v1/tenant-connection/sign-in-callback",
    "/api/v1/tenant-connection/consent-callback",
];

/// What a request's line shows as its target; `route` is the pattern the path matched, which
/// also catches other spellings of a redirect URI's path (`%2D` for `-`, doubled slashes).
pub fn logged_target(path: &str, route: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else if REDACTED_QUERY_PATHS
        .iter()
        .any(|p| path.trim_end_matches('/') == *p || route == *p)
    {
        format!("{path}?[redacted]")
    } else {
        format!("{path}?{query}")
    }
}

impl tracing_actix_web::RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let target = logged_target(request.path(), &route, request.query_string());
        // TracingLogger puts the id in the request's extensions before it asks for the span.
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let connection = request.connection_info();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {route}", request.method()),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::logged_target;

    #[test]
    fn the_redirect_uris_query_is_never_logged() {
        let target = logged_target(
            "/api/v1/tenant-connection/sign-in-callback",
            "default",
            "code=0.AAAA-secret&state=abc",
        );
        assert_eq!(
            target,
            "/api/v1/tenant-connection/sign-in-callback?[redacted]"
        );
        assert!(!logged_target(
            "/api/v1/tenant-connection/consent-callback/",
            "default",
            "admin_consent=True&state=abc"
        )
        .contains("state="));
        // Another spelling of the path, known by the route it matched.
        assert!(!logged_target(
            "/api/v1/tenant-connection/sign%2Din-callback",
            "/api/v1/tenant-connection/sign-in-callback",
            "code=x"
        )
        .contains("code="));
        // Other queries stay, for debugging.
        assert_eq!(
            logged_target("/api/v1/users", "/api/v1/users", "limit=5"),
            "/api/v1/users?limit=5"
        );
        assert_eq!(
            logged_target("/api/v1/users", "/api/v1/users", ""),
            "/api/v1/users"
        );
    }
}
