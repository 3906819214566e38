//! Unit tests of the Teams policy calls (TELEPHONY section 8) and of the policies in
//! `userConfigurations`, against a mock Graph (mockito).

use mockito::{Matcher, ServerGuard};
use serde_json::json;

use super::tests::{client, graph_error, jwt, token_mock, TENANT};
use super::*;

const ASSIGN: &str = "/v1.0/admin/teams/policy/userAssignments/assign";
const UNASSIGN: &str = "/v1.0/admin/teams/policy/userAssignments/unassign";
const USER: &str = "8c1b8e52-3a4f-4a53-9d55-3f2a3c2b1a10";

fn policy_id_path(policy_type: &str, name: &str) -> String {
    format!("/v1.0/admin/teams/policy/getPolicyId(type='{policy_type}',name='{name}')")
}

async fn policy_id_mock(
    server: &mut ServerGuard,
    path: &str,
    status: usize,
    body: String,
) -> mockito::Mock {
    server
        .mock("GET", path)
        .with_status(status)
        .with_header("content-type", "application/json")
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

// ---- getPolicyId ----

#[tokio::test]
async fn policy_id_is_read_from_the_first_item() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let path = policy_id_path("OnlineVoiceRoutingPolicy", "US-Route");
    let mock = policy_id_mock(
        &mut server,
        &path,
        200,
        json!({"value": [{"name": "Tag:US-Route", "policyId": "a0b1c2d3-0000-4000-8000-000000000001"}]})
            .to_string(),
    )
    .await;

    let id = client(&server)
        .policy_id(TENANT, PolicyType::OnlineVoiceRoutingPolicy, "US-Route")
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(id.as_deref(), Some("a0b1c2d3-0000-4000-8000-000000000001"));
}

#[tokio::test]
async fn unknown_policy_names_are_none_whether_empty_or_404() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let empty = policy_id_mock(
        &mut server,
        &policy_id_path("TenantDialPlan", "Nowhere"),
        200,
        json!({"value": []}).to_string(),
    )
    .await;
    let not_found = policy_id_mock(
        &mut server,
        &policy_id_path("CallingLineIdentity", "Nobody"),
        404,
        graph_error(
            "UnknownError",
            r#"{"code":"NotFound","message":"Resource not found."}"#,
        ),
    )
    .await;
    let client = client(&server);

    let from_empty = client
        .policy_id(TENANT, PolicyType::TenantDialPlan, "Nowhere")
        .await
        .unwrap();
    let from_404 = client
        .policy_id(TENANT, PolicyType::CallingLineIdentity, "Nobody")
        .await
        .unwrap();

    empty.assert_async().await;
    not_found.assert_async().await;
    assert_eq!(from_empty, None);
    assert_eq!(from_404, None);
}

#[tokio::test]
async fn policy_names_are_quoted_and_encoded_in_the_function() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    // A quote is doubled (OData), a space percent-encoded.
    let mock = policy_id_mock(
        &mut server,
        &policy_id_path("TeamsEmergencyCallingPolicy", "O''Hare%20Desk"),
        200,
        json!({"value": [{"name": "O'Hare Desk", "policyId": "p-9"}]}).to_string(),
    )
    .await;

    let id = client(&server)
        .policy_id(
            TENANT,
            PolicyType::TeamsEmergencyCallingPolicy,
            "O'Hare Desk",
        )
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(id.as_deref(), Some("p-9"));
}

#[tokio::test]
async fn policy_id_without_the_permission_is_permission_denied() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    policy_id_mock(
        &mut server,
        &policy_id_path("OnlineVoiceRoutingPolicy", "US-Route"),
        403,
        graph_error(
            "forbidden",
            "Insufficient permission(s) for the request. API requires any of the following permission(s): TeamsPolicyUserAssign.ReadWrite.All.",
        ),
    )
    .await;

    let err = client(&server)
        .policy_id(TENANT, PolicyType::OnlineVoiceRoutingPolicy, "US-Route")
        .await
        .unwrap_err();

    assert!(err.is_permission_denied(), "{err:?}");
}

// ---- assign / unassign ----

