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
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-everywhere",
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
            // Sign-in and Microsoft's redirects reach us without a portal session.
            let public = [
                "/api/v1/auth/login",
                "/api/v1/tenant-connection/sign-in-callback",
                "/api/v1/tenant-connection/consent-callback",
            ];
            if path.starts_with("/api/v1") && !public.contains(&path.as_str()) {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                assert!(op["security"].is_array(), "{method} {path} lacks security");
            }
            for (status, response) in responses {
                // A shared problem response is a reference to its component.
                let response = match response["$ref"].as_str() {
                    Some(reference) => {
                        let name = reference.trim_start_matches("#/components/responses/");
                        &doc["components"]["responses"][name]
                    }
                    None => response,
                };
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

/// Whether the server routes `method path`: anything but the "no such API endpoint" answer
/// (a 401, a 400 for a missing body, a 303 from a redirect URI, a 404 for an unknown id...).
async fn routed(app: &crate::helpers::TestApp, method: &str, path: &str) -> bool {
    let concrete = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let response = app
        .client
        .request(method, app.url(&concrete))
        .send()
        .await
        .unwrap();
    // The path is served, but not with this method.
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        return false;
    }
    if !path.starts_with("/api/") {
        // Outside the API, anything unknown falls to the web app (HTML, or 404 without it).
        let html = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|t| t.to_str().unwrap_or("").starts_with("text/html"));
        return response.status() != StatusCode::NOT_FOUND && !html;
    }
    if response.status() != StatusCode::NOT_FOUND {
        return true;
    }
    let body = response.text().await.unwrap_or_default();
    !body.contains("There is no such API endpoint")
}

/// What the handlers declare: `#[get("/path")]` and its kin in `api/src/routes/`, read from the
/// source rather than from the list the document is generated from.
fn declared_routes() -> Vec<(String, String)> {
    let mut dirs = vec![crate::helpers::workspace_root().join("api/src/routes")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        for line in source.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let path = rest.split('"').next().unwrap();
                    found.push((method.to_owned(), without_regex(path)));
                }
            }
        }
    }
    assert!(
        found.len() >= 15,
        "the route scan found too little: {found:?}"
    );
    found
}

/// `/voice-profiles/{id:[0-9a-fA-F-]+}` as the document names it: `/voice-profiles/{id}`.
fn without_regex(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.split_once(':')) {
                Some((name, _)) => format!("{{{name}}}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The document is compared with what the server actually routes: an undocumented route, or
/// a documented one the server does not answer, fails the build.
#[tokio::test]
async fn the_document_holds_exactly_the_routed_operations() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();

    let mut mounted = std::collections::BTreeSet::new();
    for (method, path) in declared_routes() {
        // A handler is mounted under the API scope, or else at the root (health).
        let scoped = format!("/api/v1{path}");
        if routed(&app, &method, &scoped).await {
            mounted.insert((method.clone(), scoped));
        } else if routed(&app, &method, &path).await {
            mounted.insert((method.clone(), path.clone()));
        }
    }
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not in the OpenAPI document: {undocumented:?}"
    );
    for (method, path) in &documented {
        assert!(
            routed(&app, method, path).await,
            "documented but not routed: {method} {path}"
        );
    }
    // The core feature is there.
    for op in [
        ("get", "/api/v1/tenant-connection"),
        ("post", "/api/v1/tenant-connection/setup"),
        ("get", "/api/v1/tenant-connection/sign-in-callback"),
        ("get", "/api/v1/tenant-connection/consent-callback"),
        ("post", "/api/v1/tenant-connection/verify"),
        ("delete", "/api/v1/tenant-connection"),
    ] {
        assert!(
            documented.contains(&(op.0.to_owned(), op.1.to_owned())),
            "{op:?} is not documented"
        );
    }
}
