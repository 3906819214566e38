//! The Graph permission model (CONTRACT section 5): every call is authorized on its application
//! permission(s) only; the Teams Communications Administrator role opens nothing by itself.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
const OPERATIONS: &str = "/v1.0/admin/teams/telephoneNumberManagement/operations";
const ASSIGNMENTS: &str = "/v1.0/roleManagement/directory/roleAssignments";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const TEAMS_ADMINISTRATOR: &str = "69091246-20e8-4a56-aa4d-066075b2a7a8";

/// Every permission the simulator knows (at most 20, the control API's limit).
const ALL: [&str; 17] = [
    "CrossTenantInformation.ReadBasic.All",
    "TeamSettings.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Application.Read.All",
    "Application.ReadWrite.All",
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "RoleManagement.Read.All",
    "TeamsTelephoneNumber.Read.All",
    "TeamsTelephoneNumber.ReadWrite.All",
    "TeamsUserConfiguration.Read.All",
    "TeamsPolicyUserAssign.ReadWrite.All",
];

struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Every permission that allows the call (the least privileged first).
    allowed_by: &'static [&'static str],
    /// Teams admin endpoint: 403 `forbidden`; otherwise `Authorization_RequestDenied`.
    teams: bool,
    ok: StatusCode,
}

fn call(
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
    allowed_by: &'static [&'static str],
    ok: StatusCode,
) -> Call {
    let path = path.into();
    Call {
        teams: path.starts_with("/v1.0/admin/teams/"),
        method,
        path,
        body,
        allowed_by,
        ok,
    }
}

const USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const NUMBERS_READ: &[&str] = &[
    "TeamsTelephoneNumber.Read.All",
    "TeamsTelephoneNumber.ReadWrite.All",
];
const NUMBERS_WRITE: &[&str] = &["TeamsTelephoneNumber.ReadWrite.All"];
const USER_CONFIGURATIONS: &[&str] = &["TeamsUserConfiguration.Read.All"];
const POLICIES: &[&str] = &["TeamsPolicyUserAssign.ReadWrite.All"];
const POLICY: &str = "/v1.0/admin/teams/policy";
const ROLES_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "RoleManagement.Read.All",
    "Directory.Read.All",
];

