//! Teams voice policies (TELEPHONY.md section 8): getPolicyId, userAssignments/assign and
//! /unassign, effectivePolicyAssignments, and the control API standing in for PowerShell.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const POLICY: &str = "/v1.0/admin/teams/policy";
const OVRP: &str = "OnlineVoiceRoutingPolicy";

async fn policy_id(sim: &TestSim, token: &str, t: &str, name: &str) -> Value {
    let res = sim
        .get(
            token,
            &sim.graph(&format!(
                "{POLICY}/getPolicyId(type='{t}',name='{}')",
                urlencode(name)
            )),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{t} {name}");
    res.json().await.unwrap()
}

/// The id of a seeded (or created) policy, by getPolicyId.
async fn id_of(sim: &TestSim, token: &str, t: &str, name: &str) -> String {
    let body = policy_id(sim, token, t, name).await;
    body["value"][0]["policyId"].as_str().unwrap().to_string()
}

async fn assign(sim: &TestSim, token: &str, items: Value) -> reqwest::Response {
    sim.post_json(
        token,
        &sim.graph(&format!("{POLICY}/userAssignments/assign")),
        json!({ "value": items }),
    )
    .await
}

async fn unassign(sim: &TestSim, token: &str, items: Value) -> reqwest::Response {
    sim.post_json(
        token,
        &sim.graph(&format!("{POLICY}/userAssignments/unassign")),
        json!({ "value": items }),
    )
    .await
}

async fn configuration(sim: &TestSim, token: &str, user: &str) -> Value {
    let res = sim
        .get(
            token,
            &sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{user}")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn effective(sim: &TestSim, token: &str, user: &str) -> Value {
    configuration(sim, token, user).await["effectivePolicyAssignments"].clone()
}

/// A fresh licensed user of the tenant; returns its id.
async fn new_user(sim: &TestSim, tenant: &str, local: &str) -> String {
    let u = sim
        .create_user(
            tenant,
            json!({"userPrincipalName": format!("{local}@contoso.onmicrosoft.com"), "displayName": local, "usageLocation": "US", "teamsPhoneLicense": true}),
        )
        .await;
    u["id"].as_str().unwrap().to_string()
}

/// The full Graph error body (status asserted).
async fn error_body(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    res.json().await.unwrap()
}

#[actix_web::test]
async fn seeded_policies_resolve_by_name() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;

    let body = policy_id(&sim, &token, OVRP, "US-Route").await;
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{body}");
    assert_eq!(value[0]["name"], "US-Route");
    let id = value[0]["policyId"].as_str().unwrap();
    // Names compare case-insensitively, and PowerShell's `Tag:` form is accepted.
    assert_eq!(id_of(&sim, &token, OVRP, "us-route").await, id);
    assert_eq!(id_of(&sim, &token, OVRP, "Tag:US-Route").await, id);
    for (t, name) in [
        (OVRP, "EU-Route"),
        ("TenantDialPlan", "US-DialPlan"),
        ("CallingLineIdentity", "Anonymous"),
        ("TeamsEmergencyCallingPolicy", "Notify-Desk"),
        ("TeamsEmergencyCallRoutingPolicy", "US-Emergency"),
        // Global of each type, implicitly.
        ("TenantDialPlan", "Global"),
    ] {
        let body = policy_id(&sim, &token, t, name).await;
        assert_eq!(body["value"][0]["name"], name, "{body}");
    }
    // The control API lists the same ids.
    let listed: Vec<Value> = sim
        .control_call(Method::GET, &format!("/tenants/{contoso}/policies"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.contains(&json!({"policyType": OVRP, "name": "US-Route", "policyId": id})));
    assert_eq!(
        listed.len(),
        5 + 6,
        "five Globals and six named: {listed:?}"
    );

    // An unknown name: an empty collection, not an error.
    let body = policy_id(&sim, &token, OVRP, "Mars-Route").await;
    assert_eq!(body["value"], json!([]));
    // A name of another type does not match.
    let body = policy_id(&sim, &token, "TenantDialPlan", "US-Route").await;
    assert_eq!(body["value"], json!([]));
    // A type Teams does not know here: 400.
    let res = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{POLICY}/getPolicyId(type='TeamsMeetingPolicy',name='AllOn')"
            )),
        )
        .await;
    let body = error_body(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Policy type 'TeamsMeetingPolicy' is not supported."
    );
    // Missing arguments, and userAssignments has no list method (the Teams back end's 404).
    let res = sim
        .get(
            &token,
            &sim.graph(&format!("{POLICY}/getPolicyId(type='{OVRP}')")),
        )
        .await;
    assert_eq!(graph_error(res).await.0, StatusCode::BAD_REQUEST);
    let res = sim
        .get(&token, &sim.graph(&format!("{POLICY}/userAssignments")))
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::NOT_FOUND, "UnknownError".into())
    );
}

