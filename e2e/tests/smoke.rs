//! The smoke suite, run against a local server with the demo data.

// Tests panic on purpose: an unwrap that fails is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[tokio::test]
async fn the_smoke_suite_passes_against_a_fresh_deployment() {
    let server = common::start_demo_server().await;
    let outcomes =
        tenant_connect_e2e::smoke::run(&server.base_url, "admin@contoso.example", "demo-password")
            .await;
    let failures: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.name)))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // It really went through the documented endpoints, not just health.
    assert!(outcomes
        .iter()
        .any(|o| o.name == "GET /api/v1/members answers as documented"));
    assert!(outcomes.len() >= 10);
}

#[tokio::test]
async fn the_smoke_suite_reports_a_broken_deployment() {
    // Nothing listens on this port: every check must fail, none may pass by accident.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let outcomes =
        tenant_connect_e2e::smoke::run(&format!("http://127.0.0.1:{port}"), "a@b.c", "x").await;
    assert!(!outcomes.is_empty());
    assert!(outcomes.iter().all(|o| o.error.is_some()));
}
