//! `GET /v1.0/users/delta`: initial round, later rounds, `latest`, refused tokens, scale.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

fn ids(values: &[Value]) -> HashSet<String> {
    values
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// The `$deltatoken` of a deltaLink.
fn delta_token(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "$deltatoken")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[actix_web::test]
async fn the_initial_round_pages_by_200_and_ends_with_a_delta_link() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    // $top is silently ignored: pages of 200.
    let first: Value = sim
        .get(
            &token,
            &sim.graph("/v1.0/users/delta?$select=id,displayName&$top=5"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["value"].as_array().unwrap().len(), 200);
    assert!(first.get("@odata.deltaLink").is_none());
    assert!(first["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#users(id,displayName)/delta"));
    let keys: HashSet<&str> = first["value"][7]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["id", "displayName"]));
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!(
        "{}/_microsoft/graph/v1.0/users/delta?",
        sim.origin
    )));
    assert!(next.contains("$select=id%2CdisplayName"), "{next}");

    let (values, link, pages) = sim
        .delta_round(
            &token,
            &sim.graph("/v1.0/users/delta?$select=id,displayName"),
        )
        .await;
    assert_eq!(pages, 2);
    assert_eq!(values.len(), 250);
    assert_eq!(ids(&values).len(), 250);
    assert!(link.contains("$select=id%2CdisplayName"), "{link}");

    // Nothing changed: the next round is empty and hands out a deltaLink again.
    let (values, again, pages) = sim.delta_round(&token, &link).await;
    assert_eq!((values.len(), pages), (0, 1));
    assert!(again.contains("$deltatoken="));
}

