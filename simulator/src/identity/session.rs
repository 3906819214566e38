//! Sign-in state: single-use authorization codes and browser sessions. A session is a random id
//! in the `ESTSAUTH` cookie (on the simulator's login path only), mapped here to the signed-in
//! user; the UPN never travels in the cookie.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use actix_web::{cookie::Cookie, HttpRequest, HttpResponseBuilder};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::Rng;

use crate::Simulator;

/// The session cookie (Microsoft's own name for its sign-in session cookie).
pub const COOKIE: &str = "ESTSAUTH";
/// The cookie's path: the simulator's identity platform mount, never the portal's paths.
pub const COOKIE_PATH: &str = "/_microsoft/login";
/// Authorization codes are redeemable this long (Microsoft: about 10 minutes).
pub const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Expired or redeemed codes are remembered this much longer (to answer 70008 / 54005).
const CODE_MEMORY: Duration = Duration::from_secs(1800);
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Bounds the maps whatever a script does (the oldest entries go first).
const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    /// BASE64URL(SHA256(code_verifier)).
    pub code_challenge: String,
    pub nonce: Option<String>,
    /// The OpenID Connect scopes granted (space separated).
    pub scope: String,
    /// The signed-in user's home tenant.
    pub tenant_id: String,
    pub user_id: String,
    pub issued: Instant,
    pub redeemed: bool,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub tenant_id: String,
    pub user_id: String,
    started: Instant,
}

#[derive(Default)]
pub struct Sessions {
    codes: HashMap<String, AuthCode>,
    sessions: HashMap<String, Session>,
}

/// What a code lookup found.
#[derive(Debug)]
pub enum CodeState<'a> {
    Unknown,
    Expired,
    Redeemed,
    Valid(&'a mut AuthCode),
}

impl Sessions {
    /// Stores a new code; returns its value.
    pub fn issue_code(&mut self, code: AuthCode, now: Instant) -> String {
        self.codes
            .retain(|_, c| now.duration_since(c.issued) < CODE_LIFETIME + CODE_MEMORY);
        evict_oldest(&mut self.codes, |c| c.issued);
        let value = format!("1.{}", random_token(48));
        self.codes.insert(value.clone(), code);
        value
    }

    /// The code's state; a valid code is returned for checking (mark it `redeemed` on success).
    pub fn code(&mut self, value: &str, now: Instant) -> CodeState<'_> {
        match self.codes.get_mut(value) {
            None => CodeState::Unknown,
            Some(c) if c.redeemed => CodeState::Redeemed,
            Some(c) if now.duration_since(c.issued) >= CODE_LIFETIME => CodeState::Expired,
            Some(c) => CodeState::Valid(c),
        }
    }

    /// Starts a browser session; returns the cookie value.
    pub fn start(&mut self, tenant_id: &str, user_id: &str, now: Instant) -> String {
        self.sessions
            .retain(|_, s| now.duration_since(s.started) < SESSION_LIFETIME);
        evict_oldest(&mut self.sessions, |s| s.started);
        let id = random_token(32);
        self.sessions.insert(
            id.clone(),
            Session {
                tenant_id: tenant_id.to_string(),
                user_id: user_id.to_string(),
                started: now,
            },
        );
        id
    }

    pub fn session(&self, id: &str, now: Instant) -> Option<&Session> {
        self.sessions
            .get(id)
            .filter(|s| now.duration_since(s.started) < SESSION_LIFETIME)
    }
}

fn evict_oldest<T>(map: &mut HashMap<String, T>, at: impl Fn(&T) -> Instant) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    if let Some(oldest) = map
        .iter()
        .min_by_key(|(_, v)| at(v))
        .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
}

/// `bytes` random bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut rng = rand::rng();
    let raw: Vec<u8> = (0..bytes).map(|_| rng.random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

/// The signed-in session named by the request's cookie, if any and still valid.
pub fn current(sim: &Simulator, req: &HttpRequest) -> Option<Session> {
    let cookie = req.cookie(COOKIE)?;
    sim.sessions()
        .session(cookie.value(), Instant::now())
        .cloned()
}

/// Starts a session for the user and sets the cookie on `res`.
pub fn sign_in(
    sim: &Simulator,
    req: &HttpRequest,
    res: &mut HttpResponseBuilder,
    tenant_id: &str,
    user_id: &str,
) {
    let id = sim.sessions().start(tenant_id, user_id, Instant::now());
    let secure = req.connection_info().scheme() == "https";
    res.cookie(
        Cookie::build(COOKIE, id)
            .path(COOKIE_PATH)
            .http_only(true)
            .secure(secure)
            .same_site(actix_web::cookie::SameSite::Lax)
            .finish(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(issued: Instant) -> AuthCode {
        AuthCode {
            client_id: "c".into(),
            redirect_uri: "http://x/cb".into(),
            code_challenge: "ch".into(),
            nonce: None,
            scope: "openid".into(),
            tenant_id: "t".into(),
            user_id: "u".into(),
            issued,
            redeemed: false,
        }
    }

    #[test]
    fn codes_expire_after_ten_minutes_and_are_single_use() {
        let mut s = Sessions::default();
        let now = Instant::now();
        let value = s.issue_code(code(now), now);
        assert!(matches!(s.code(&value, now), CodeState::Valid(_)));
        assert!(matches!(
            s.code(&value, now + CODE_LIFETIME),
            CodeState::Expired
        ));
        assert!(matches!(s.code("nope", now), CodeState::Unknown));
        if let CodeState::Valid(c) = s.code(&value, now) {
            c.redeemed = true;
        }
        assert!(matches!(s.code(&value, now), CodeState::Redeemed));
        // Long-expired codes are forgotten at the next issue.
        let later = now + CODE_LIFETIME + CODE_MEMORY;
        s.issue_code(code(later), later);
        assert!(matches!(s.code(&value, later), CodeState::Unknown));
    }

    #[test]
    fn sessions_are_random_and_expire() {
        let mut s = Sessions::default();
        let now = Instant::now();
        let a = s.start("t", "u", now);
        let b = s.start("t", "u", now);
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert_eq!(s.session(&a, now).map(|x| x.user_id.as_str()), Some("u"));
        assert!(s.session(&a, now + SESSION_LIFETIME).is_none());
    }
}