async fn send(sim: &TestSim, token: &str, c: &Call) -> reqwest::Response {
    let mut req = sim
        .http
        .request(c.method.clone(), sim.graph(&c.path))
        .bearer_auth(token);
    if let Some(body) = &c.body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

/// Grants exactly `permissions`, keeps the role assigned, returns a fresh app token.
async fn token_with(sim: &TestSim, tenant: &str, permissions: &[&str], role: bool) -> String {
    let res = sim.grant_permissions(tenant, permissions).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(sim.set_role(tenant, role).await.status(), StatusCode::OK);
    let token = sim.app_token(tenant).await;
    let claims = sim.verify(tenant, &token).await;
    let wids = claims["wids"].as_array().unwrap();
    assert_eq!(wids.iter().any(|w| w == TCA), role);
    assert!(wids.iter().any(|w| w == IMPLICIT_APP_ROLE));
    token
}

#[actix_web::test]
async fn each_call_needs_its_permission_whatever_the_role() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // Setup with everything: a seeded number, users, an operation, a role assignment.
    let full = sim.connected_token(&contoso).await;
    let numbers: Value = sim
        .get(&full, &sim.graph(NUMBERS))
        .await
        .json()
        .await
        .unwrap();
    let seeded = numbers["value"][0]["telephoneNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let seeded_id = numbers["value"][0]["id"].as_str().unwrap().to_string();
    let locations: Vec<Value> = sim
        .control_call(Method::GET, &format!("/tenants/{contoso}/locations"), None)
        .await
        .json()
        .await
        .unwrap();
    let lis_location = locations[0]["locationId"].as_str().unwrap().to_string();
    let policies: Vec<Value> = sim
        .control_call(Method::GET, &format!("/tenants/{contoso}/policies"), None)
        .await
        .json()
        .await
        .unwrap();
    let us_route = policies.iter().find(|p| p["name"] == "US-Route").unwrap()["policyId"]
        .as_str()
        .unwrap()
        .to_string();
    let t = sim.tenant(&contoso).await;
    let sp_id = t["service_principal"]["id"].as_str().unwrap().to_string();
    let user_id = t["sample_users"][0]["id"].as_str().unwrap().to_string();
    let other_user = t["sample_users"][1]["id"].as_str().unwrap().to_string();
    let upn = t["sample_users"][0]["upn"].as_str().unwrap().to_string();
    let res = sim
        .post_json(
            &full,
            &sim.graph(&format!("{NUMBERS}/unassignNumber")),
            json!({"telephoneNumber": "+14255550199", "numberType": "directRouting"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let op_id = location
        .rsplit("operations('")
        .next()
        .unwrap()
        .trim_end_matches("')")
        .to_string();
    let admin = sim
        .user_token(&contoso, "pra@contoso.onmicrosoft.com")
        .await;
    let created: Value = sim
        .post_json(
            &admin,
            &sim.graph(ASSIGNMENTS),
            json!({"principalId": user_id, "roleDefinitionId": USER_ADMINISTRATOR, "directoryScopeId": "/"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let assignment = created["id"].as_str().unwrap().to_string();

    let calls = [
        call(
            Method::GET,
            "/v1.0/users?$top=1",
            None,
            USERS,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            "/v1.0/users/delta?$top=1",
            None,
            USERS,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("/v1.0/users/{upn}"),
            None,
            USERS,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            "/v1.0/organization",
            None,
            &[
                "Organization.Read.All",
                "Directory.Read.All",
                "Organization.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!(
                "/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{contoso}')"
            ),
            None,
            &["CrossTenantInformation.ReadBasic.All"],
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("/v1.0/servicePrincipals(appId='{CLIENT_ID}')"),
            None,
            &[
                "Application.Read.All",
                "Application.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("{ASSIGNMENTS}?$filter=principalId eq '{sp_id}'"),
            None,
            ROLES_READ,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("{ASSIGNMENTS}/{assignment}"),
            None,
            ROLES_READ,
            StatusCode::OK,
        ),
        call(
            Method::POST,
            ASSIGNMENTS,
            Some(
                json!({"principalId": other_user, "roleDefinitionId": TEAMS_ADMINISTRATOR, "directoryScopeId": "/"}),
            ),
            &["RoleManagement.ReadWrite.Directory"],
            StatusCode::CREATED,
        ),
        call(
            Method::DELETE,
            format!("{ASSIGNMENTS}/{assignment}"),
            None,
            &["RoleManagement.ReadWrite.Directory"],
            StatusCode::NO_CONTENT,
        ),
        call(
            Method::GET,
            format!("{NUMBERS}?$top=1"),
            None,
            NUMBERS_READ,
            StatusCode::OK,
        ),
        call(
            Method::POST,
            format!("{NUMBERS}/assignNumber"),
            Some(
                json!({"telephoneNumber": "+14255550177", "assignmentTargetId": user_id, "numberType": "directRouting", "assignmentCategory": "primary"}),
            ),
            NUMBERS_WRITE,
            StatusCode::ACCEPTED,
        ),
        call(
            Method::POST,
            format!("{NUMBERS}/unassignNumber"),
            Some(json!({"telephoneNumber": "+14255550177", "numberType": "directRouting"})),
            NUMBERS_WRITE,
            StatusCode::ACCEPTED,
        ),
        call(
            Method::POST,
            format!("{NUMBERS}/updateNumber"),
            Some(json!({"telephoneNumber": seeded, "locationId": lis_location})),
            NUMBERS_WRITE,
            StatusCode::OK,
        ),
        call(
            Method::POST,
            format!("{NUMBERS}/microsoft.graph.teamsAdministration.updateNumber"),
            Some(json!({"telephoneNumber": seeded, "locationId": ""})),
            NUMBERS_WRITE,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("{NUMBERS}/{seeded_id}"),
            None,
            NUMBERS_READ,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("{POLICY}/getPolicyId(type='OnlineVoiceRoutingPolicy',name='US-Route')"),
            None,
            POLICIES,
            StatusCode::OK,
        ),
        call(
            Method::POST,
            format!("{POLICY}/userAssignments/assign"),
            Some(
                json!({"value": [{"userId": user_id, "policyType": "OnlineVoiceRoutingPolicy", "policyId": us_route}]}),
            ),
            POLICIES,
            StatusCode::NO_CONTENT,
        ),
        call(
            Method::POST,
            format!("{POLICY}/userAssignments/unassign"),
            Some(json!({"value": [{"userId": user_id, "policyType": "OnlineVoiceRoutingPolicy"}]})),
            POLICIES,
            StatusCode::NO_CONTENT,
        ),
        call(
            Method::GET,
            format!("{OPERATIONS}/{op_id}"),
            None,
            NUMBERS_READ,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("{OPERATIONS}('{op_id}')"),
            None,
            NUMBERS_READ,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            "/v1.0/admin/teams/userConfigurations?$top=1",
            None,
            USER_CONFIGURATIONS,
            StatusCode::OK,
        ),
        call(
            Method::GET,
            format!("/v1.0/admin/teams/userConfigurations/{user_id}"),
            None,
            USER_CONFIGURATIONS,
            StatusCode::OK,
        ),
    ];

    for c in &calls {
        let what = format!("{} {}", c.method, c.path);
        // Everything else, plus the Teams Communications Administrator role: 403.
        let others: Vec<&str> = ALL
            .iter()
            .copied()
            .filter(|p| !c.allowed_by.contains(p))
            .collect();
        let token = token_with(&sim, &contoso, &others, true).await;
        let res = send(&sim, &token, c).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
        let request_id = res.headers()["request-id"].to_str().unwrap().to_string();
        let body: Value = res.json().await.unwrap();
        let error = &body["error"];
        assert_eq!(error["innerError"]["request-id"], request_id.as_str());
        assert!(error["innerError"]["date"].is_string());
        if c.teams {
            assert_eq!(error["code"], "forbidden", "{what}");
            let message = error["message"].as_str().unwrap();
            assert!(
                message.starts_with("Insufficient permission(s) for the request. API requires any of the following permission(s): "),
                "{message}"
            );
            for p in c.allowed_by {
                assert!(message.contains(p), "{what}: {message}");
            }
            assert_eq!(error["innerError"]["code"], "Forbidden");
        } else {
            assert_eq!(error["code"], "Authorization_RequestDenied", "{what}");
            assert_eq!(
                error["message"],
                "Insufficient privileges to complete the operation."
            );
        }
        // Its least-privileged permission alone, without the role: allowed.
        let token = token_with(&sim, &contoso, &c.allowed_by[..1], false).await;
        let res = send(&sim, &token, c).await;
        assert_eq!(res.status(), c.ok, "{what}");
    }
    // Higher-privileged equivalents are accepted too.
    for (path, permission) in [
        ("/v1.0/users?$top=1", "Directory.Read.All"),
        ("/v1.0/organization", "Directory.Read.All"),
        (NUMBERS, "TeamsTelephoneNumber.ReadWrite.All"),
    ] {
        let token = token_with(&sim, &contoso, &[permission], false).await;
        let res = sim.get(&token, &sim.graph(path)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path} with {permission}");
    }
}

#[actix_web::test]
async fn the_control_api_grants_a_shorter_list() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // A tenant that consented when the app listed only the product description's two.
    let old = [
        "CrossTenantInformation.ReadBasic.All",
        "TeamSettings.ReadWrite.All",
    ];
    let res = sim.grant_permissions(&contoso, &old).await;
    assert_eq!(res.status(), StatusCode::OK);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["service_principal"]["roles"], json!(old));
    let sp = t["service_principal"]["id"].clone();
    assert_eq!(sim.set_role(&contoso, true).await.status(), StatusCode::OK);
    let token = sim.app_token(&contoso).await;
    let claims = sim.verify(&contoso, &token).await;
    assert_eq!(claims["roles"], json!(old));
    let res = sim.get(&token, &sim.graph("/v1.0/users?$top=1")).await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied".into())
    );
    let res = sim
        .get(&token, &sim.graph("/v1.0/admin/teams/userConfigurations"))
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );

    // Re-consent grants the registered six; the service principal and its role stay.
    sim.grant(&contoso, true).await;
    let t = sim.tenant(&contoso).await;
    assert_eq!(t["service_principal"]["id"], sp);
    assert_eq!(t["service_principal"]["directory_roles"], json!([TCA]));
    assert_eq!(t["service_principal"]["roles"].as_array().unwrap().len(), 6);
    // An empty list: a service principal with no application permission.
    let res = sim.grant_permissions(&contoso, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let claims = sim.verify(&contoso, &sim.app_token(&contoso).await).await;
    assert!(claims.get("roles").is_none());

    // Bad lists: 400, nothing changed.
    let too_many: Vec<String> = (0..21).map(|i| format!("Some{i}.Read.All")).collect();
    for body in [
        json!({"granted": true, "permissions": too_many}),
        json!({"granted": true, "permissions": [""]}),
        json!({"granted": true, "permissions": ["not a permission"]}),
        json!({"granted": true, "permissions": ["User"]}),
        json!({"granted": true, "permissions": ["User.Read.All", 7]}),
        json!({"granted": false, "permissions": ["User.Read.All"]}),
        json!({"permissions": ["User.Read.All"]}),
    ] {
        let res = sim
            .http
            .put(sim.control(&format!("/tenants/{contoso}/consent")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["message"].is_string());
    }
    assert!(sim.tenant(&contoso).await["service_principal"]["roles"]
        .as_array()
        .unwrap()
        .is_empty());
    // Revoking still removes the service principal.
    sim.grant(&contoso, false).await;
    assert!(sim.tenant(&contoso).await["service_principal"].is_null());
}
