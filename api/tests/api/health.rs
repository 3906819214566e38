use reqwest::StatusCode;
use shared::auth::Health;

use crate::helpers::spawn_app;

#[tokio::test]
async fn alive_and_ready_with_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path}");
        let health: Health = response.json().await.unwrap();
        assert_eq!(health.status, "ok");
        // Load balancers and uptime monitors often probe with HEAD: the same answer, no body.
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    let a = app.account("Metrics Co", "admin@metrics.example").await;
    let missing = format!("/api/v1/members/{}", uuid::Uuid::new_v4());
    app.delete(&missing, Some(&a.token)).await;

    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(text.contains(
        r#"http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 1"#
    ));
    // The pattern, not the id: one series however many members there are.
    assert!(text.contains(
        r#"http_requests_total{method="DELETE",route="/api/v1/members/{id}",status="404"} 1"#
    ));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}
