//! The control API's directory users and out-of-band number assignments, and what Graph then
//! shows (users, assignedPlans, numberAssignments, userConfigurations, operations).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";

async fn control_error(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    (status, body["error"].as_str().unwrap().to_string())
}

async fn number(sim: &TestSim, token: &str, number: &str) -> Value {
    let page: Value = sim
        .get(
            token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=telephoneNumber eq '{}'",
                urlencode(number)
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    let list = page["value"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{page}");
    list[0].clone()
}

async fn user_configuration(sim: &TestSim, token: &str, id: &str) -> Value {
    let res = sim
        .get(
            token,
            &sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{id}")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[actix_web::test]
async fn users_are_created_changed_and_deleted() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    let user = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "Ada.Lovelace@contoso.onmicrosoft.com", "displayName": "Ada Lovelace", "usageLocation": "gb", "teamsPhoneLicense": true}),
        )
        .await;
    let id = user["id"].as_str().unwrap().to_string();
    assert_eq!(
        user["userPrincipalName"],
        "Ada.Lovelace@contoso.onmicrosoft.com"
    );
    assert_eq!(user["displayName"], "Ada Lovelace");
    assert_eq!(user["usageLocation"], "GB");
    assert_eq!(user["accountEnabled"], true);
    assert_eq!(user["teamsPhoneLicense"], true);
    assert_eq!(
        user["assignedLicenses"],
        json!([{"disabledPlans": [], "skuId": TEAMS_PHONE_SKU}])
    );
    assert_eq!(user["telephoneNumbers"], json!([]));
    assert_eq!(sim.tenant(&contoso).await["users_count"], 251);

    // Graph sees the user, by id and by UPN (any case).
    let graph_user: Value = sim
        .get(
            &token,
            &sim.graph(
                "/v1.0/users/ada.lovelace@contoso.onmicrosoft.com?$select=id,usageLocation,accountEnabled",
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(graph_user["id"], id.as_str());
    assert_eq!(graph_user["usageLocation"], "GB");

    // Refused: a duplicate UPN (any case), another domain, no @, bad fields.
    let post = |body: Value| {
        let sim = &sim;
        let contoso = &contoso;
        async move {
            control_error(
                sim.control_call(
                    Method::POST,
                    &format!("/tenants/{contoso}/users"),
                    Some(body),
                )
                .await,
            )
            .await
        }
    };
    assert_eq!(
        post(json!({"userPrincipalName": "ada.lovelace@CONTOSO.onmicrosoft.com", "displayName": "Again"})).await,
        (StatusCode::CONFLICT, "conflict".into())
    );
    for body in [
        json!({"userPrincipalName": "ada@fabrikam.onmicrosoft.com", "displayName": "Ada"}),
        json!({"userPrincipalName": "ada", "displayName": "Ada"}),
        json!({"userPrincipalName": "a d a@contoso.onmicrosoft.com", "displayName": "Ada"}),
        json!({"userPrincipalName": "ada2@contoso.onmicrosoft.com", "displayName": "  "}),
        json!({"userPrincipalName": "ada2@contoso.onmicrosoft.com", "displayName": "Ada", "usageLocation": "USA"}),
        json!({"userPrincipalName": "ada2@contoso.onmicrosoft.com", "displayName": "Ada", "mail": "x"}),
        json!({"displayName": "Ada"}),
    ] {
        assert_eq!(
            post(body.clone()).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{body}"
        );
    }
    let res = sim
        .control_call(
            Method::POST,
            "/tenants/no-such-tenant/users",
            Some(json!({"userPrincipalName": "a@b.c", "displayName": "A"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // PATCH by UPN: null clears usageLocation; the licence goes; the account is disabled.
    let res = sim
        .control_call(
            Method::PATCH,
            &format!("/tenants/{contoso}/users/ada.lovelace@contoso.onmicrosoft.com"),
            Some(json!({"displayName": "Ada King", "usageLocation": null, "teamsPhoneLicense": false, "accountEnabled": false})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["id"], id.as_str());
    assert_eq!(patched["displayName"], "Ada King");
    assert_eq!(patched["usageLocation"], Value::Null);
    assert_eq!(patched["teamsPhoneLicense"], false);
    assert_eq!(patched["accountEnabled"], false);
    assert_eq!(patched["assignedLicenses"], json!([]));
    // An absent field is kept.
    let res = sim
        .control_call(
            Method::PATCH,
            &format!("/tenants/{contoso}/users/{id}"),
            Some(json!({"usageLocation": "US"})),
        )
        .await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(
        (&patched["displayName"], &patched["usageLocation"]),
        (&json!("Ada King"), &json!("US"))
    );
    let res = sim
        .control_call(
            Method::PATCH,
            &format!("/tenants/{contoso}/users/nobody@contoso.onmicrosoft.com"),
            Some(json!({"displayName": "X"})),
        )
        .await;
    assert_eq!(
        control_error(res).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let res = sim
        .control_call(
            Method::PATCH,
            &format!("/tenants/{contoso}/users/{id}"),
            Some(json!({"teamsPhoneLicense": "yes"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // DELETE: gone from Graph; a second DELETE is 404.
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/users/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = sim
        .get(&token, &sim.graph(&format!("/v1.0/users/{id}")))
        .await;
    assert_eq!(graph_error(res).await.0, StatusCode::NOT_FOUND);
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/users/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(sim.tenant(&contoso).await["users_count"], 250);
    // The UPN is free again.
    sim.create_user(
        &contoso,
        json!({"userPrincipalName": "ada.lovelace@contoso.onmicrosoft.com", "displayName": "Ada"}),
    )
    .await;
}

#[actix_web::test]
async fn assigned_plans_follow_the_teams_phone_licence() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    // Only on $select.
    let page: Value = sim
        .get(&token, &sim.graph("/v1.0/users?$top=5"))
        .await
        .json()
        .await
        .unwrap();
    assert!(page["value"][0].get("assignedPlans").is_none());

    let page: Value = sim
        .get(
            &token,
            &sim.graph("/v1.0/users?$select=id,assignedLicenses,assignedPlans&$top=999"),
        )
        .await
        .json()
        .await
        .unwrap();
    let users = page["value"].as_array().unwrap();
    let mut licensed = 0;
    let mut e5_only = 0;
    for u in users {
        let has_sku = |sku: &str| {
            u["assignedLicenses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["skuId"] == sku)
        };
        // Teams Phone Standard, or E5, which includes Phone System (TELEPHONY.md section 10).
        let phone = has_sku(TEAMS_PHONE_SKU) || has_sku(E5_SKU);
        if has_sku(E5_SKU) && !has_sku(TEAMS_PHONE_SKU) {
            e5_only += 1;
        }
        let plans = u["assignedPlans"].as_array().unwrap();
        let mcoev: Vec<&Value> = plans
            .iter()
            .filter(|p| p["servicePlanId"] == MCOEV_PLAN)
            .collect();
        if phone {
            licensed += 1;
            assert_eq!(mcoev.len(), 1, "{u}");
            // The workload, never the plan's name.
            assert_eq!(mcoev[0]["service"], "MicrosoftCommunicationsOnline");
            assert_eq!(mcoev[0]["capabilityStatus"], "Enabled");
            assert!(mcoev[0]["assignedDateTime"]
                .as_str()
                .unwrap()
                .ends_with('Z'));
        } else {
            assert!(mcoev.is_empty(), "{u}");
        }
        if u["assignedLicenses"] == json!([]) {
            assert_eq!(u["assignedPlans"], json!([]), "{u}");
        }
    }
    assert!(licensed > 100, "{licensed}");
    // The seeded admins hold E5 alone.
    assert!(e5_only >= 2, "{e5_only}");

    let plain = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "plain@contoso.onmicrosoft.com", "displayName": "Plain User"}),
        )
        .await;
    let id = plain["id"].as_str().unwrap();
    let plans = |sim: &TestSim, token: &str, id: &str| {
        let url = sim.graph(&format!("/v1.0/users/{id}?$select=assignedPlans"));
        let token = token.to_string();
        let http = sim.http.clone();
        async move {
            let u: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            u["assignedPlans"].clone()
        }
    };
    assert_eq!(plans(&sim, &token, id).await, json!([]));
    let res = sim
        .control_call(
            Method::PATCH,
            &format!("/tenants/{contoso}/users/{id}"),
            Some(json!({"teamsPhoneLicense": true})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let now = plans(&sim, &token, id).await;
    assert_eq!(now.as_array().unwrap().len(), 1, "{now}");
    assert_eq!(now[0]["servicePlanId"], MCOEV_PLAN);
    assert_eq!(now[0]["capabilityStatus"], "Enabled");
    // userConfigurations agrees.
    let config = user_configuration(&sim, &token, id).await;
    assert!(config["featureTypes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "PhoneSystem"));
}

#[actix_web::test]
async fn numbers_are_assigned_and_unassigned_out_of_band() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let ada = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "ada@contoso.onmicrosoft.com", "displayName": "Ada", "usageLocation": "US", "teamsPhoneLicense": true}),
        )
        .await;
    let bob = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "bob@contoso.onmicrosoft.com", "displayName": "Bob", "usageLocation": "US", "teamsPhoneLicense": true}),
        )
        .await;
    let eve = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "eve@contoso.onmicrosoft.com", "displayName": "Eve", "usageLocation": "US"}),
        )
        .await;
    let ada_id = ada["id"].as_str().unwrap();
    let assign = |number: &str, user: &str| {
        let body = json!({"telephoneNumber": number, "userId": user});
        let path = format!("/tenants/{contoso}/number-assignments");
        let sim = &sim;
        async move { sim.control_call(Method::POST, &path, Some(body)).await }
    };

    // A number not in the inventory, to a user named by UPN: assigned at once.
    let res = assign("+14255550100", "ada@contoso.onmicrosoft.com").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["telephoneNumber"], "+14255550100");
    assert_eq!(created["assignmentTargetId"], ada_id);
    assert_eq!(created["assignmentStatus"], "userAssigned");
    assert_eq!(created["numberType"], "directRouting");
    let listed = number(&sim, &token, "+14255550100").await;
    assert_eq!(listed, created);
    let config = user_configuration(&sim, &token, ada_id).await;
    assert_eq!(config["isEnterpriseVoiceEnabled"], true);
    assert_eq!(
        config["telephoneNumbers"],
        json!([{"telephoneNumber": "+14255550100", "assignmentCategory": "primary"}])
    );
    // Found by assignmentTargetId too.
    let page: Value = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{NUMBERS}?$filter=assignmentTargetId eq '{ada_id}'"
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 1);

    // Again to the same user: fine. To someone else: 409. To an unlicensed user: 409.
    assert_eq!(
        assign("14255550100", ada_id).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        control_error(assign("+14255550100", bob["id"].as_str().unwrap()).await).await,
        (StatusCode::CONFLICT, "conflict".into())
    );
    assert_eq!(
        control_error(assign("+14255550111", eve["id"].as_str().unwrap()).await).await,
        (StatusCode::CONFLICT, "not_licensed".into())
    );
    assert_eq!(
        control_error(assign("+1425", ada_id).await).await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
    assert_eq!(
        control_error(assign("+14255550112", "nobody@contoso.onmicrosoft.com").await).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Unassigned: the number stays in the inventory, unassigned; voice goes off.
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/number-assignments/%2B14255550100"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let listed = number(&sim, &token, "+14255550100").await;
    assert_eq!(listed["assignmentStatus"], "unassigned");
    assert_eq!(listed["assignmentTargetId"], Value::Null);
    assert_eq!(listed["assignmentCategory"], Value::Null);
    let config = user_configuration(&sim, &token, ada_id).await;
    assert_eq!(config["telephoneNumbers"], json!([]));
    assert_eq!(config["isEnterpriseVoiceEnabled"], false);
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/number-assignments/+19995550100"),
            None,
        )
        .await;
    assert_eq!(
        control_error(res).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Bob takes it; deleting Bob unassigns it.
    let bob_id = bob["id"].as_str().unwrap();
    assert_eq!(
        assign("+14255550100", bob_id).await.status(),
        StatusCode::CREATED
    );
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/users/bob@contoso.onmicrosoft.com"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let listed = number(&sim, &token, "+14255550100").await;
    assert_eq!(listed["assignmentStatus"], "unassigned");
}

/// The Teams back end's messages in failed operations, and every user in userConfigurations.
#[actix_web::test]
async fn graph_assignments_fail_with_the_teams_messages() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let eve = sim
        .create_user(
            &contoso,
            json!({"userPrincipalName": "eve@contoso.onmicrosoft.com", "displayName": "Eve", "usageLocation": "US"}),
        )
        .await;
    let eve_id = eve["id"].as_str().unwrap();
    let res = sim
        .post_json(
            &token,
            &sim.graph(&format!("{NUMBERS}/assignNumber")),
            json!({"telephoneNumber": "14255550123", "assignmentTargetId": eve_id, "numberType": "directRouting"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let mut op = Value::Null;
    for _ in 0..50 {
        op = sim.get(&token, &location).await.json().await.unwrap();
        if op["status"] == "failed" || op["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(op["status"], "failed", "{op}");
    assert_eq!(
        op["numbers"][0]["statusDetail"],
        format!("User '{eve_id}' lacks appropriate licenses to assign a 'DirectRouting' number.")
    );

    // userConfigurations pages through every user (nextLink), PhoneSystem for the licensed.
    let mut url = sim.graph("/v1.0/admin/teams/userConfigurations?$top=100");
    let (mut count, mut pages, mut phone) = (0, 0, 0);
    loop {
        let page: Value = sim.get(&token, &url).await.json().await.unwrap();
        pages += 1;
        for c in page["value"].as_array().unwrap() {
            count += 1;
            if c["featureTypes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "PhoneSystem")
            {
                phone += 1;
            }
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!((count, pages), (251, 3));
    assert!(phone > 100 && phone < 251, "{phone}");
}

#[actix_web::test]
async fn settings_are_read_and_validated() {
    let sim = spawn().await;
    let res = sim.control_call(Method::GET, "/settings", None).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"number_assignments_next_link": false, "policy_delay_ms": 0})
    );
    let res = sim
        .control_call(Method::PUT, "/settings", Some(json!({"next": true})))
        .await;
    assert_eq!(
        control_error(res).await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
}
