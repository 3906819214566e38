use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";

/// Ordinary enabled users licensed for Teams Phone and without a number.
async fn phone_users(sim: &TestSim, token: &str, n: usize) -> Vec<String> {
    let page: Value = sim
        .get(
            token,
            &sim.graph("/v1.0/admin/teams/userConfigurations?$top=200"),
        )
        .await
        .json()
        .await
        .unwrap();
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["telephoneNumbers"].as_array().unwrap().is_empty()
                && c["featureTypes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == "PhoneSystem")
        })
        .map(|c| c["id"].as_str().unwrap().to_string())
        .skip(2)
        .take(n)
        .collect()
}

async fn operation(sim: &TestSim, token: &str, location: &str) -> Value {
    let res = sim.get(token, location).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn assign(sim: &TestSim, token: &str, number: &str, user: &str) -> String {
    let res = sim
        .post_json(
            token,
            &sim.graph(&format!("{NUMBERS}/assignNumber")),
            json!({"telephoneNumber": number, "assignmentTargetId": user, "numberType": "directRouting", "assignmentCategory": "primary"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(res.text().await.unwrap().is_empty());
    location
}

async fn wait_done(sim: &TestSim, token: &str, location: &str) -> Value {
    for _ in 0..50 {
        let op = operation(sim, token, location).await;
        if op["status"] == "succeeded" || op["status"] == "failed" {
            return op;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("operation did not finish");
}

#[actix_web::test]
async fn assigning_a_number_runs_an_operation_and_enables_voice() {
    // A longer delay than the other tests, so each state is observed reliably on a busy machine.
    let mut config = config();
    config.operation_delay = Duration::from_millis(1000);
    let sim = spawn_with(config).await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = phone_users(&sim, &token, 1).await.remove(0);
    let number = "+14255550101";

    let started = std::time::Instant::now();
    let location = assign(&sim, &token, number, &user).await;
    assert!(location.starts_with(&format!(
        "{}/_microsoft/graph/v1.0/admin/teams/telephoneNumberManagement/operations('",
        sim.origin
    )));
    let op = operation(&sim, &token, &location).await;
    assert_eq!(op["status"], "notStarted");
    assert!(op["createdDateTime"].is_string());
    assert_eq!(op["numbers"][0]["status"], "notStarted");
    // Also readable as operations/{id}.
    let id = op["id"].as_str().unwrap();
    let op2 = operation(
        &sim,
        &token,
        &sim.graph(&format!(
            "/v1.0/admin/teams/telephoneNumberManagement/operations/{id}"
        )),
    )
    .await;
    assert_eq!(op2["id"], id);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "machine too slow"
    );
    tokio::time::sleep(Duration::from_millis(650).saturating_sub(started.elapsed())).await;
    assert_eq!(
        operation(&sim, &token, &location).await["status"],
        "running"
    );
    // Effects apply at completion only.
    let config: Value = sim
        .get(
            &token,
            &sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{user}")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["telephoneNumbers"], json!([]));
    let op = wait_done(&sim, &token, &location).await;
    assert_eq!(op["status"], "succeeded", "{op}");

    let list: Value = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=telephoneNumber eq '{}' and numberType eq 'directRouting'",
                urlencode(number)
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    let n = &list["value"][0];
    assert_eq!(n["assignmentTargetId"], user.as_str());
    assert_eq!(n["assignmentStatus"], "userAssigned");
    assert_eq!(n["activationState"], "activated");
    assert_eq!(n["isoCountryCode"], "US");

    let config: Value = sim
        .get(
            &token,
            &sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{user}")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["isEnterpriseVoiceEnabled"], true);
    assert_eq!(
        config["telephoneNumbers"],
        json!([{"telephoneNumber": number, "assignmentCategory": "primary"}])
    );
    assert_eq!(config["tenantId"], contoso.as_str());

    // Unassign: the Direct Routing number leaves Teams.
    let res = sim
        .post_json(
            &token,
            &sim.graph(&format!("{NUMBERS}/unassignNumber")),
            json!({"telephoneNumber": number, "numberType": "directRouting"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        wait_done(&sim, &token, &location).await["status"],
        "succeeded"
    );
    let list: Value = sim
        .get(
            &token,
            &sim.graph(&format!("{NUMBERS}?$filter=assignmentTargetId eq '{user}'")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"], json!([]));
}

#[actix_web::test]
async fn a_number_assigned_to_another_user_fails_the_operation() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let users = phone_users(&sim, &token, 2).await;
    let number = "+442079460999";
    let first = assign(&sim, &token, number, &users[0]).await;
    let second = assign(&sim, &token, number, &users[1]).await;
    assert_eq!(wait_done(&sim, &token, &first).await["status"], "succeeded");
    let op = wait_done(&sim, &token, &second).await;
    assert_eq!(op["status"], "failed");
    assert_eq!(
        op["numbers"][0]["statusDetail"],
        format!("Telephone Number '{number}' has already been assigned to another user")
    );
}

#[actix_web::test]
async fn bad_bodies_and_seeded_numbers() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = phone_users(&sim, &token, 1).await.remove(0);
    for body in [
        json!({"telephoneNumber": "425-555-0101", "assignmentTargetId": user, "numberType": "directRouting"}),
        json!({"telephoneNumber": "+04255550101", "assignmentTargetId": user, "numberType": "directRouting"}),
        json!({"telephoneNumber": "+1425", "assignmentTargetId": user, "numberType": "directRouting"}),
        json!({"telephoneNumber": "+14255550101", "assignmentTargetId": user, "numberType": "landline"}),
        json!({"telephoneNumber": "+14255550101", "assignmentTargetId": "no-such-user", "numberType": "directRouting"}),
        json!({"telephoneNumber": "+14255550101", "numberType": "directRouting"}),
    ] {
        let res = sim
            .post_json(
                &token,
                &sim.graph(&format!("{NUMBERS}/assignNumber")),
                body.clone(),
            )
            .await;
        assert_eq!(
            graph_error(res).await,
            (StatusCode::BAD_REQUEST, "BadRequest".into()),
            "{body}"
        );
    }
    // A handful of users have numbers at start; $top and $skip page them, sorted by number,
    // with no nextLink (as the Teams back end).
    let numbers = |page: &Value| -> Vec<String> {
        page["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["telephoneNumber"].as_str().unwrap().to_string())
            .collect()
    };
    let all: Value = sim
        .get(&token, &sim.graph(NUMBERS))
        .await
        .json()
        .await
        .unwrap();
    let all = numbers(&all);
    assert_eq!(all.len(), 5);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "sorted by telephoneNumber");
    let page: Value = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}?$top=2&$skip=2")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(numbers(&page), all[2..4].to_vec());
    assert!(page.get("@odata.nextLink").is_none(), "{page}");
    let res = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}?$skip=-1")))
        .await;
    assert_eq!(graph_error(res).await.0, StatusCode::BAD_REQUEST);

    // Switched on, nextLink appears and carries the position.
    let settings: Value = sim
        .http
        .put(sim.control("/settings"))
        .json(&json!({"number_assignments_next_link": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        settings,
        json!({"number_assignments_next_link": true, "policy_delay_ms": 0})
    );
    let page: Value = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}?$top=2&$skip=1")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(numbers(&page), all[1..3].to_vec());
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&sim.origin) && !next.contains("$skip="),
        "{next}"
    );
    let rest: Value = sim.get(&token, next).await.json().await.unwrap();
    assert_eq!(numbers(&rest), all[3..5].to_vec());
    assert!(rest.get("@odata.nextLink").is_none());
    let res = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}?$top=1001")))
        .await;
    assert_eq!(graph_error(res).await.0, StatusCode::BAD_REQUEST);
}