#[actix_web::test]
async fn a_later_round_shows_an_added_a_changed_and_a_deleted_user_and_nothing_else() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let select = "/v1.0/users/delta?$select=id,displayName,usageLocation";
    let (initial, link, _) = sim.delta_round(&token, &sim.graph(select)).await;
    let changed_id = initial[20]["id"].as_str().unwrap().to_string();
    let deleted_id = initial[21]["id"].as_str().unwrap().to_string();

    let added = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "new.hire@contoso.onmicrosoft.com", "displayName": "New Hire", "usageLocation": "US", "teamsPhoneLicense": true}),
        )
        .await;
    let added_id = added["id"].as_str().unwrap().to_string();
    // Changed twice: reported once, in its current state.
    for name in ["Renamed Once", "Renamed Twice"] {
        let res = sim
            .control_call(
                Method::PATCH,
                &format!("/tenants/{contoso}/users/{changed_id}"),
                Some(json!({"displayName": name})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/users/{deleted_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let (values, next_link, _) = sim.delta_round(&token, &link).await;
    let by_id: HashMap<&str, &Value> = values
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v))
        .collect();
    assert_eq!(values.len(), 3, "{values:?}");
    assert_eq!(by_id.len(), 3);
    assert_eq!(
        *by_id[added_id.as_str()],
        json!({"id": added_id, "displayName": "New Hire", "usageLocation": "US"})
    );
    assert_eq!(by_id[changed_id.as_str()]["displayName"], "Renamed Twice");
    assert_eq!(
        *by_id[deleted_id.as_str()],
        // Deleting is a soft delete (restorable): reason "changed" (TELEPHONY.md section 9).
        json!({"id": deleted_id, "@removed": {"reason": "changed"}})
    );

    // The deleted user is gone from /users too.
    let res = sim
        .get(&token, &sim.graph(&format!("/v1.0/users/{deleted_id}")))
        .await;
    assert_eq!(graph_error(res).await.0, StatusCode::NOT_FOUND);

    // The following round starts after those changes.
    let (values, _, _) = sim.delta_round(&token, &next_link).await;
    assert_eq!(values, Vec::<Value>::new());
    // The old deltaLink still replays the same changes (tokens are reusable).
    let (values, _, _) = sim.delta_round(&token, &link).await;
    assert_eq!(ids(&values).len(), 3);
}

#[actix_web::test]
async fn later_rounds_page_by_200_and_number_assignments_count_as_changes() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let (initial, link, _) = sim
        .delta_round(&token, &sim.graph("/v1.0/users/delta?$select=id"))
        .await;
    for u in initial.iter().skip(2).take(230) {
        let id = u["id"].as_str().unwrap();
        let res = sim
            .control_call(
                Method::PATCH,
                &format!("/tenants/{contoso}/users/{id}"),
                Some(json!({"displayName": format!("Renamed {id}")})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let (values, link, pages) = sim.delta_round(&token, &link).await;
    assert_eq!((values.len(), ids(&values).len(), pages), (230, 230, 2));

    // A number assigned out of band changes its user.
    let user = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "voice@contoso.onmicrosoft.com", "displayName": "Voice User", "teamsPhoneLicense": true}),
        )
        .await;
    let (_, link, _) = sim.delta_round(&token, &link).await;
    let res = sim
        .control_call(
            Method::POST,
            &format!("/tenants/{contoso}/number-assignments"),
            Some(json!({"telephoneNumber": "+14255550177", "userId": "voice@contoso.onmicrosoft.com"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (values, link, _) = sim.delta_round(&token, &link).await;
    assert_eq!(values, vec![json!({"id": user["id"]})]);
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/number-assignments/+14255550177"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (values, _, _) = sim.delta_round(&token, &link).await;
    assert_eq!(values, vec![json!({"id": user["id"]})]);
}

#[actix_web::test]
async fn latest_starts_from_now_and_bad_tokens_are_refused() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    let page: Value = sim
        .get(
            &token,
            &sim.graph("/v1.0/users/delta?$select=id,displayName&$deltatoken=latest"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["value"], json!([]));
    assert!(page.get("@odata.nextLink").is_none());
    let link = page["@odata.deltaLink"].as_str().unwrap().to_string();
    assert_ne!(delta_token(&link), "latest");
    let user = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "late@contoso.onmicrosoft.com", "displayName": "Late Comer", "usageLocation": null}),
        )
        .await;
    let (values, _, _) = sim.delta_round(&token, &link).await;
    assert_eq!(
        values,
        vec![json!({"id": user["id"], "displayName": "Late Comer"})]
    );

    // Malformed tokens.
    for query in [
        "$deltatoken=not-a-token",
        "$deltatoken=c2ltMXxkdHx4fDF8MQ",
        "$skiptoken=garbage",
    ] {
        let res = sim
            .get(&token, &sim.graph(&format!("/v1.0/users/delta?{query}")))
            .await;
        assert_eq!(
            graph_error(res).await,
            (StatusCode::BAD_REQUEST, "syncStateNotFound".into()),
            "{query}"
        );
    }

    // Another tenant's token is refused.
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .json(&json!({"name": "Fabrikam", "users": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let fabrikam = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = sim.connected_token(&fabrikam).await;
    let (_, fabrikam_link, _) = sim
        .delta_round(&other, &sim.graph("/v1.0/users/delta"))
        .await;
    let res = sim
        .get(
            &token,
            &sim.graph(&format!(
                "/v1.0/users/delta?$deltatoken={}",
                delta_token(&fabrikam_link)
            )),
        )
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::BAD_REQUEST, "syncStateNotFound".into())
    );
    // Its own token still works for Fabrikam.
    assert_eq!(
        sim.get(&other, &fabrikam_link).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_100k_user_tenant_delta_rounds_are_fast() {
    let sim = spawn().await;
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .json(&json!({"name": "Delta Corp", "users": 100_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let tenant = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = sim.connected_token(&tenant).await;

    let started = Instant::now();
    let mut url = sim.graph("/v1.0/users/delta?$select=id,userPrincipalName,assignedPlans");
    let (mut seen, mut pages, mut slowest) = (HashSet::new(), 0, Duration::ZERO);
    let link = loop {
        let t = Instant::now();
        let page: Value = sim.get(&token, &url).await.json().await.unwrap();
        slowest = slowest.max(t.elapsed());
        pages += 1;
        for u in page["value"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_str().unwrap().to_string()));
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break page["@odata.deltaLink"].as_str().unwrap().to_string(),
        }
    };
    let initial = started.elapsed();
    assert_eq!(seen.len(), 100_000);
    assert_eq!(pages, 500);

    // 300 changes spread over the directory, then the later round.
    let ids: Vec<&String> = seen.iter().take(300).collect();
    for id in &ids {
        let res = sim
            .control_call(
                Method::PATCH,
                &format!("/tenants/{tenant}/users/{id}"),
                Some(json!({"accountEnabled": false, "displayName": "Changed"})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let started = Instant::now();
    let mut url = link;
    let mut later = Vec::new();
    loop {
        let t = Instant::now();
        let page: Value = sim.get(&token, &url).await.json().await.unwrap();
        slowest = slowest.max(t.elapsed());
        later.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    let later_in = started.elapsed();
    eprintln!(
        "100,000-user delta: initial round {pages} pages in {initial:?}; later round of {} in {later_in:?}; slowest page {slowest:?}",
        later.len()
    );
    assert_eq!(later.len(), 300);
    assert!(
        slowest < Duration::from_millis(500),
        "slowest page {slowest:?}"
    );
    assert!(
        later_in < Duration::from_secs(1),
        "later round {later_in:?}"
    );
}
