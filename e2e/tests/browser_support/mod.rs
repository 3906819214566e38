#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
//! Headless Chromium through chromedriver, and the steps every browser test takes.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Driver {
    process: Child,
    url: String,
}

impl Driver {
    /// chromedriver's own address, for the commands fantoccini does not wrap.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub async fn start_chromedriver() -> Driver {
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

pub async fn browser(driver: &Driver) -> Client {
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
    // The browser's console, for the checks of the Content-Security-Policy.
    caps.insert(
        "goog:loggingPrefs".to_owned(),
        serde_json::json!({ "browser": "ALL" }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

pub async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = super::common::workspace_root().join("e2e/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

pub async fn text_of(client: &Client, css: &str) -> String {
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

pub async fn sign_in(client: &Client, base_url: &str, email: &str, password: &str) {
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

/// Waits until `css` holds `expected`, returning the text.
pub async fn wait_text(client: &Client, css: &str, expected: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(expected) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {expected:?}; last {last:?}");
}

/// The browser console's entries since the last call (chromedriver's log endpoint).
pub async fn console_log(driver: &Driver, client: &Client) -> Vec<serde_json::Value> {
    let session = client.session_id().await.unwrap().unwrap();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/session/{session}/se/log", driver.url()))
        .json(&serde_json::json!({ "type": "browser" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no browser log: {answer}"))
        .clone()
}

/// Fails on any Content-Security-Policy violation reported in the console so far.
pub async fn assert_no_csp_violations(driver: &Driver, client: &Client) {
    let violations: Vec<String> = console_log(driver, client)
        .await
        .into_iter()
        .filter_map(|entry| entry["message"].as_str().map(str::to_owned))
        .filter(|message| {
            message.contains("Content Security Policy") || message.contains("Refused to")
        })
        .collect();
    assert!(violations.is_empty(), "CSP violations: {violations:#?}");
}