#[actix_web::test]
async fn assigned_policies_show_as_effective_direct_beating_group() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = new_user(&sim, &contoso, "pat").await;
    let us = id_of(&sim, &token, OVRP, "US-Route").await;
    let eu = id_of(&sim, &token, OVRP, "EU-Route").await;
    let plan = id_of(&sim, &token, "TenantDialPlan", "US-DialPlan").await;

    // Nothing assigned: no entries (Global is what no entry means), and no userId field.
    let config = configuration(&sim, &token, &user).await;
    assert_eq!(config["effectivePolicyAssignments"], json!([]));
    assert!(config.get("userId").is_none(), "{config}");

    // Inherited through a group (made outside Graph).
    let res = sim
        .control_call(
            Method::POST,
            &format!("/tenants/{contoso}/users/{user}/group-policies"),
            Some(json!({"policyType": OVRP, "policyId": eu, "groupId": "g-sales"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        effective(&sim, &token, &user).await,
        json!([{"policyType": OVRP, "policyAssignment": {"displayName": "EU-Route", "assignmentType": "group", "policyId": eu, "groupId": "g-sales"}}])
    );

    // Direct assignments (two in one call): 204, no body; the direct one wins over the group.
    let res = assign(
        &sim,
        &token,
        json!([
            {"userId": user, "policyType": OVRP, "policyId": us},
            {"userId": user, "policyType": "TenantDialPlan", "policyId": plan},
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    assert_eq!(
        effective(&sim, &token, &user).await,
        json!([
            {"policyType": OVRP, "policyAssignment": {"displayName": "US-Route", "assignmentType": "direct", "policyId": us, "groupId": null}},
            {"policyType": "TenantDialPlan", "policyAssignment": {"displayName": "US-DialPlan", "assignmentType": "direct", "policyId": plan, "groupId": null}},
        ])
    );
    // The control API shows the direct assignments.
    let direct: Value = sim
        .control_call(
            Method::GET,
            &format!("/tenants/{contoso}/users/{user}/policies"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        direct,
        json!([
            {"policyType": OVRP, "policyId": us, "name": "US-Route"},
            {"policyType": "TenantDialPlan", "policyId": plan, "name": "US-DialPlan"},
        ])
    );
    // The list shows the same, without userId either.
    let mut url = sim.graph("/v1.0/admin/teams/userConfigurations?$top=999");
    let mut found = None;
    loop {
        let page: Value = sim.get(&token, &url).await.json().await.unwrap();
        for c in page["value"].as_array().unwrap() {
            assert!(c.get("userId").is_none(), "{c}");
            if c["id"] == user.as_str() {
                found = Some(c["effectivePolicyAssignments"].clone());
            }
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(found.unwrap().as_array().unwrap().len(), 2);

    // Unassign: the group's policy is back in effect; the dial plan falls back to Global.
    let res = unassign(
        &sim,
        &token,
        json!([
            {"userId": user, "policyType": OVRP},
            {"userId": user, "policyType": "TenantDialPlan"},
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        effective(&sim, &token, &user).await,
        json!([{"policyType": OVRP, "policyAssignment": {"displayName": "EU-Route", "assignmentType": "group", "policyId": eu, "groupId": "g-sales"}}])
    );
    // Unassigning again is harmless; removing the group assignment leaves Global.
    let res = unassign(&sim, &token, json!([{"userId": user, "policyType": OVRP}])).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = sim
        .control_call(
            Method::DELETE,
            &format!("/tenants/{contoso}/users/{user}/group-policies/{OVRP}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(effective(&sim, &token, &user).await, json!([]));

    // Assigning the Global policy is the same as having none.
    let global = id_of(&sim, &token, OVRP, "Global").await;
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": global}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(effective(&sim, &token, &user).await, json!([]));
}

#[actix_web::test]
async fn refused_calls_answer_in_graph_shapes_and_change_nothing() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = new_user(&sim, &contoso, "quinn").await;
    let us = id_of(&sim, &token, OVRP, "US-Route").await;
    let plan = id_of(&sim, &token, "TenantDialPlan", "US-DialPlan").await;

    // An unknown user: 404 NotFound, and the valid item before it is not applied either.
    let ghost = "00000000-0000-0000-0000-0000000000aa";
    let res = assign(
        &sim,
        &token,
        json!([
            {"userId": user, "policyType": OVRP, "policyId": us},
            {"userId": ghost, "policyType": OVRP, "policyId": us},
        ]),
    )
    .await;
    let body = error_body(res, StatusCode::NOT_FOUND).await;
    assert_eq!(body["error"]["code"], "NotFound");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    assert_eq!(effective(&sim, &token, &user).await, json!([]));
    let res = unassign(&sim, &token, json!([{"userId": ghost, "policyType": OVRP}])).await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::NOT_FOUND, "NotFound".into())
    );

    // A policy id that is not one of the type's: 400 naming it.
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": plan}]),
    )
    .await;
    let body = error_body(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        format!("Policy '{plan}' of type '{OVRP}' was not found.")
    );

    // A type the tenant refuses: 400 "not supported"; the others still work.
    let res = sim
        .control_call(
            Method::PUT,
            &format!("/tenants/{contoso}/refused-policy-types"),
            Some(json!(["TenantDialPlan"])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let refused: Value = sim
        .control_call(
            Method::GET,
            &format!("/tenants/{contoso}/refused-policy-types"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refused, json!(["TenantDialPlan"]));
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": "TenantDialPlan", "policyId": plan}]),
    )
    .await;
    let body = error_body(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body["error"]["message"],
        "Policy type 'TenantDialPlan' is not supported."
    );
    let res = unassign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": "TenantDialPlan"}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // getPolicyId still resolves the refused type's names.
    assert_eq!(
        id_of(&sim, &token, "TenantDialPlan", "US-DialPlan").await,
        plan
    );
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": us}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // An unknown type name in the control API: 400.
    let res = sim
        .control_call(
            Method::PUT,
            &format!("/tenants/{contoso}/refused-policy-types"),
            Some(json!(["NoSuchPolicy"])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Malformed bodies: 400 BadRequest.
    for body in [
        json!({}),
        json!({"value": []}),
        json!({"value": [{"policyType": OVRP, "policyId": us}]}),
        json!({"value": [{"userId": user, "policyType": OVRP}]}),
    ] {
        let res = sim
            .post_json(
                &token,
                &sim.graph(&format!("{POLICY}/userAssignments/assign")),
                body.clone(),
            )
            .await;
        assert_eq!(
            graph_error(res).await,
            (StatusCode::BAD_REQUEST, "BadRequest".into()),
            "{body}"
        );
    }
}

#[actix_web::test]
async fn policy_calls_need_the_policy_permission() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // A tenant that consented to the five permissions before voice policies existed.
    let res = sim
        .grant_permissions(
            &contoso,
            &[
                "CrossTenantInformation.ReadBasic.All",
                "TeamSettings.ReadWrite.All",
                "User.Read.All",
                "TeamsTelephoneNumber.ReadWrite.All",
                "TeamsUserConfiguration.Read.All",
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(sim.set_role(&contoso, true).await.status(), StatusCode::OK);
    let token = sim.app_token(&contoso).await;
    let user = new_user(&sim, &contoso, "rae").await;
    let calls = [
        sim.get(
            &token,
            &sim.graph(&format!(
                "{POLICY}/getPolicyId(type='{OVRP}',name='US-Route')"
            )),
        )
        .await,
        assign(
            &sim,
            &token,
            json!([{"userId": user, "policyType": OVRP, "policyId": "x"}]),
        )
        .await,
        unassign(&sim, &token, json!([{"userId": user, "policyType": OVRP}])).await,
    ];
    for res in calls {
        let body = error_body(res, StatusCode::FORBIDDEN).await;
        // The Teams back end's shape (TELEPHONY.md correction 1), naming the permission.
        assert_eq!(body["error"]["code"], "forbidden");
        assert_eq!(
            body["error"]["message"],
            "Insufficient permission(s) for the request. API requires any of the following permission(s): TeamsPolicyUserAssign.ReadWrite.All."
        );
        assert_eq!(body["error"]["innerError"]["code"], "Forbidden");
    }
    // Consent again: the registration lists the permission, so it is granted.
    sim.grant(&contoso, true).await;
    let roles = sim.tenant(&contoso).await["service_principal"]["roles"].clone();
    assert!(roles
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "TeamsPolicyUserAssign.ReadWrite.All"));
    let token = sim.app_token(&contoso).await;
    let body = policy_id(&sim, &token, OVRP, "US-Route").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    // The permission alone opens neither numbers nor userConfigurations.
    sim.grant_permissions(&contoso, &["TeamsPolicyUserAssign.ReadWrite.All"])
        .await;
    let token = sim.app_token(&contoso).await;
    let res = sim
        .get(
            &token,
            &sim.graph(&format!("/v1.0/admin/teams/userConfigurations/{user}")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn assignments_show_after_the_policy_delay() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = new_user(&sim, &contoso, "sky").await;
    let us = id_of(&sim, &token, OVRP, "US-Route").await;
    let settings: Value = sim
        .control_call(
            Method::PUT,
            "/settings",
            Some(json!({"policy_delay_ms": 600})),
        )
        .await
        .json()
        .await
        .unwrap();
    // A partial PUT keeps the other setting.
    assert_eq!(
        settings,
        json!({"number_assignments_next_link": false, "policy_delay_ms": 600})
    );

    let started = Instant::now();
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": us}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let early = effective(&sim, &token, &user).await;
    // The assignment is recorded at once (PowerShell sees it) ...
    let direct: Value = sim
        .control_call(
            Method::GET,
            &format!("/tenants/{contoso}/users/{user}/policies"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "machine too slow"
    );
    // ... but Teams applies it later.
    assert_eq!(early, json!([]));
    assert_eq!(direct[0]["name"], "US-Route");
    tokio::time::sleep(Duration::from_millis(700).saturating_sub(started.elapsed())).await;
    assert_eq!(
        effective(&sim, &token, &user).await[0]["policyAssignment"]["displayName"],
        "US-Route"
    );

    // Unassigning is delayed the same way.
    let started = Instant::now();
    let res = unassign(&sim, &token, json!([{"userId": user, "policyType": OVRP}])).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let early = effective(&sim, &token, &user).await;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "machine too slow"
    );
    assert_eq!(early.as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(700).saturating_sub(started.elapsed())).await;
    assert_eq!(effective(&sim, &token, &user).await, json!([]));

    let res = sim
        .control_call(
            Method::PUT,
            "/settings",
            Some(json!({"policy_delay_ms": 600_001})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_policies_fault_fails_the_policy_calls_only() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = new_user(&sim, &contoso, "tam").await;
    let us = id_of(&sim, &token, OVRP, "US-Route").await;
    let res = sim
        .control_call(
            Method::PUT,
            "/faults",
            Some(json!({"endpoint": "policies", "status": 503, "retry_after": 2, "count": 2})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Teams calls outside policies are untouched.
    let res = sim
        .get(
            &token,
            &sim.graph("/v1.0/admin/teams/telephoneNumberManagement/numberAssignments"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    configuration(&sim, &token, &user).await;
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": us}]),
    )
    .await;
    assert_eq!(res.headers()["retry-after"], "2");
    assert_eq!(
        graph_error(res).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable".into()
        )
    );
    let res = sim
        .get(
            &token,
            &sim.graph(&format!(
                "{POLICY}/getPolicyId(type='{OVRP}',name='US-Route')"
            )),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The fault is used up; nothing was assigned by the failed call.
    assert_eq!(effective(&sim, &token, &user).await, json!([]));
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": OVRP, "policyId": us}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn the_control_api_creates_and_removes_policies() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let user = new_user(&sim, &contoso, "uma").await;
    let path = format!("/tenants/{contoso}/policies");

    let res = sim
        .control_call(
            Method::POST,
            &path,
            Some(json!({"policyType": "CallingLineIdentity", "name": "Main-Line"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let id = created["policyId"].as_str().unwrap().to_string();
    assert_eq!(
        created,
        json!({"policyType": "CallingLineIdentity", "name": "Main-Line", "policyId": id})
    );
    assert_eq!(
        id_of(&sim, &token, "CallingLineIdentity", "Main-Line").await,
        id
    );
    // The same name again (any case), or Global: 409; bad input: 400.
    for (body, status) in [
        (
            json!({"policyType": "CallingLineIdentity", "name": "main-line"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"policyType": "CallingLineIdentity", "name": "Global"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"policyType": "TeamsMeetingPolicy", "name": "X"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"policyType": "CallingLineIdentity", "name": " "}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"policyType": "CallingLineIdentity", "name": "Tag:Other"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"policyType": "CallingLineIdentity", "name": "X", "extra": 1}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let res = sim
            .control_call(Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(res.status(), status, "{body}");
    }

    // Assigned, then removed: the user falls back to Global and the name no longer resolves.
    let res = assign(
        &sim,
        &token,
        json!([{"userId": user, "policyType": "CallingLineIdentity", "policyId": id}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        effective(&sim, &token, &user)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let res = sim
        .control_call(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(effective(&sim, &token, &user).await, json!([]));
    let body = policy_id(&sim, &token, "CallingLineIdentity", "Main-Line").await;
    assert_eq!(body["value"], json!([]));
    let res = sim
        .control_call(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A Global policy cannot be removed.
    let global = id_of(&sim, &token, "CallingLineIdentity", "Global").await;
    let res = sim
        .control_call(Method::DELETE, &format!("{path}/{global}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Group policies name an existing policy of the type and a known user.
    let us = id_of(&sim, &token, OVRP, "US-Route").await;
    for (who, body, status) in [
        (
            user.as_str(),
            json!({"policyType": "TenantDialPlan", "policyId": us, "groupId": "g"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            user.as_str(),
            json!({"policyType": OVRP, "policyId": us, "groupId": ""}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "nobody@contoso.onmicrosoft.com",
            json!({"policyType": OVRP, "policyId": us, "groupId": "g"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let res = sim
            .control_call(
                Method::POST,
                &format!("/tenants/{contoso}/users/{who}/group-policies"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(res.status(), status, "{body}");
    }
    // An unknown tenant: 404.
    let res = sim
        .control_call(Method::GET, "/tenants/no-such-tenant/policies", None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
