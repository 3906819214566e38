//! What reaches the logs from an unauthenticated request (issue 22, items 9 and 15): nothing
//! that forges a log line, and never the authorization code or state of Microsoft's redirects.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, workspace_root};

/// This test process's log file (helpers::keep_logs writes it).
fn log_text() -> String {
    let backend = std::env::var("TEST_BACKEND").unwrap_or_else(|_| "sqlite".to_owned());
    let file = workspace_root().join(format!(
        "target/test-logs/api-{backend}-{}.log",
        std::process::id()
    ));
    std::fs::read_to_string(file).unwrap()
}

#[tokio::test]
async fn a_callback_parameter_name_cannot_forge_a_log_line() {
    let app = spawn_app().await;
    let marker = format!("forged-{}", uuid::Uuid::new_v4().simple());
    // A repeated parameter is refused, and the refusal names it.
    let name = format!("x%0D%0A2026-01-01T00:00:00Z%20ERROR%20{marker}");
    for path in ["sign-in-callback", "consent-callback"] {
        let url = app.url(&format!(
            "/api/v1/tenant-connection/{path}?{name}=1&{name}=2"
        ));
        // A binding cookie, so that the query is read at all.
        let response = app
            .client
            .get(url)
            .header(reqwest::header::COOKIE, "tc_consent_binding=x")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let text = log_text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&marker)).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for line in lines {
        assert!(line.contains("callback refused"), "a forged line: {line}");
    }
}

#[tokio::test]
async fn the_authorization_code_and_state_of_a_redirect_are_never_logged() {
    let app = spawn_app().await;
    let secret = format!("code-{}", uuid::Uuid::new_v4().simple());
    let url = app.url(&format!(
        "/api/v1/tenant-connection/sign-in-callback?code={secret}&state={secret}"
    ));
    // No binding cookie: refused, and logged as refused.
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let text = log_text();
    assert!(
        text.contains("sign-in-callback?[redacted]"),
        "the request was not logged"
    );
    assert!(!text.contains(&secret), "the code reached the log");
}
