//! Server-driven paging: an opaque `$skiptoken` (it encodes a position: an offset, or a user
//! ordinal found by binary search, so each page costs O(page) even at 100,000 users) in an
//! absolute `@odata.nextLink`.

use actix_web::HttpRequest;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use super::errors::GraphError;
use crate::http;

pub fn encode_token(kind: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim1|{kind}|{offset}"))
}

pub fn decode_token(kind: &str, token: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let mut parts = raw.split('|');
    if parts.next()? != "sim1" || parts.next()? != kind {
        return None;
    }
    parts.next()?.parse().ok()
}

/// The offset named by `$skiptoken`, 0 without one.
pub fn offset(
    req: &HttpRequest,
    pairs: &[(String, String)],
    kind: &str,
) -> Result<usize, GraphError> {
    match http::query_get(pairs, "$skiptoken") {
        None => Ok(0),
        Some(t) => decode_token(kind, t)
            .ok_or_else(|| GraphError::bad_request(req, "Invalid paging token specified.")),
    }
}

/// `$top`, checked against the endpoint's maximum.
pub fn page_size(
    req: &HttpRequest,
    pairs: &[(String, String)],
    default: usize,
    max: usize,
    code: &str,
) -> Result<usize, GraphError> {
    let Some(raw) = http::query_get(pairs, "$top") else {
        return Ok(default);
    };
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(GraphError::new(
            req,
            actix_web::http::StatusCode::BAD_REQUEST,
            code,
            format!("Invalid page size specified: '{raw}'. Must be between 1 and {max} inclusive."),
        )),
    }
}

/// This request's absolute URL with its paging token replaced by `key=value`.
pub fn link(req: &HttpRequest, pairs: &[(String, String)], key: &str, value: &str) -> String {
    link_without(req, pairs, &[], key, value)
}

/// `link`, also dropping the query options `drop` (e.g. `$skip`, which the token replaces).
pub fn link_without(
    req: &HttpRequest,
    pairs: &[(String, String)],
    drop: &[&str],
    key: &str,
    value: &str,
) -> String {
    let mut kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("$skiptoken")
                && !k.eq_ignore_ascii_case("$deltatoken")
                && !drop.iter().any(|d| k.eq_ignore_ascii_case(d))
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    kept.push((key, value));
    format!(
        "{}{}?{}",
        http::origin(req),
        req.path(),
        http::query_string(&kept)
    )
}

/// `@odata.context` for a fragment such as `users` or `organization`.
pub fn context(req: &HttpRequest, fragment: &str) -> String {
    format!(
        "{}/_microsoft/graph/v1.0/$metadata#{fragment}",
        http::origin(req)
    )
}
