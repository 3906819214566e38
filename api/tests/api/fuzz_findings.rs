//! What fuzzing the documented API (`make fuzz`, schemathesis) found, kept fixed. Each test
//! reads the served `/api/openapi.json` and probes the server with it, so that the document and
//! the server's behaviour are compared with each other, not with a copy of either.

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

async fn document(app: &TestApp) -> Value {
    app.get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap()
}

/// Every documented operation: (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            found.push((method.clone(), path.clone(), op.clone()));
        }
    }
    found
}

/// A documented path with an id in each of its parameters.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The schema, with a `$ref` to a component schema (or a `oneOf` of one and `null`) resolved.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return &doc["components"]["schemas"][name];
    }
    if let Some(one_of) = schema["oneOf"].as_array() {
        if let Some(real) = one_of.iter().find(|s| s["type"] != "null") {
            return resolved(doc, real);
        }
    }
    schema
}

/// Statuses an operation documents.
fn documented_statuses(op: &Value) -> Vec<String> {
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// `count` strings the document's `pattern` admits, drawn the same way every run.
fn admitted_by(pattern: &str, count: usize, max_chars: Option<usize>) -> Vec<String> {
    let unanchored = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .unwrap_or_else(|| panic!("{pattern} is not anchored"));
    let strategy = proptest::string::string_regex(unanchored).unwrap();
    let mut runner = TestRunner::deterministic();
    let mut values = Vec::new();
    while values.len() < count {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        if max_chars.is_none_or(|max| value.chars().count() <= max) {
            values.push(value);
        }
    }
    values
}

/// ST204: a served path answered 404 to a method it does not take. Now it is 405 with `Allow`
/// naming exactly the methods the document lists for that path; an unknown path stays 404.
#[tokio::test]
async fn a_method_a_served_path_does_not_take_is_405_with_the_documented_methods() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let doc = document(&app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        documented.sort();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] {
            if documented.iter().any(|m| m == method) {
                continue;
            }
            let response = app
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete(path),
                    Some(a.token.as_str()),
                )
                .send()
                .await
                .unwrap();
            let allow = response
                .headers()
                .get(header::ALLOW)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
            let mut allowed: Vec<String> = allow.split(", ").map(str::to_owned).collect();
            allowed.sort();
            assert_eq!(allowed, documented, "{method} {path}: Allow is {allow}");
            let problem = assert_problem(
                response,
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            )
            .await;
            assert!(problem.detail.contains(method), "{problem:?}");
        }
    }
    assert_problem(
        app.request(
            Method::TRACE,
            "/api/v1/no-such-thing",
            Some(a.token.as_str()),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// ST103: a body sent as something other than JSON (or not at all) drew an undocumented 415,
/// and an unknown query parameter an undocumented 422. Every operation that takes a body or a
/// query now documents what these draw.
#[tokio::test]
async fn what_a_wrong_body_type_or_an_unknown_query_parameter_draws_is_documented() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let doc = document(&app).await;
    let mut probed = 0;
    for (method, path, op) in operations(&doc) {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let documented = documented_statuses(&op);
        if op["requestBody"].is_object() {
            for declared in [Some("text/plain"), None] {
                let mut request =
                    app.request(method.clone(), &concrete(&path), Some(a.token.as_str()));
                if let Some(content_type) = declared {
                    request = request
                        .header(header::CONTENT_TYPE, content_type)
                        .body("{}");
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16().to_string();
                assert!(
                    documented.contains(&status),
                    "{method} {path} with {declared:?}: {status} is not documented"
                );
                assert_problem(
                    response,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                )
                .await;
                probed += 1;
            }
        }
        let takes_query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        if takes_query {
            let url = format!("{}?no_such_parameter=1", concrete(&path));
            let mut request = app.request(method.clone(), &url, Some(a.token.as_str()));
            if op["requestBody"].is_object() {
                request = request.json(&json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16().to_string();
            assert!(
                documented.contains(&status),
                "{method} {path} with an unknown query parameter: {status} is not documented"
            );
            probed += 1;
        }
    }
    assert!(
        probed >= 20,
        "only {probed} probes: the document lost its bodies or queries"
    );
}

/// ST202: `limit` was documented as `minimum: 0` with no maximum, and the server refuses 0 and
/// anything over 500. On every list, the documented bounds are now the ones the server keeps:
/// each bound is accepted, one past it is refused as out of bounds.
#[tokio::test]
async fn the_documented_bounds_of_limit_are_the_ones_the_server_keeps() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let doc = document(&app).await;
    let mut lists = 0;
    for (method, path, op) in operations(&doc) {
        let Some(limit) = op["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        else {
            continue;
        };
        assert_eq!(method, "get");
        let schema = resolved(&doc, &limit["schema"]);
        let min = schema["minimum"].as_i64().expect("limit has a minimum");
        let max = schema["maximum"].as_i64().expect("limit has a maximum");
        let url = |n: i64| format!("{path}?limit={n}");
        for accepted in [min, max] {
            let response = app.get(&url(accepted), Some(a.token.as_str())).await;
            assert_eq!(response.status(), StatusCode::OK, "{path} limit={accepted}");
        }
        for refused in [min - 1, max + 1] {
            let problem = assert_problem(
                app.get(&url(refused), Some(a.token.as_str())).await,
                StatusCode::BAD_REQUEST,
                "out_of_bounds",
            )
            .await;
            assert!(problem.detail.contains("limit"), "{path}: {problem:?}");
        }
        lists += 1;
    }
    assert!(lists >= 8, "only {lists} lists document `limit`");
}

/// ST202: query parameters were documented as any string (or any of a wider set) while the
/// server refuses what is not a month, a country, an actor, an event type, or what has control
/// characters. Values the document now admits are accepted; values outside it are refused.
#[tokio::test]
async fn values_the_document_admits_for_query_filters_are_accepted() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let doc = document(&app).await;
    let filters = [
        (
            "/api/v1/billing/usage",
            "month",
            &["2026-13", "1999-12", "26-01", ""][..],
        ),
        ("/api/v1/audit-events", "actor", &["someone", "user:42"][..]),
        ("/api/v1/audit-events", "user", &["a\u{1}b"][..]),
        ("/api/v1/audit-events", "type", &["no.such_event"][..]),
        ("/api/v1/numbers", "country", &["USA", "U1"][..]),
        ("/api/v1/numbers", "location", &["a\u{7f}b"][..]),
        ("/api/v1/numbers", "status", &["gone"][..]),
        ("/api/v1/users", "usage_location", &["U", "GBR"][..]),
        ("/api/v1/users", "q", &["a\u{0}b"][..]),
        (
            "/api/v1/webhook-deliveries",
            "event_type",
            &["phone_service.nope"][..],
        ),
    ];
    for (path, name, refused) in filters {
        let param = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} documents no {name}"));
        let schema = resolved(&doc, &param["schema"]);
        let admitted: Vec<String> = match (schema["enum"].as_array(), schema["pattern"].as_str()) {
            (Some(values), _) => values
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
            (None, Some(pattern)) => {
                let max = schema["maxLength"].as_u64().map(|m| m as usize);
                admitted_by(pattern, 25, max)
            }
            (None, None) => panic!("{path} {name} states no constraint"),
        };
        for value in admitted {
            let url =
                reqwest::Url::parse_with_params(&app.url(path), [(name, value.as_str())]).unwrap();
            let response = app
                .client
                .get(url)
                .bearer_auth(&a.token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{path}?{name}={value:?} is admitted by the document"
            );
        }
        for value in refused {
            let url = reqwest::Url::parse_with_params(&app.url(path), [(name, *value)]).unwrap();
            let response = app
                .client
                .get(url)
                .bearer_auth(&a.token)
                .send()
                .await
                .unwrap();
            let status = response.status();
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{name}={value:?} was not refused: {status}"
            );
        }
    }
}