#[tokio::test]
async fn assign_and_unassign_send_one_item_and_take_204() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let assign = server
        .mock("POST", ASSIGN)
        .match_body(Matcher::Json(json!({"value": [{
            "userId": USER,
            "policyType": "OnlineVoiceRoutingPolicy",
            "policyId": "p-1",
        }]})))
        .with_status(204)
        .expect(1)
        .create_async()
        .await;
    let unassign = server
        .mock("POST", UNASSIGN)
        // No policyId at all (not even null) on unassign.
        .match_body(Matcher::Json(
            json!({"value": [{"userId": USER, "policyType": "TenantDialPlan"}]}),
        ))
        .with_status(204)
        .expect(1)
        .create_async()
        .await;
    let client = client(&server);

    client
        .assign_policy(TENANT, USER, PolicyType::OnlineVoiceRoutingPolicy, "p-1")
        .await
        .unwrap();
    client
        .unassign_policy(TENANT, USER, PolicyType::TenantDialPlan)
        .await
        .unwrap();

    assign.assert_async().await;
    unassign.assert_async().await;
}

#[tokio::test]
async fn a_refused_policy_type_is_a_400_with_microsofts_words_and_not_retried() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let refused = server
        .mock("POST", ASSIGN)
        .with_status(400)
        .with_body(graph_error(
            "BadRequest",
            "Policy type 'TenantDialPlan' is not supported.",
        ))
        .expect(1)
        .create_async()
        .await;

    let err = client(&server)
        .assign_policy(TENANT, USER, PolicyType::TenantDialPlan, "p-2")
        .await
        .unwrap_err();

    refused.assert_async().await;
    match err {
        MsError::Graph {
            status,
            code,
            message,
        } => {
            assert_eq!((status, code.as_str()), (400, "BadRequest"));
            assert_eq!(message, "Policy type 'TenantDialPlan' is not supported.");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn assign_without_the_permission_is_permission_denied() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("POST", UNASSIGN)
        .with_status(403)
        .with_body(
            json!({"error": {
                "code": "forbidden",
                "message": "Insufficient permission(s) for the request. API requires any of the following permission(s): TeamsPolicyUserAssign.ReadWrite.All.",
                "innerError": {"code": "Forbidden", "message": null, "target": null,
                    "additionalData": {"action": "Add the required roles/permissions and try again."}},
            }})
            .to_string(),
        )
        .create_async()
        .await;

    let err = client(&server)
        .unassign_policy(TENANT, USER, PolicyType::CallingLineIdentity)
        .await
        .unwrap_err();

    assert!(err.is_permission_denied(), "{err:?}");
    assert_eq!(err.graph_code(), Some("forbidden"));
}

#[tokio::test]
async fn an_unknown_user_is_a_404_refusal() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("POST", ASSIGN)
        .with_status(404)
        .with_body(graph_error("NotFound", "User not found."))
        .create_async()
        .await;

    let err = client(&server)
        .assign_policy(TENANT, USER, PolicyType::OnlineVoiceRoutingPolicy, "p-1")
        .await
        .unwrap_err();

    assert!(
        matches!(&err, MsError::Graph { status: 404, code, .. } if code == "NotFound"),
        "{err:?}"
    );
}

#[tokio::test]
async fn assign_retries_a_server_error_then_succeeds() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let unavailable = server
        .mock("POST", ASSIGN)
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let accepted = server
        .mock("POST", ASSIGN)
        .with_status(204)
        .expect(1)
        .create_async()
        .await;

    client(&server)
        .assign_policy(TENANT, USER, PolicyType::OnlineVoiceRoutingPolicy, "p-1")
        .await
        .unwrap();

    unavailable.assert_async().await;
    accepted.assert_async().await;
}

// ---- effectivePolicyAssignments ----

fn configuration(policies: serde_json::Value) -> serde_json::Value {
    json!({
        "id": USER,
        "userPrincipalName": "user1@contoso.com",
        "isEnterpriseVoiceEnabled": true,
        "telephoneNumbers": [],
        "effectivePolicyAssignments": policies,
    })
}

