//! App tokens (client credentials), cached per tenant until `token_refresh_margin` before they
//! expire. One fetch in flight per tenant: each tenant has an async lock held while fetching,
//! so concurrent callers queue on it and then find the fresh token in the cache.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{endpoint_url, error::Service, MicrosoftClient, MsError, GRAPH_SCOPE};

/// An app-only access token for Graph in one tenant, with the claims it carries.
#[derive(Clone)]
pub struct AppToken {
    pub access_token: SecretString,
    pub expires_at: Instant,
    pub claims: AppTokenClaims,
}

impl fmt::Debug for AppToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppToken")
            .field("access_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("claims", &self.claims)
            .finish()
    }
}

/// The token's payload, read without validating the signature (the token is Graph's to
/// validate; we only read what consent and role assignments gave us).
#[derive(Debug, Clone, Deserialize)]
pub struct AppTokenClaims {
    /// The tenant the token is for.
    pub tid: String,
    /// Our service principal's object id in that tenant.
    pub oid: String,
    pub appid: String,
    /// `"app"` for app-only tokens.
    pub idtyp: Option<String>,
    /// Application permissions granted.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Directory role template ids assigned to the service principal.
    #[serde(default)]
    pub wids: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// Reads the claims of a JWT (base64url payload, the middle segment).
pub(crate) fn decode_claims(token: &str) -> Result<AppTokenClaims, MsError> {
    decode_payload(token)
}

/// Reads a JWT's payload without checking its signature.
pub(crate) fn decode_payload<T: serde::de::DeserializeOwned>(token: &str) -> Result<T, MsError> {
    let mut parts = token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_)) => payload,
        _ => {
            return Err(MsError::Malformed(
                "the token is not a JWT (header.payload.signature)".to_owned(),
            ))
        }
    };
    let json = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| MsError::Malformed("the token's payload is not base64url".to_owned()))?;
    serde_json::from_slice(&json)
        .map_err(|e| MsError::Malformed(format!("the token's claims are not as expected: {e}")))
}

const MAX_LIFETIME_SECONDS: u64 = 24 * 60 * 60;

/// How much of the cache a caller accepts.
#[derive(Clone, Copy)]
pub(crate) enum TokenUse<'a> {
    /// A cached token that is not about to expire.
    Cached,
    /// Always a new one.
    Fresh,
    /// A new one unless the cache already holds another than this one (Graph said it is stale).
    Replacing(&'a SecretString),
}

type Slot = Arc<tokio::sync::Mutex<Option<AppToken>>>;

/// The most tenants the cache keeps a slot for. Tenant ids come from consent callbacks and
/// connections; without a bound, a stream of made-up ones would grow the map for ever.
const MAX_TENANTS: usize = 10_000;

/// Per-tenant slots, at most `capacity` of them. To make room it drops, first, the slots no
/// caller holds whose token is missing or expired; then, if still full, the least recently
/// used slot no caller holds. A slot a caller holds (a fetch in flight) is never dropped, so
/// one tenant never has two fetches at once.
pub(crate) struct TokenCache {
    capacity: usize,
    slots: Mutex<HashMap<String, CacheEntry>>,
}

struct CacheEntry {
    slot: Slot,
    used: Instant,
}

impl Default for TokenCache {
    fn default() -> TokenCache {
        TokenCache::with_capacity(MAX_TENANTS)
    }
}

