//! Browser tests: Debian's headless Chromium through chromedriver, against the real server
//! serving the built web app. Screenshots land in e2e/artifacts/.

// Tests panic on purpose: an unwrap that fails is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use browser_support::{browser, save_screenshot, sign_in, start_chromedriver, text_of, wait_text};
use fantoccini::Locator;

#[path = "browser/billing.rs"]
mod billing;
mod browser_support;
#[path = "browser/security.rs"]
mod security;
#[path = "browser/telephony.rs"]
mod telephony;
#[path = "browser/tenant_connection.rs"]
mod tenant_connection;
#[path = "browser/voice_profiles.rs"]
mod voice_profiles;

#[tokio::test]
async fn the_demo_admin_signs_in_and_sees_the_account_after_a_reload() {
    let server = common::start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;

    sign_in(
        &client,
        &server.base_url,
        "admin@contoso.example",
        "demo-password",
    )
    .await;
    assert_eq!(text_of(&client, "#account-name").await, "Contoso Telephony");
    assert!(text_of(&client, "#current-user")
        .await
        .contains("admin@contoso.example"));
    save_screenshot(&client, "signed-in").await;

    // A client-side route survives a reload, and the session with it.
    client
        .goto(&format!("{}/members", server.base_url))
        .await
        .unwrap();
    assert_eq!(text_of(&client, "#account-name").await, "Contoso Telephony");
    wait_text(&client, "main", "viewer@contoso.example").await;
    save_screenshot(&client, "members").await;

    client
        .find(Locator::Css("#sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_of(&client, "#sign-in").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_explained_in_plain_words() {
    let server = common::start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;

    sign_in(
        &client,
        &server.base_url,
        "admin@contoso.example",
        "wrong password",
    )
    .await;
    let error = text_of(&client, ".error").await;
    assert!(
        error.contains("The email or password is incorrect."),
        "{error}"
    );
    assert!(!error.contains('{'), "raw JSON shown: {error}");
    save_screenshot(&client, "sign-in-failed").await;
    client.close().await.unwrap();
}
