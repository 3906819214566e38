use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

async fn put_faults(sim: &TestSim, body: Value) -> reqwest::Response {
    sim.http
        .put(sim.control("/faults"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn throttling_with_retry_after_then_normal() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let res = put_faults(
        &sim,
        json!([
            {"endpoint": "users", "tenant": contoso, "status": 429, "retry_after": 3, "count": 1},
            {"endpoint": "token", "status": 503, "retry_after": 1, "count": 1}
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let url = sim.graph("/v1.0/users?$top=1");
    let res = sim.get(&token, &url).await;
    assert_eq!(res.headers()["retry-after"], "3");
    assert_eq!(
        graph_error(res).await,
        (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests".into())
    );
    assert_eq!(sim.get(&token, &url).await.status(), StatusCode::OK);

    let res = sim.token_response(&contoso, SECRET).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS"));
    assert_eq!(
        sim.token_response(&contoso, SECRET).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn latency_and_hang() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    put_faults(
        &sim,
        json!({"endpoint": "graph", "latency_ms": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let res = sim.get(&token, &sim.graph("/v1.0/users?$top=1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    put_faults(&sim, json!({"endpoint": "teams", "hang": true})).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = impatient
        .get(sim.graph("/v1.0/admin/teams/userConfigurations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    // Other endpoints are unaffected; clearing restores the hanging one.
    assert_eq!(
        sim.get(&token, &sim.graph("/v1.0/users?$top=1"))
            .await
            .status(),
        StatusCode::OK
    );
    let res = sim
        .http
        .delete(sim.control("/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = impatient
        .get(sim.graph("/v1.0/admin/teams/userConfigurations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn bad_control_input_is_400() {
    let sim = spawn().await;
    for body in [
        json!({"endpoint": "nowhere", "status": 500}),
        json!({"endpoint": "graph"}),
        json!({"endpoint": "graph", "status": 200}),
        json!({"endpoint": "graph", "status": 500, "fraction": 2.0}),
        json!({"endpoint": "graph", "status": 500, "tenant": "nope"}),
    ] {
        let res = put_faults(&sim, body.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["message"].is_string());
    }
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