#[tokio::test]
async fn user_configuration_policies_parse_bare_and_wrapped() {
    let policies = json!([
        {"policyType": "OnlineVoiceRoutingPolicy", "policyAssignment": {
            "displayName": "US-Route", "assignmentType": "direct", "policyId": "p-1", "groupId": null}},
        {"policyType": "TenantDialPlan", "policyAssignment": {
            "displayName": "US-DialPlan", "assignmentType": "group", "policyId": "p-2",
            "groupId": "g-1"}},
    ]);
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("GET", "/v1.0/admin/teams/userConfigurations/bare")
        .with_status(200)
        .with_body(configuration(policies.clone()).to_string())
        .create_async()
        .await;
    server
        .mock("GET", "/v1.0/admin/teams/userConfigurations/wrapped")
        .with_status(200)
        .with_body(json!({"value": configuration(policies)}).to_string())
        .create_async()
        .await;
    let client = client(&server);

    for id in ["bare", "wrapped"] {
        let config = client.user_configuration(TENANT, id).await.unwrap();
        let route = config
            .effective_policy(PolicyType::OnlineVoiceRoutingPolicy)
            .unwrap();
        assert_eq!(route.display_name.as_deref(), Some("US-Route"), "{id}");
        assert_eq!(route.assignment_type.as_deref(), Some("direct"));
        assert_eq!(route.policy_id.as_deref(), Some("p-1"));
        assert_eq!(route.group_id, None);
        let plan = config.effective_policy(PolicyType::TenantDialPlan).unwrap();
        assert_eq!(plan.assignment_type.as_deref(), Some("group"));
        assert_eq!(plan.group_id.as_deref(), Some("g-1"));
        // No entry: the org-wide default (Global).
        assert_eq!(
            config.effective_policy(PolicyType::CallingLineIdentity),
            None
        );
    }
}

#[test]
fn missing_or_null_policies_are_none_and_types_match_case_insensitively() {
    let none: UserConfiguration = serde_json::from_value(json!({"id": "u"})).unwrap();
    assert!(none.effective_policy_assignments.is_empty());
    let null: UserConfiguration =
        serde_json::from_value(configuration(serde_json::Value::Null)).unwrap();
    assert!(null.effective_policy_assignments.is_empty());
    let odd: UserConfiguration = serde_json::from_value(configuration(json!([
        {"policyType": "onlinevoiceroutingpolicy", "policyAssignment": {"displayName": "EU-Route"}},
        {"policyType": "TeamsMeetingPolicy", "policyAssignment": null},
    ])))
    .unwrap();
    assert_eq!(
        odd.effective_policy(PolicyType::OnlineVoiceRoutingPolicy)
            .and_then(|p| p.display_name.as_deref()),
        Some("EU-Route")
    );
    // A type the portal does not set is kept, with an empty assignment.
    assert_eq!(odd.effective_policy_assignments.len(), 2);
    assert_eq!(
        odd.effective_policy_assignments[1].policy_assignment,
        PolicyAssignment::default()
    );
}

#[tokio::test]
async fn all_user_configurations_collects_every_page() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let path = "/v1.0/admin/teams/userConfigurations";
    let route = json!([{"policyType": "OnlineVoiceRoutingPolicy",
        "policyAssignment": {"displayName": "US-Route", "assignmentType": "direct", "policyId": "p-1"}}]);
    let mut first = configuration(route.clone());
    first["id"] = json!("a");
    let mut second = configuration(json!([]));
    second["id"] = json!("b");
    server
        .mock("GET", path)
        .match_query(Matcher::Exact("$top=100".to_owned()))
        .with_status(200)
        .with_body(
            json!({"value": [first], "@odata.nextLink": format!("{base}{path}?$skiptoken=2")})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    server
        .mock("GET", path)
        .match_query(Matcher::Exact("$skiptoken=2".to_owned()))
        .with_status(200)
        .with_body(json!({"value": [second]}).to_string())
        .expect(1)
        .create_async()
        .await;

    let all = client(&server)
        .all_user_configurations(TENANT)
        .await
        .unwrap();

    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(all[0]
        .effective_policy(PolicyType::OnlineVoiceRoutingPolicy)
        .is_some());
    assert!(all[1].effective_policy_assignments.is_empty());
}
