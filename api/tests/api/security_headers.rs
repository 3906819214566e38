//! The browser app, the docs and the API are served with security headers.

use reqwest::{header, Response};

use crate::helpers::{spawn_app, spawn_app_with};

fn value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

const INDEX: &str = "<!doctype html><html><head>\
    <link rel=\"modulepreload\" href=\"/app.js\">\
    <script type=\"module\">import init from '/app.js'; await init('/app_bg.wasm');</script>\
    </head><body></body></html>";

#[tokio::test]
async fn the_web_app_is_served_with_a_content_security_policy() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), INDEX).unwrap();
    std::fs::write(web.path().join("app.js"), "export default 1").unwrap();
    let dir = web.path().display().to_string();
    let app = spawn_app_with(&["--web-dir", &dir]).await;

    for path in ["/", "/members", "/app.js"] {
        let response = app.get(path, None).await;
        let csp = value(&response, "content-security-policy").unwrap();
        // Its own scripts and WebAssembly, the loader by its hash, the API on this origin.
        use base64::Engine as _;
        use sha2::Digest as _;
        let loader = "import init from '/app.js'; await init('/app_bg.wasm');";
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(loader.as_bytes()));
        for needed in [
            "default-src 'none'",
            "script-src 'self' 'wasm-unsafe-eval'",
            &format!("'sha256-{hash}'"),
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(needed), "{path}: {needed} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            value(&response, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            value(&response, "referrer-policy").as_deref(),
            Some("no-referrer")
        );
        assert_eq!(value(&response, "x-frame-options").as_deref(), Some("DENY"));
        // PUBLIC_URL is http here: no HSTS.
        assert_eq!(value(&response, "strict-transport-security"), None);
    }
}

#[tokio::test]
async fn the_api_and_the_docs_have_policies_of_their_own() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/me",
        "/api/openapi.json",
        "/healthz",
        "/metrics",
        "/api/v1/nope",
    ] {
        let response = app.get(path, None).await;
        let csp = value(&response, "content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            value(&response, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
    let docs = app.get("/docs/", None).await;
    let csp = value(&docs, "content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("wasm"), "{csp}");
    // The simulator stands for Microsoft's own pages: not ours to set a policy for.
    let simulator = app.get("/_microsoft/control/tenants", None).await;
    assert_eq!(value(&simulator, "content-security-policy"), None);
    assert_eq!(
        value(&simulator, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    // Simulated mode needs its explicit consent to an https PUBLIC_URL.
    let app = spawn_app_with(&[
        "--public-url",
        "https://portal.example",
        "--allow-simulator-on-network",
    ])
    .await;
    for path in ["/api/v1/me", "/healthz", "/docs/", "/"] {
        let response = app.get(path, None).await;
        assert_eq!(
            value(&response, header::STRICT_TRANSPORT_SECURITY.as_str()).as_deref(),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

/// Answers that carry tokens, secrets or personal data are never kept by a cache (issue 22,
/// item 10): every answer under /api, problems included.
#[tokio::test]
async fn api_answers_are_not_stored_by_caches() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let login = app
        .login("admin@contoso.example", crate::helpers::PASSWORD)
        .await;
    assert_eq!(login.status(), reqwest::StatusCode::OK);
    let created = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &serde_json::json!({"name": "CI", "role": "viewer"}),
        )
        .await;
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let me = app.get("/api/v1/me", Some(&a.token)).await;
    let refused = app.get("/api/v1/me", None).await;
    for response in [login, created, me, refused] {
        assert_eq!(
            value(&response, header::CACHE_CONTROL.as_str()).as_deref(),
            Some("no-store"),
            "{}",
            response.url()
        );
    }
}

/// In live mode nothing is mounted under /_microsoft: it answers 404 with the portal's headers,
/// not the web app without them (issue 22, item 11).
#[tokio::test]
async fn in_live_mode_the_simulators_paths_are_not_found() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), INDEX).unwrap();
    let dir = web.path().display().to_string();
    let app = spawn_app_with(&[
        "--web-dir",
        &dir,
        "--microsoft-mode",
        "live",
        "--ms-client-id",
        "11111111-2222-3333-4444-555555555555",
        "--ms-login-url",
        "http://127.0.0.1:9/login",
        "--ms-graph-url",
        "http://127.0.0.1:9/graph",
    ])
    .await;
    for path in [
        "/_microsoft/login/organizations/oauth2/v2.0/authorize",
        "/_microsoft",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
        assert!(
            value(&response, "content-security-policy").is_some(),
            "{path}"
        );
        assert_eq!(value(&response, "x-frame-options").as_deref(), Some("DENY"));
        assert!(!response.text().await.unwrap().contains("<html"), "{path}");
    }
}

/// Over https the consent binding cookie is `__Host-` prefixed: Secure, for the whole host,
/// without a Domain, so a sibling subdomain cannot plant one (issue 22, item 15).
#[tokio::test]
async fn over_https_the_binding_cookie_is_host_prefixed() {
    let app = spawn_app_with(&[
        "--public-url",
        "https://portal.example",
        "--allow-simulator-on-network",
    ])
    .await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let response = app
        .post(
            "/api/v1/tenant-connection/setup",
            Some(&a.token),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let cookie = value(&response, header::SET_COOKIE.as_str()).unwrap();
    assert!(cookie.starts_with("__Host-tc_consent_binding="), "{cookie}");
    let parts: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for part in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(parts.contains(&part), "{part} missing from {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}
