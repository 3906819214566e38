//! Security headers on every response.
//!
//! - Everywhere: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and
//!   `Strict-Transport-Security` when `PUBLIC_URL` is https.
//! - The web app (every path that is not one of those below): a Content-Security-Policy that
//!   allows its own scripts and WebAssembly, its stylesheet, and the API on the same origin;
//!   the one inline script trunk writes into `index.html` (the loader) is allowed by its
//!   SHA-256, read from the built file (and read again when the file changes).
//! - Swagger UI under `/docs`: its own policy (it needs inline styles and data: images).
//! - The API and operator endpoints: a policy that allows nothing (they answer JSON or text).
//! - Everything but the simulator is refused framing (`frame-ancestors 'none'`, and
//!   `X-Frame-Options: DENY` for older browsers). The simulator's pages under `/_microsoft`
//!   stand for Microsoft's own site and get only the headers of the first item, in simulated
//!   mode; in live mode those paths are the portal's like any other.
//! - Every answer under `/api`: `Cache-Control: no-store` unless the handler chose otherwise
//!   (they carry tokens, secrets and personal data that no cache may keep).

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, PoisonError},
    time::SystemTime,
};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web, Error,
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest, Sha256};

/// Everything the API and operator endpoints need: nothing.
pub const API_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI: its bundle, its stylesheet and the inline styles it sets, data: images (its
/// icons), and the OpenAPI document on the same origin.
pub const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
    connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HSTS: &str = "max-age=31536000";

/// The headers' settings, shared by every worker.
pub struct SecurityHeaders {
    hsts: bool,
    /// The simulator is mounted under `/_microsoft` (simulated mode).
    simulator: bool,
    index: PathBuf,
    /// The app's policy, with the `index.html` it was made from (its modification time).
    app: Mutex<Option<(Option<SystemTime>, HeaderValue)>>,
}

impl SecurityHeaders {
    pub fn new(web_dir: &Path, https: bool, simulator: bool) -> SecurityHeaders {
        SecurityHeaders {
            hsts: https,
            simulator,
            index: web_dir.join("index.html"),
            app: Mutex::new(None),
        }
    }

    /// The web app's policy for the current `index.html`.
    pub fn app_policy(&self) -> HeaderValue {
        let modified = std::fs::metadata(&self.index)
            .and_then(|m| m.modified())
            .ok();
        let mut cached = self.app.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, policy)) = cached.as_ref() {
            if *at == modified {
                return policy.clone();
            }
        }
        let html = std::fs::read_to_string(&self.index).unwrap_or_default();
        let policy = HeaderValue::from_str(&app_policy(&html))
            .unwrap_or_else(|_| HeaderValue::from_static(API_POLICY));
        *cached = Some((modified, policy.clone()));
        policy
    }

    fn policy_for(&self, path: &str) -> Option<HeaderValue> {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/_microsoft") && self.simulator {
            None
        } else if under("/docs") {
            Some(HeaderValue::from_static(DOCS_POLICY))
        } else if under("/api") || ["/healthz", "/readyz", "/metrics"].contains(&path) {
            Some(HeaderValue::from_static(API_POLICY))
        } else {
            Some(self.app_policy())
        }
    }

    /// `api`: the request was for the API, whatever its path looked like (`//api/…` or
    /// `/%61pi/…` reach the same handlers).
    fn apply(&self, path: &str, api: bool, headers: &mut actix_web::http::header::HeaderMap) {
        let mut set = |name: HeaderName, value: HeaderValue| {
            headers.insert(name, value);
        };
        set(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        set(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if self.hsts {
            set(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        if let Some(policy) = self.policy_for(path) {
            set(header::CONTENT_SECURITY_POLICY, policy);
            set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        if (api || is_api(path)) && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The web app's policy, allowing the inline scripts and styles of `index_html` by hash.
pub fn app_policy(index_html: &str) -> String {
    let hashes = |tag: &str| {
        inline_blocks(index_html, tag)
            .into_iter()
            .map(|body| format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(body))))
            .collect::<String>()
    };
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'{styles}; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        scripts = hashes("script"),
        styles = hashes("style"),
    )
}

/// The bodies of the inline `<tag>` elements of `html` (those without a `src`), exactly as
/// written: a hash in the policy must match them byte for byte.
fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a [u8]> {
    let lower = html.to_ascii_lowercase();
    let (open, close) = (format!("<{tag}"), format!("</{tag}"));
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find(&open).map(|i| from + i) {
        let after_name = start + open.len();
        // `<scripts>` or `<style-x>` are other tags.
        if !lower[after_name..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            from = after_name;
            continue;
        }
        let Some(tag_end) = lower[after_name..].find('>').map(|i| after_name + i) else {
            break;
        };
        let Some(body_end) = lower[tag_end..].find(&close).map(|i| tag_end + i) else {
            break;
        };
        let attributes = &lower[after_name..tag_end];
        if !has_attribute(attributes, "src") {
            blocks.push(&html.as_bytes()[tag_end + 1..body_end]);
        }
        from = body_end + close.len();
    }
    blocks
}

fn has_attribute(attributes: &str, name: &str) -> bool {
    attributes
        .split(|c: char| c.is_ascii_whitespace())
        .any(|a| a == name || a.starts_with(&format!("{name}=")))
}

/// The middleware: sets the headers on every response, problems included (handlers and
/// extractors turn their errors into responses before they get here).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let settings = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    if let Some(settings) = settings {
        let api = res.request().match_pattern().is_some_and(|p| is_api(&p));
        settings.apply(&path, api, res.headers_mut());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_INDEX: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <link rel="modulepreload" href="/app-1.js" crossorigin="anonymous" integrity="sha384-x">
    <script type="module">
import init, * as bindings from '/app-1.js';
const wasm = await init({ module_or_path: '/app-1_bg.wasm' });
</script>
    <SCRIPT src="/other.js"></SCRIPT>
    <style>body { color: red }</style>
  </head>
  <body><scripts>not a script</scripts></body>
</html>"#;

    #[test]
    fn inline_scripts_and_styles_are_found_exactly() {
        let scripts = inline_blocks(TRUNK_INDEX, "script");
        assert_eq!(scripts.len(), 1);
        let script = std::str::from_utf8(scripts[0]).unwrap();
        assert!(script.starts_with("\nimport init"), "{script:?}");
        assert!(script.ends_with("'/app-1_bg.wasm' });\n"), "{script:?}");
        assert_eq!(
            inline_blocks(TRUNK_INDEX, "style"),
            [&b"body { color: red }"[..]]
        );
    }

    #[test]
    fn the_app_policy_allows_only_what_the_app_needs() {
        let policy = app_policy(TRUNK_INDEX);
        let expected = format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(inline_blocks(TRUNK_INDEX, "script")[0]))
        );
        assert!(policy.contains(&expected), "{policy}");
        for needed in [
            "default-src 'none'",
            "'wasm-unsafe-eval'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(needed), "{needed} missing: {policy}");
        }
        for never in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
            assert!(!policy.contains(never), "{never} allowed: {policy}");
        }
    }

    #[test]
    fn each_path_gets_its_policy() {
        let settings = SecurityHeaders::new(Path::new("/nonexistent"), false, true);
        let policy = |path: &str| {
            settings
                .policy_for(path)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        assert_eq!(policy("/api/v1/me").as_deref(), Some(API_POLICY));
        assert_eq!(policy("/metrics").as_deref(), Some(API_POLICY));
        assert_eq!(policy("/docs/").as_deref(), Some(DOCS_POLICY));
        assert_eq!(policy("/_microsoft/login/x"), None);
        assert!(policy("/_microsoftish").is_some_and(|p| p.contains("'wasm-unsafe-eval'")));
        assert!(policy("/members").is_some_and(|p| p.contains("'wasm-unsafe-eval'")));
        assert!(policy("/apiary").is_some_and(|p| p.contains("'wasm-unsafe-eval'")));
        // Live mode: the simulator's paths are the portal's like any other.
        let live = SecurityHeaders::new(Path::new("/nonexistent"), false, false);
        assert!(live.policy_for("/_microsoft/login/x").is_some());
    }

    #[test]
    fn api_answers_are_never_cached() {
        let settings = SecurityHeaders::new(Path::new("/nonexistent"), false, true);
        let mut headers = actix_web::http::header::HeaderMap::new();
        settings.apply("/api/v1/me", false, &mut headers);
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        let mut headers = actix_web::http::header::HeaderMap::new();
        settings.apply("/members", false, &mut headers);
        assert!(headers.get(header::CACHE_CONTROL).is_none());
        // Routed to the API under another spelling of its path.
        let mut headers = actix_web::http::header::HeaderMap::new();
        settings.apply("//api/v1/me", true, &mut headers);
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    }
}
