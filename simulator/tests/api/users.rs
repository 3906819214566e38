use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const SELECT: &str =
    "id,userPrincipalName,displayName,usageLocation,accountEnabled,assignedLicenses,businessPhones";

#[actix_web::test]
async fn a_100k_user_tenant_is_created_and_paged_fast() {
    let sim = spawn().await;
    let started = Instant::now();
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .json(&json!({"name": "Big Corp", "users": 100_000}))
        .send()
        .await
        .unwrap();
    let created_in = started.elapsed();
    assert_eq!(res.status(), StatusCode::CREATED);
    let tenant: Value = res.json().await.unwrap();
    assert_eq!(tenant["users_count"], 100_000);
    assert_eq!(tenant["domain"], "bigcorp.onmicrosoft.com");
    let id = tenant["id"].as_str().unwrap().to_string();
    let token = sim.connected_token(&id).await;

    let started = Instant::now();
    let mut url = sim.graph(&format!("/v1.0/users?$select={SELECT}&$top=999"));
    let (mut seen, mut pages, mut slowest) = (HashSet::new(), 0, Duration::ZERO);
    loop {
        let t = Instant::now();
        let res = sim.get(&token, &url).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        slowest = slowest.max(t.elapsed());
        pages += 1;
        for u in page["value"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_str().unwrap().to_string()));
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&sim.origin), "absolute nextLink");
                url = next.to_string();
            }
            None => break,
        }
    }
    let paged_in = started.elapsed();
    eprintln!(
        "100,000 users: created in {created_in:?}; {pages} pages in {paged_in:?}, slowest page {slowest:?}"
    );
    assert_eq!(seen.len(), 100_000);
    assert_eq!(pages, 101);
    assert!(
        created_in < Duration::from_secs(5),
        "created in {created_in:?}"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "slowest page {slowest:?}"
    );
}

#[actix_web::test]
async fn users_honour_select_top_and_defaults() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    let page: Value = sim
        .get(&token, &sim.graph(&format!("/v1.0/users?$select={SELECT}")))
        .await
        .json()
        .await
        .unwrap();
    let users = page["value"].as_array().unwrap();
    assert_eq!(users.len(), 100);
    assert!(page["@odata.context"]
        .as_str()
        .unwrap()
        .contains("$metadata#users("));
    let admin = &users[0];
    assert_eq!(admin["userPrincipalName"], "admin@contoso.onmicrosoft.com");
    let keys: HashSet<&str> = admin
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, SELECT.split(',').collect::<HashSet<_>>());
    let licensed = users
        .iter()
        .filter(|u| {
            u["assignedLicenses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["skuId"] == "e43b5b99-8dfb-405f-9987-dc307f34bcbd")
        })
        .count();
    assert!(licensed > 50, "most users have Teams Phone ({licensed})");

    let page: Value = sim
        .get(&token, &sim.graph("/v1.0/users?$select=displayName&$top=5"))
        .await
        .json()
        .await
        .unwrap();
    let first = page["value"][0].as_object().unwrap();
    assert_eq!(first.len(), 2, "displayName plus id: {first:?}");

    let res = sim.get(&token, &sim.graph("/v1.0/users?$top=1000")).await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::BAD_REQUEST, "Request_BadRequest".into())
    );

    // Delta: pages, then a deltaLink.
    let mut url = sim.graph("/v1.0/users/delta?$select=id,displayName&$top=100");
    let mut count = 0;
    let delta_link = loop {
        let page: Value = sim.get(&token, &url).await.json().await.unwrap();
        count += page["value"].as_array().unwrap().len();
        if let Some(next) = page["@odata.nextLink"].as_str() {
            url = next.to_string();
        } else {
            break page["@odata.deltaLink"].as_str().unwrap().to_string();
        }
    };
    assert_eq!(count, 250);
    let page: Value = sim.get(&token, &delta_link).await.json().await.unwrap();
    assert_eq!(page["value"], json!([]));
    assert!(page["@odata.deltaLink"].is_string());
}

/// The control API has no authentication: it must not create tenants larger than the
/// benchmarks need.
#[actix_web::test]
async fn the_control_api_refuses_a_tenant_larger_than_100k_users() {
    let sim = spawn().await;
    let before = sim.tenants().await.len();
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .json(&json!({"name": "Huge Corp", "users": 100_001}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.tenants().await.len(), before);
}
