//! The app under its Content-Security-Policy, and signing out for real.

use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{
    browser_support::{
        assert_no_csp_violations, browser, console_log, save_screenshot, sign_in,
        start_chromedriver, text_of, wait_text,
    },
    common::{start_demo_server, Server},
};

/// The session token the app keeps in localStorage.
async fn stored_token(client: &Client) -> String {
    let stored = client
        .execute(
            "return window.localStorage.getItem('tenant-connect.session');",
            vec![],
        )
        .await
        .unwrap();
    let session: serde_json::Value = serde_json::from_str(stored.as_str().unwrap()).unwrap();
    session["access_token"].as_str().unwrap().to_owned()
}

async fn me_status(server: &Server, token: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_app_works_under_its_content_security_policy() {
    let server = start_demo_server().await;
    let index = reqwest::get(format!("{}/", server.base_url)).await.unwrap();
    let header = |name: &str| {
        index
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(!header("referrer-policy").is_empty());

    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    sign_in(
        &client,
        &server.base_url,
        "admin@contoso.example",
        "demo-password",
    )
    .await;
    // The WebAssembly app ran, and called the API.
    assert_eq!(text_of(&client, "#account-name").await, "Contoso Telephony");
    for (nav, expected) in [
        ("#nav-members", "viewer@contoso.example"),
        ("#nav-api-tokens", "Create a token"),
        ("#nav-account", "Sign out everywhere"),
        ("#nav-tenant-connection", "Tenant"),
    ] {
        click(&client, nav).await;
        wait_text(&client, "main", expected).await;
    }

    // An API token with an expiry, shown in the list.
    click(&client, "#nav-api-tokens").await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#token-name"))
        .await
        .unwrap()
        .send_keys("Quarterly export")
        .await
        .unwrap();
    client
        .execute(
            "const input = document.querySelector('#token-expires');\
             input.value = '2031-01-31';\
             input.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "#token-submit").await;
    text_of(&client, "#token-secret").await;
    let row = wait_text(
        &client,
        "tr[data-name='Quarterly export'] .token-expires",
        "2031",
    )
    .await;
    assert!(row.contains("1 Feb 2031"), "{row}");
    save_screenshot(&client, "api-token-with-expiry").await;

    // Swagger UI under its own policy.
    client
        .goto(&format!("{}/docs/", server.base_url))
        .await
        .unwrap();
    wait_text(&client, "#swagger-ui", "Tenant Connect API").await;

    assert_no_csp_violations(&driver, &client).await;

    // The check sees a violation when there is one: an inline script the policy refuses.
    client
        .goto(&format!("{}/members", server.base_url))
        .await
        .unwrap();
    text_of(&client, "#account-name").await;
    client
        .execute(
            "const s = document.createElement('script');\
             s.textContent = 'window.injected = true';\
             document.head.appendChild(s);\
             return window.injected === true;",
            vec![],
        )
        .await
        .map(|ran| assert_eq!(ran, serde_json::Value::Bool(false), "the inline script ran"))
        .unwrap();
    let seen = console_log(&driver, &client).await;
    assert!(
        seen.iter().any(|entry| entry["message"]
            .as_str()
            .is_some_and(|m| m.contains("Content Security Policy"))),
        "the violation was not reported: {seen:#?}"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let server = start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    sign_in(
        &client,
        &server.base_url,
        "staff@contoso.example",
        "demo-password",
    )
    .await;
    text_of(&client, "#account-name").await;
    let token = stored_token(&client).await;
    assert_eq!(me_status(&server, &token).await, reqwest::StatusCode::OK);

    click(&client, "#sign-out").await;
    text_of(&client, "#sign-in").await;
    // Not only forgotten by the browser: refused by the server.
    assert_eq!(
        me_status(&server, &token).await,
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_no_csp_violations(&driver, &client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_other_sessions_too() {
    let server = start_demo_server().await;
    // A session elsewhere, say on a laptop left at the office.
    let elsewhere: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base_url))
        .json(&serde_json::json!({"email": "viewer@contoso.example", "password": "demo-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let elsewhere = elsewhere["access_token"].as_str().unwrap().to_owned();

    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    sign_in(
        &client,
        &server.base_url,
        "viewer@contoso.example",
        "demo-password",
    )
    .await;
    text_of(&client, "#account-name").await;
    let here = stored_token(&client).await;
    click(&client, "#nav-account").await;
    click(&client, "#sign-out-everywhere").await;
    text_of(&client, "#sign-in").await;
    for token in [&here, &elsewhere] {
        assert_eq!(
            me_status(&server, token).await,
            reqwest::StatusCode::UNAUTHORIZED
        );
    }
    save_screenshot(&client, "signed-out-everywhere").await;
    client.close().await.unwrap();
}
