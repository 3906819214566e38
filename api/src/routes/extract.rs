//! The `Principal` extractor: every `/api/v1` handler that takes one is authenticated, scoped
//! to the caller's account and counted against the caller's request rate limit. And
//! `ClientAddress`: who is calling, as the sign-in throttle counts them.

use std::{
    future::{ready, Future, Ready},
    net::{IpAddr, SocketAddr},
    pin::Pin,
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::{
    domain::{auth, principal::Principal, rate_limit},
    error::ApiError,
    state::AppState,
};

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = bearer_token(req);
        let write = rate_limit::is_write(req.method(), req.path());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            let bearer = bearer?;
            let keys = state.sessions.clone();
            let limits = state.config.rate_limits();
            // The request is counted on the connection that recognised the caller: one more
            // statement, no second trip to the pool.
            state
                .db
                .run(move |conn| {
                    let caller = auth::authenticate(conn, &keys, &bearer)?;
                    rate_limit::count_request(conn, &caller, write, &limits)?;
                    Ok(caller)
                })
                .await
        })
    }
}

/// A JSON request body, which must be a JSON object: every body the API takes is one. Read as
/// [`super::listing::json_body`] reads it, within `MAX_BODY_BYTES`; its problems are those of
/// actix's JSON extractor (400, 413, 415, 422), plus a 422 for a body that is valid JSON but no
/// object.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<JsonObject<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.config.max_body_bytes);
        let payload = web::Payload::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let limit = limit.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            let payload = payload
                .await
                .map_err(|e| ApiError::internal(anyhow::anyhow!("reading the body: {e}")))?;
            let body = super::listing::read_body(payload, limit).await?;
            super::listing::json_body(&req, &body).map(JsonObject)
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::Unauthenticated("Sign in first: send `Authorization: Bearer <token>`.".to_owned())
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim().to_owned())
}

/// The client's address: the TCP peer, or, behind `TRUSTED_PROXIES` reverse proxies, the
/// entry of `X-Forwarded-For` that the outermost of them appended (entries further left are
/// whatever the client chose to send, and are never trusted).
pub struct ClientAddress(pub IpAddr);

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<ClientAddress, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let hops = req
            .app_data::<web::Data<AppState>>()
            .map_or(0, |state| state.config.trusted_proxies);
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded = (hops > 0).then(|| forwarded_for(req, hops)).flatten();
        ready(
            forwarded
                .or(peer)
                .map(ClientAddress)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no peer address"))),
        )
    }
}

/// The `hops`-th address from the right of all `X-Forwarded-For` headers, if there is one.
fn forwarded_for(req: &HttpRequest, hops: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let entry = entries.len().checked_sub(hops).map(|i| entries[i])?;
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn forwarded_for_is_read_from_the_right() {
        let req = TestRequest::default()
            .insert_header(("X-Forwarded-For", "6.6.6.6, 203.0.113.9"))
            .append_header(("X-Forwarded-For", "10.0.0.2:4711"))
            .to_http_request();
        let at = |hops| forwarded_for(&req, hops).map(|ip| ip.to_string());
        assert_eq!(at(1).as_deref(), Some("10.0.0.2"));
        assert_eq!(at(2).as_deref(), Some("203.0.113.9"));
        assert_eq!(at(3).as_deref(), Some("6.6.6.6"));
        assert_eq!(at(4), None);
        let none = TestRequest::default().to_http_request();
        assert_eq!(forwarded_for(&none, 1), None);
    }
}
