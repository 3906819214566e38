//! Browser tests: Debian's headless Chromium through chromedriver, against the real server
//! serving the built web app. Screenshots land in e2e/artifacts/.

// Tests panic on purpose: an unwrap that fails is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};

struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn start_chromedriver() -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is not installed: run `make test` (it installs chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { process, url }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1366,768"
            ]
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = common::workspace_root().join("e2e/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
        .text()
        .await
        .unwrap()
}

async fn sign_in(client: &Client, base_url: &str, email: &str, password: &str) {
    client.goto(&format!("{base_url}/sign-in")).await.unwrap();
    let email_input = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#email"))
        .await
        .unwrap();
    email_input.send_keys(email).await.unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

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
    let members = text_of(&client, "main").await;
    assert!(members.contains("viewer@contoso.example"), "{members}");
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
