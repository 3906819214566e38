use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, workspace_root};

/// The committed document is what the server serves. `make openapi` rewrites it.
#[tokio::test]
async fn the_served_document_equals_the_committed_one() {
    let app = spawn_app().await;
    let served = app
        .get("/api/openapi.json", None)
        .await
        .text()
        .await
        .unwrap();
    let committed_path = workspace_root().join("openapi/openapi.json");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    let served: Value = serde_json::from_str(&served).unwrap();
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    assert!(
        served == committed,
        "openapi/openapi.json differs from what the server serves: run `make openapi` and commit it"
    );
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_security() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    // The documented paths are the served ones, scope prefix included.
    for served in [
        "/healthz",
        "/readyz",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/members",
        "/api/v1/members/{id}",
        "/api/v1/api-tokens",
        "/api/v1/api-tokens/{id}",
    ] {
        assert!(paths.contains_key(served), "{served} is not documented");
    }
    assert!(
        paths
            .keys()
            .all(|p| p.starts_with("/api/v1/") || p.ends_with("z")),
        "{:?}",
        paths.keys()
    );
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} is not unique"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            if path.starts_with("/api/v1") && path != "/api/v1/auth/login" {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                assert!(op["security"].is_array(), "{method} {path} lacks security");
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not problem+json"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = spawn_app().await;
    let redirect = app.get("/docs", None).await;
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
}
