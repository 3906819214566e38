#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
//! Headless Chromium through chromedriver, and the steps every browser test takes.

use std::{
    net::TcpListener,
    path::Path,
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
    connect(driver, capabilities(None)).await
}

/// A browser that saves downloads into `dir` without asking.
pub async fn browser_with_downloads(driver: &Driver, dir: &Path) -> Client {
    connect(driver, capabilities(Some(dir))).await
}

fn capabilities(downloads: Option<&Path>) -> serde_json::Map<String, serde_json::Value> {
    let mut options = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1366,768"
        ]
    });
    if let Some(dir) = downloads {
        options["prefs"] = serde_json::json!({
            "download.default_directory": dir.display().to_string(),
            "download.prompt_for_download": false,
            "download.directory_upgrade": true,
            "safebrowsing.enabled": false,
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".to_owned(), options);
    // The browser's console, for the checks of the Content-Security-Policy.
    caps.insert(
        "goog:loggingPrefs".to_owned(),
        serde_json::json!({ "browser": "ALL" }),
    );
    caps
}

async fn connect(driver: &Driver, caps: serde_json::Map<String, serde_json::Value>) -> Client {
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// Waits for a finished download named `name` in `dir` (Chromium writes `*.crdownload` until
/// it is complete); its text.
pub async fn wait_download(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    for _ in 0..100 {
        if path.is_file() {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if !text.is_empty() {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    panic!(
        "{name} was never downloaded into {}; found {found:?}",
        dir.display()
    );
}

pub async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = super::common::workspace_root().join("e2e/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The element's text, once it appears. Found and read again if the page re-rendered it in
/// between (a stale reference).
pub async fn text_of(client: &Client, css: &str) -> String {
    let mut last = None;
    for _ in 0..100 {
        match client.find(Locator::Css(css)).await {
            Ok(element) => match element.text().await {
                Ok(text) => return text,
                Err(e) => last = Some(e.to_string()),
            },
            Err(e) => last = Some(e.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never appeared: {last:?}");
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

/// Waits until the element's attribute has `expected`.
pub async fn wait_attr(client: &Client, css: &str, attr: &str, expected: &str) {
    let mut last = None;
    for _ in 0..300 {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.attr(attr).await.unwrap_or_default();
            if last.as_deref() == Some(expected) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}[{attr}] never became {expected:?}; last {last:?}");
}

/// Replaces the text of an input.
pub async fn fill(client: &Client, css: &str, text: &str) {
    let field = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The value of `attr` on every element `css` matches, in document order. Read in one script
/// in the page: element by element, a re-render in between would leave stale references.
pub async fn attrs_of(client: &Client, css: &str, attr: &str) -> Vec<String> {
    let found = client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]))
                .map(e => e.getAttribute(arguments[1]) || '');",
            vec![serde_json::json!(css), serde_json::json!(attr)],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}
