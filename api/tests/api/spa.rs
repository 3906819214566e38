use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn client_routes_survive_a_reload() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<html>the app</html>").unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    let dir = web.path().display().to_string();
    let app = spawn_app_with(&["--web-dir", &dir]).await;

    for path in ["/", "/members", "/tenant-connection", "/some/deep/route"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            "<html>the app</html>",
            "{path}"
        );
    }
    assert_eq!(
        app.get("/app.js", None).await.text().await.unwrap(),
        "console.log(1)"
    );
    // API paths never fall back to the app.
    let api = app.get("/api/v1/unknown", None).await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
}