impl TokenCache {
    pub(crate) fn with_capacity(capacity: usize) -> TokenCache {
        TokenCache {
            capacity: capacity.max(1),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, tenant: &str) -> Slot {
        let key = tenant.to_ascii_lowercase();
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = slots.get_mut(&key) {
            entry.used = now;
            return entry.slot.clone();
        }
        if slots.len() >= self.capacity {
            make_room(&mut slots, self.capacity, now);
        }
        let slot = Slot::default();
        slots.insert(
            key,
            CacheEntry {
                slot: slot.clone(),
                used: now,
            },
        );
        slot
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    #[cfg(test)]
    fn holds(&self, tenant: &str) -> bool {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(tenant)
    }
}

fn make_room(slots: &mut HashMap<String, CacheEntry>, capacity: usize, now: Instant) {
    let idle = |entry: &CacheEntry| Arc::strong_count(&entry.slot) == 1;
    slots.retain(|_, entry| {
        let useless = idle(entry)
            && entry
                .slot
                .try_lock()
                .is_ok_and(|token| token.as_ref().is_none_or(|t| t.expires_at <= now));
        !useless
    });
    if slots.len() < capacity {
        return;
    }
    let oldest = slots
        .iter()
        .filter(|(_, entry)| idle(entry))
        .min_by_key(|(_, entry)| entry.used)
        .map(|(tenant, _)| tenant.clone());
    if let Some(tenant) = oldest {
        slots.remove(&tenant);
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Seconds,
    #[serde(default)]
    token_type: Option<String>,
}

/// `expires_in` is a number; tolerate it as a string too.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

impl MicrosoftClient {
    /// An app token for `tenant`, from the cache until `token_refresh_margin` before expiry.
    /// Concurrent callers for one tenant share a single token request.
    pub async fn app_token(&self, tenant: &str) -> Result<AppToken, MsError> {
        let deadline = self.inner.caller.deadline();
        self.token(tenant, deadline, TokenUse::Cached).await
    }

    /// A new app token for `tenant`, ignoring and replacing the cache (verification must see
    /// consent and role changes now).
    pub async fn fresh_app_token(&self, tenant: &str) -> Result<AppToken, MsError> {
        let deadline = self.inner.caller.deadline();
        self.token(tenant, deadline, TokenUse::Fresh).await
    }

    pub(crate) async fn token(
        &self,
        tenant: &str,
        deadline: tokio::time::Instant,
        usage: TokenUse<'_>,
    ) -> Result<AppToken, MsError> {
        let slot = self.inner.tokens.slot(tenant);
        let mut cached = tokio::time::timeout_at(deadline, slot.lock())
            .await
            .map_err(|_| MsError::DeadlineExceeded)?;
        if let Some(token) = cached.as_ref() {
            let margin = self.inner.caller.policy.token_refresh_margin;
            let usable = Instant::now()
                .checked_add(margin)
                .is_some_and(|limit| token.expires_at > limit);
            let reuse = match usage {
                TokenUse::Cached => usable,
                TokenUse::Fresh => false,
                TokenUse::Replacing(stale) => {
                    usable && token.access_token.expose_secret() != stale.expose_secret()
                }
            };
            if reuse {
                return Ok(token.clone());
            }
        }
        match self.fetch_token(tenant, deadline).await {
            Ok(token) => {
                *cached = Some(token.clone());
                Ok(token)
            }
            Err(e) => {
                if matches!(e, MsError::Identity { .. }) {
                    // Consent revoked or the secret rotated: the old token tells nothing true.
                    *cached = None;
                }
                Err(e)
            }
        }
    }

    async fn fetch_token(
        &self,
        tenant: &str,
        deadline: tokio::time::Instant,
    ) -> Result<AppToken, MsError> {
        let inner = &self.inner;
        let url = endpoint_url(&inner.login, &[tenant, "oauth2", "v2.0", "token"]);
        let form = [
            ("client_id", inner.client_id.as_str()),
            ("scope", GRAPH_SCOPE),
            ("client_secret", inner.client_secret.expose_secret()),
            ("grant_type", "client_credentials"),
        ];
        let call = async {
            let requested = Instant::now();
            let reply = inner
                .caller
                .send("token", Service::Identity, deadline, |http| {
                    http.post(url.clone()).form(&form)
                })
                .await?;
            parse_token(&reply.body, requested)
        };
        inner.caller.run("token", tenant, deadline, call).await
    }
}

fn parse_token(body: &[u8], requested: Instant) -> Result<AppToken, MsError> {
    // serde's message could quote the body, and the body holds the token: keep only where.
    let answer: TokenAnswer = serde_json::from_slice(body).map_err(|e| {
        MsError::Malformed(format!(
            "the token answer is not the JSON we expect (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if let Some(kind) = &answer.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(MsError::Malformed(format!(
                "token_type {kind:?} where Bearer was expected"
            )));
        }
    }
    let seconds = match answer.expires_in {
        Seconds::Number(n) => n,
        Seconds::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| MsError::Malformed("expires_in is not a number".to_owned()))?,
    };
    let claims = decode_claims(&answer.access_token)?;
    Ok(AppToken {
        access_token: SecretString::from(answer.access_token),
        // A day at most: nobody issues longer tokens, and the sum cannot overflow.
        expires_at: requested + Duration::from_secs(seconds.min(MAX_LIFETIME_SECONDS)),
        claims,
    })
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    fn token(expires_at: Instant) -> AppToken {
        AppToken {
            access_token: SecretString::from("t"),
            expires_at,
            claims: AppTokenClaims {
                tid: "t".to_owned(),
                oid: "o".to_owned(),
                appid: "a".to_owned(),
                idtyp: None,
                roles: Vec::new(),
                wids: Vec::new(),
                exp: 0,
            },
        }
    }

    fn store(cache: &TokenCache, tenant: &str, expires_at: Instant) {
        let slot = cache.slot(tenant);
        let mut held = slot.try_lock().unwrap();
        *held = Some(token(expires_at));
    }

    #[test]
    fn the_cache_keeps_at_most_its_capacity_dropping_expired_tokens_first() {
        let cache = TokenCache::with_capacity(2);
        let later = Instant::now() + Duration::from_secs(3600);
        store(&cache, "expired", Instant::now());
        store(&cache, "fresh", later);
        store(&cache, "new", later);
        assert_eq!(cache.len(), 2);
        assert!(!cache.holds("expired"));
        assert!(cache.holds("fresh") && cache.holds("new"));
    }

    #[test]
    fn when_every_token_is_fresh_the_least_recently_used_goes() {
        let cache = TokenCache::with_capacity(3);
        let later = Instant::now() + Duration::from_secs(3600);
        for tenant in ["a", "b", "c"] {
            store(&cache, tenant, later);
            std::thread::sleep(Duration::from_millis(2));
        }
        // "a" is used again: "b" is now the least recently used.
        drop(cache.slot("a"));
        std::thread::sleep(Duration::from_millis(2));
        store(&cache, "d", later);
        assert_eq!(cache.len(), 3);
        assert!(!cache.holds("b"));
        assert!(cache.holds("a") && cache.holds("c") && cache.holds("d"));
    }

    #[test]
    fn a_slot_a_caller_holds_is_never_dropped() {
        let cache = TokenCache::with_capacity(1);
        let held = cache.slot("busy");
        let other = cache.slot("other");
        assert!(cache.holds("busy"), "a fetch in flight keeps its slot");
        assert_eq!(cache.len(), 2, "over capacity while every slot is in use");
        drop((held, other));
        drop(cache.slot("third"));
        assert_eq!(cache.len(), 1);
        // Thousands of made-up tenants leave the cache at its bound.
        let cache = TokenCache::with_capacity(50);
        for n in 0..5_000 {
            drop(cache.slot(&format!("made-up-{n}")));
        }
        assert!(cache.len() <= 50, "{}", cache.len());
    }
}
