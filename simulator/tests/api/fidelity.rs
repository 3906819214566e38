//! Emergency locations on numbers (TELEPHONY.md section 12), and the fidelity fixes of issue 17:
//! activation states, numbers held by resource accounts and conference bridges, the
//! namespace-qualified action paths, `GET numberAssignments/{id}`, E5's Phone System, soft
//! deletes in delta.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
const QUALIFIED: &str = "microsoft.graph.teamsAdministration";

async fn number(sim: &TestSim, token: &str, telephone_number: &str) -> Value {
    let page: Value = sim
        .get(
            token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=telephoneNumber eq '{}'",
                urlencode(telephone_number)
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    page["value"][0].clone()
}

async fn licensed_user(sim: &TestSim, tenant: &str, local: &str, licensed: bool) -> String {
    let u = sim
        .create_user(
            tenant,
            json!({"userPrincipalName": format!("{local}@contoso.onmicrosoft.com"), "displayName": local, "usageLocation": "US", "teamsPhoneLicense": licensed}),
        )
        .await;
    u["id"].as_str().unwrap().to_string()
}

/// Starts assignNumber at `path` (short or qualified action name); returns the Location.
async fn start_assign(sim: &TestSim, token: &str, action: &str, body: Value) -> String {
    let res = sim
        .post_json(token, &sim.graph(&format!("{NUMBERS}/{action}")), body)
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn wait_done(sim: &TestSim, token: &str, location: &str) -> Value {
    for _ in 0..60 {
        let op: Value = sim.get(token, location).await.json().await.unwrap();
        if op["status"] == "succeeded" || op["status"] == "failed" {
            return op;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("operation did not finish");
}

async fn locations(sim: &TestSim, tenant: &str) -> Vec<Value> {
    sim.control_call(Method::GET, &format!("/tenants/{tenant}/locations"), None)
        .await
        .json()
        .await
        .unwrap()
}

#[actix_web::test]
async fn lis_locations_are_seeded_created_and_removed() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let seeded = locations(&sim, &contoso).await;
    let descriptions: Vec<&str> = seeded
        .iter()
        .map(|l| l["description"].as_str().unwrap())
        .collect();
    assert_eq!(descriptions, ["Seattle HQ", "Berlin Office"]);
    let path = format!("/tenants/{contoso}/locations");

    // Created with a given id, or one generated.
    let given = "6f2c1a8e-0b7d-4c3e-9a51-2d8e4f6a7b90";
    let res = sim
        .control_call(
            Method::POST,
            &path,
            Some(json!({"description": "Paris Office", "locationId": given})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        created,
        json!({"locationId": given, "description": "Paris Office"})
    );
    let res = sim
        .control_call(Method::POST, &path, Some(json!({"description": "Annex"})))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let annex: Value = res.json().await.unwrap();
    assert!(uuid_like(annex["locationId"].as_str().unwrap()));
    let res = sim
        .control_call(Method::GET, &format!("{path}/{given}"), None)
        .await;
    assert_eq!(res.json::<Value>().await.unwrap(), created);
    for (body, status) in [
        (
            json!({"description": "Again", "locationId": given}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"description": "Bad", "locationId": "not-a-guid"}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"description": ""}), StatusCode::BAD_REQUEST),
    ] {
        let res = sim
            .control_call(Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(res.status(), status, "{body}");
    }

    // A location on a number cannot be removed; once the number leaves it, it can.
    let user = licensed_user(&sim, &contoso, "lena", true).await;
    let res = sim
        .control_call(
            Method::POST,
            &format!("/tenants/{contoso}/number-assignments"),
            Some(json!({"telephoneNumber": "+14255550140", "userId": user, "locationId": given})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = sim
        .control_call(Method::DELETE, &format!("{path}/{given}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = sim
        .post_json(
            &token,
            &sim.graph(&format!("{NUMBERS}/updateNumber")),
            json!({"telephoneNumber": "+14255550140", "locationId": ""}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = sim
        .control_call(Method::DELETE, &format!("{path}/{given}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = sim
        .control_call(Method::GET, &format!("{path}/{given}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(locations(&sim, &contoso).await.len(), 3);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[actix_web::test]
async fn assign_and_update_validate_the_location() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let seattle = locations(&sim, &contoso).await[0]["locationId"]
        .as_str()
        .unwrap()
        .to_string();
    let berlin = locations(&sim, &contoso).await[1]["locationId"]
        .as_str()
        .unwrap()
        .to_string();
    let user = licensed_user(&sim, &contoso, "mia", true).await;

    // A known location is stored and shown on the number.
    let location = start_assign(
        &sim,
        &token,
        "assignNumber",
        json!({"telephoneNumber": "14255550150", "assignmentTargetId": user, "numberType": "directRouting", "locationId": seattle}),
    )
    .await;
    assert_eq!(
        wait_done(&sim, &token, &location).await["status"],
        "succeeded"
    );
    assert_eq!(
        number(&sim, &token, "+14255550150").await["locationId"],
        seattle.as_str()
    );
    // Filterable by it.
    let page: Value = sim
        .get(
            &token,
            &sim.graph(&format!("{NUMBERS}?$filter=locationId eq '{seattle}'")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 1);

    // An unknown one fails the operation, naming it; the number shows assignmentFailed.
    let unknown = "0b0b0b0b-0000-4000-8000-000000000001";
    let location = start_assign(
        &sim,
        &token,
        "assignNumber",
        json!({"telephoneNumber": "+14255550150", "assignmentTargetId": user, "numberType": "directRouting", "locationId": unknown}),
    )
    .await;
    let op = wait_done(&sim, &token, &location).await;
    assert_eq!(op["status"], "failed");
    assert_eq!(
        op["numbers"][0]["statusDetail"],
        format!("Location '{unknown}' is not found.")
    );
    let n = number(&sim, &token, "+14255550150").await;
    assert_eq!(n["activationState"], "assignmentFailed");
    assert_eq!(n["locationId"], seattle.as_str());

    // updateNumber: a known location replaces it, an unknown one is a 400, "" clears it,
    // an absent one keeps it.
    let update = |body: Value| {
        let url = sim.graph(&format!("{NUMBERS}/{QUALIFIED}.updateNumber"));
        let (sim, token) = (&sim, &token);
        async move { sim.post_json(token, &url, body).await }
    };
    let res = update(json!({"telephoneNumber": "+14255550150", "locationId": berlin})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        number(&sim, &token, "+14255550150").await["locationId"],
        berlin.as_str()
    );
    let res = update(json!({"telephoneNumber": "+14255550150", "locationId": unknown})).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        format!("Location '{unknown}' is not found.")
    );
    let res = update(json!({"telephoneNumber": "+14255550150"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        number(&sim, &token, "+14255550150").await["locationId"],
        berlin.as_str()
    );
    let res = update(json!({"telephoneNumber": "+14255550150", "locationId": ""})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(number(&sim, &token, "+14255550150").await["locationId"].is_null());
    let res = update(json!({"telephoneNumber": "+14255550999", "locationId": berlin})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn activation_goes_through_pending_and_failed() {
    let mut config = config();
    config.operation_delay = Duration::from_millis(800);
    let sim = spawn_with(config).await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let ada = licensed_user(&sim, &contoso, "ada", true).await;
    let eve = licensed_user(&sim, &contoso, "eve", false).await;
    // A free number in the inventory: assigned and unassigned out of band.
    let free = "+14255550160";
    let res = sim
        .control_call(
            Method::POST,
            &format!("/tenants/{contoso}/number-assignments"),
            Some(json!({"telephoneNumber": free, "userId": ada})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/number-assignments/{}", urlencode(free)),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        number(&sim, &token, free).await["activationState"],
        "activated"
    );

    // While the operation runs: assignmentPending (and filterable as such); then activated.
    let started = std::time::Instant::now();
    let location = start_assign(
        &sim,
        &token,
        &format!("{QUALIFIED}.assignNumber"),
        json!({"telephoneNumber": free, "assignmentTargetId": ada, "numberType": "directRouting"}),
    )
    .await;
    let during = number(&sim, &token, free).await;
    let pending: Value = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=activationState eq 'assignmentPending'"
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "machine too slow"
    );
    assert_eq!(during["activationState"], "assignmentPending");
    assert_eq!(during["assignmentStatus"], "unassigned");
    assert_eq!(pending["value"][0]["telephoneNumber"], free);
    assert_eq!(
        wait_done(&sim, &token, &location).await["status"],
        "succeeded"
    );
    let after = number(&sim, &token, free).await;
    assert_eq!(after["activationState"], "activated");
    assert_eq!(after["assignmentTargetId"], ada.as_str());

    // Unassigned through the qualified action; then a failing assignment (no licence).
    let res = sim
        .post_json(
            &token,
            &sim.graph(&format!("{NUMBERS}/{QUALIFIED}.unassignNumber")),
            json!({"telephoneNumber": free, "numberType": "directRouting"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        wait_done(&sim, &token, &location).await["status"],
        "succeeded"
    );
    let location = start_assign(
        &sim,
        &token,
        "assignNumber",
        json!({"telephoneNumber": free, "assignmentTargetId": eve, "numberType": "directRouting"}),
    )
    .await;
    assert_eq!(
        number(&sim, &token, free).await["activationState"],
        "assignmentPending"
    );
    assert_eq!(wait_done(&sim, &token, &location).await["status"], "failed");
    let failed = number(&sim, &token, free).await;
    assert_eq!(failed["activationState"], "assignmentFailed");
    assert_eq!(failed["assignmentStatus"], "unassigned");
}

#[actix_web::test]
async fn numbers_of_resource_accounts_and_conference_bridges() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = licensed_user(&sim, &contoso, "noor", true).await;
    let path = format!("/tenants/{contoso}/number-assignments");
    let attendant = "5a5a5a5a-1111-4222-8333-444455556666";

    let res = sim
        .control_call(
            Method::POST,
            &path,
            Some(json!({"telephoneNumber": "+14255550170", "assignmentStatus": "voiceApplicationAssigned", "assignmentTargetId": attendant})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["assignmentStatus"], "voiceApplicationAssigned");
    assert_eq!(created["assignmentTargetId"], attendant);
    assert_eq!(created["assignmentCategory"], "primary");
    let res = sim
        .control_call(
            Method::POST,
            &path,
            Some(json!({"telephoneNumber": "+14255550171", "assignmentStatus": "conferenceAssigned", "numberType": "callingPlan"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let bridge: Value = res.json().await.unwrap();
    assert_eq!(bridge["assignmentStatus"], "conferenceAssigned");
    assert_eq!(bridge["numberType"], "callingPlan");
    assert!(uuid_like(bridge["assignmentTargetId"].as_str().unwrap()));

    // Graph lists them as such, by id too.
    let listed = number(&sim, &token, "+14255550170").await;
    assert_eq!(listed, created);
    let page: Value = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=assignmentStatus eq 'conferenceAssigned'"
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    let id = created["id"].as_str().unwrap();
    let res = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}/{id}")))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let one: Value = res.json().await.unwrap();
    assert_eq!(one["telephoneNumber"], "+14255550170");
    assert_eq!(one["assignmentStatus"], "voiceApplicationAssigned");
    let res = sim
        .get(&token, &sim.graph(&format!("{NUMBERS}/no-such-id")))
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::NOT_FOUND, "NotFound".into())
    );

    // A user cannot be given the resource account's number.
    let location = start_assign(
        &sim,
        &token,
        "assignNumber",
        json!({"telephoneNumber": "+14255550170", "assignmentTargetId": user, "numberType": "directRouting"}),
    )
    .await;
    let op = wait_done(&sim, &token, &location).await;
    assert_eq!(op["status"], "failed");
    assert_eq!(
        op["numbers"][0]["statusDetail"],
        "Telephone Number '+14255550170' has already been assigned to another user"
    );
    assert_eq!(
        number(&sim, &token, "+14255550170").await["activationState"],
        "activated"
    );
    // Bad control bodies.
    for body in [
        json!({"telephoneNumber": "+14255550172", "assignmentStatus": "voiceApplicationAssigned", "userId": user}),
        json!({"telephoneNumber": "+14255550172", "assignmentStatus": "voiceApplicationAssigned", "assignmentTargetId": user}),
        json!({"telephoneNumber": "+14255550172", "assignmentStatus": "policyAssigned"}),
        json!({"telephoneNumber": "+14255550172", "userId": user, "assignmentTargetId": attendant}),
        json!({"telephoneNumber": "+14255550172", "userId": user, "locationId": "0b0b0b0b-0000-4000-8000-000000000001"}),
    ] {
        let res = sim
            .control_call(Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let res = sim
        .control_call(
            Method::POST,
            &path,
            Some(json!({"telephoneNumber": "+14255550170", "assignmentStatus": "conferenceAssigned"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Unassigning takes the number's own numberType: the bridge's Calling Plan number.
    let unassign = |number_type: &str| {
        let body = json!({"telephoneNumber": "+14255550171", "numberType": number_type});
        let (sim, token) = (&sim, &token);
        async move {
            let res = sim
                .post_json(
                    token,
                    &sim.graph(&format!("{NUMBERS}/unassignNumber")),
                    body,
                )
                .await;
            assert_eq!(res.status(), StatusCode::ACCEPTED);
            let location = res.headers()["location"].to_str().unwrap().to_string();
            wait_done(sim, token, &location).await
        }
    };
    let op = unassign("directRouting").await;
    assert_eq!(op["status"], "failed");
    assert_eq!(
        op["numbers"][0]["statusDetail"],
        "The telephone number +14255550171 is a callingPlan number, not directRouting."
    );
    assert_eq!(unassign("callingPlan").await["status"], "succeeded");
    let freed = number(&sim, &token, "+14255550171").await;
    assert_eq!(freed["assignmentStatus"], "unassigned");
    assert!(freed["assignmentTargetId"].is_null());
}

#[actix_web::test]
async fn e5_includes_phone_system() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    // The seeded Global Administrator holds E5 alone.
    let admin = "admin@contoso.onmicrosoft.com";
    let user = |sim: &TestSim, token: &str| {
        let url = sim.graph(&format!(
            "/v1.0/users/{admin}?$select=id,assignedLicenses,assignedPlans"
        ));
        let (http, token) = (sim.http.clone(), token.to_string());
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let u = user(&sim, &token).await;
    assert_eq!(
        u["assignedLicenses"],
        json!([{"disabledPlans": [], "skuId": E5_SKU}])
    );
    let mcoev: Vec<&Value> = u["assignedPlans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["servicePlanId"] == MCOEV_PLAN)
        .collect();
    assert_eq!(mcoev.len(), 1, "{u}");
    assert_eq!(mcoev[0]["service"], "MicrosoftCommunicationsOnline");
    let id = u["id"].as_str().unwrap().to_string();
    let features = |sim: &TestSim, token: &str| {
        let url = sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{id}"));
        let (http, token) = (sim.http.clone(), token.to_string());
        async move {
            let c: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            c["featureTypes"].clone()
        }
    };
    assert!(features(&sim, &token)
        .await
        .as_array()
        .unwrap()
        .contains(&json!("PhoneSystem")));

    // Teams Phone off: MCOEV disabled inside E5; on again: enabled.
    let patch = |on: bool| {
        let path = format!("/tenants/{contoso}/users/{admin}");
        let sim = &sim;
        async move {
            sim.control_call(Method::PATCH, &path, Some(json!({"teamsPhoneLicense": on})))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let off = patch(false).await;
    assert_eq!(off["teamsPhoneLicense"], false);
    assert_eq!(
        off["assignedLicenses"],
        json!([{"disabledPlans": [MCOEV_PLAN], "skuId": E5_SKU}])
    );
    let u = user(&sim, &token).await;
    assert!(!u["assignedPlans"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["servicePlanId"] == MCOEV_PLAN));
    assert!(!features(&sim, &token)
        .await
        .as_array()
        .unwrap()
        .contains(&json!("PhoneSystem")));
    let on = patch(true).await;
    assert_eq!(on["teamsPhoneLicense"], true);
    assert_eq!(
        on["assignedLicenses"],
        json!([{"disabledPlans": [], "skuId": E5_SKU}])
    );
}

#[actix_web::test]
async fn a_permanent_delete_is_removed_as_deleted() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let (_, link, _) = sim
        .delta_round(&token, &sim.graph("/v1.0/users/delta?$select=displayName"))
        .await;
    let soft = licensed_user(&sim, &contoso, "soft", false).await;
    let hard = licensed_user(&sim, &contoso, "hard", false).await;
    for (id, query) in [(&soft, ""), (&hard, "?permanent=true")] {
        let res = sim
            .control_call(
                Method::DELETE,
                &format!("/tenants/{contoso}/users/{id}{query}"),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let (values, _, _) = sim.delta_round(&token, &link).await;
    assert!(
        values.contains(&json!({"id": soft, "@removed": {"reason": "changed"}})),
        "{values:?}"
    );
    assert!(
        values.contains(&json!({"id": hard, "@removed": {"reason": "deleted"}})),
        "{values:?}"
    );
}