/// The schema of a request body's field, from the served document.
fn body_field<'a>(doc: &'a Value, method: &str, path: &str, field: &str) -> &'a Value {
    let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    resolved(doc, &resolved(doc, body)["properties"][field])
}

/// ST202: body fields were documented without the bounds the server keeps (lengths, control
/// characters, an https URL, at least one event type). What the document admits is accepted;
/// one past a documented bound is refused.
#[tokio::test]
async fn values_the_document_admits_for_body_fields_are_accepted() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let token = Some(a.token.as_str());
    let doc = document(&app).await;

    // API token names.
    let name = body_field(&doc, "post", "/api/v1/api-tokens", "name");
    let max = name["maxLength"].as_u64().unwrap() as usize;
    let mut names = admitted_by(name["pattern"].as_str().unwrap(), 10, Some(max));
    names.push("é".repeat(max));
    for name in names {
        let response = app
            .post(
                "/api/v1/api-tokens",
                token,
                &json!({"name": name, "role": "viewer"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "name {name:?}");
    }
    for name in ["x".repeat(max + 1), "a\u{0}b".to_owned()] {
        assert_problem(
            app.post(
                "/api/v1/api-tokens",
                token,
                &json!({"name": name, "role": "viewer"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        )
        .await;
    }
    assert_problem(
        app.post(
            "/api/v1/api-tokens",
            token,
            &json!({"name": "   ", "role": "viewer"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;

    // Webhook endpoints: URLs and descriptions.
    let url = body_field(&doc, "post", "/api/v1/webhook-endpoints", "url");
    let description = body_field(&doc, "post", "/api/v1/webhook-endpoints", "description");
    let urls = admitted_by(
        url["pattern"].as_str().unwrap(),
        10,
        url["maxLength"].as_u64().map(|m| m as usize),
    );
    let descriptions = admitted_by(
        description["pattern"].as_str().unwrap(),
        10,
        description["maxLength"].as_u64().map(|m| m as usize),
    );
    for (url, description) in urls.iter().zip(&descriptions) {
        let response = app
            .post(
                "/api/v1/webhook-endpoints",
                token,
                &json!({"url": url, "description": description, "event_types": ["numbers.low_stock"]}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "url {url:?}, description {description:?}"
        );
    }
    let event_types = body_field(&doc, "post", "/api/v1/webhook-endpoints", "event_types");
    assert_eq!(event_types["minItems"], 1);
    assert_problem(
        app.post(
            "/api/v1/webhook-endpoints",
            token,
            &json!({"url": "https://hooks.example.com/a", "event_types": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    for (url, description) in [
        ("https://hooks.example.com/a", "a\u{1b}b".to_owned()),
        ("https://hooks.example.com/a\u{0}", String::new()),
        ("https://hooks.example.com/a", "x".repeat(201)),
    ] {
        assert_problem(
            app.post(
                "/api/v1/webhook-endpoints",
                token,
                &json!({"url": url, "description": description, "event_types": ["numbers.low_stock"]}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        )
        .await;
    }
}

/// ST201: `[null, null]` was taken for a webhook endpoint change (serde reads a struct from an
/// array of its fields) and answered 200. A body the document says is an object must be one.
#[tokio::test]
async fn a_json_body_that_is_not_an_object_is_refused() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let token = Some(a.token.as_str());
    let created: Value = app
        .post(
            "/api/v1/webhook-endpoints",
            token,
            &json!({"url": "https://hooks.example.com/a", "event_types": ["numbers.low_stock"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["endpoint"]["id"].as_str().unwrap();
    let doc = document(&app).await;
    let update = &doc["paths"]["/api/v1/webhook-endpoints/{id}"]["patch"]["requestBody"];
    let schema = resolved(&doc, &update["content"]["application/json"]["schema"]);
    assert_eq!(schema["type"], "object");

    for body in ["[null, null]", "[]", "null", "42", "\"text\""] {
        let response = app
            .request(
                Method::PATCH,
                &format!("/api/v1/webhook-endpoints/{id}"),
                token,
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    for (path, body) in [
        ("/api/v1/number-blocks", "[]"),
        ("/api/v1/phone-service/bulk", "[[\"someone\"]]"),
        ("/api/v1/api-tokens", "[\"name\", \"viewer\"]"),
    ] {
        assert_problem(
            app.post_raw(path, token, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    // Not JSON at all stays malformed.
    assert_problem(
        app.post_raw("/api/v1/api-tokens", token, "[1, ").await,
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    // Nothing was changed.
    let endpoint: Value = app
        .get(&format!("/api/v1/webhook-endpoints/{id}"), token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(endpoint["event_types"], json!(["numbers.low_stock"]));
    assert_eq!(endpoint["enabled"], true);
}
