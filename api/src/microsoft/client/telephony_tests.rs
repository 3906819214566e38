//! Unit tests of the user-sync and telephony calls (TELEPHONY.md sections 3, 6, 7, 9, 10)
//! against a mock Graph (mockito).

use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use mockito::{Matcher, ServerGuard};
use serde_json::json;

use super::tests::{client, graph_error, jwt, token_mock, user, TENANT};
use super::*;

const SELECT: &str = "id,userPrincipalName,displayName,usageLocation,accountEnabled,\
                      assignedLicenses,businessPhones,assignedPlans";
const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
const PHONE_SYSTEM: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";

fn removed(id: &str, reason: &str) -> serde_json::Value {
    json!({"id": id, "@removed": {"reason": reason}})
}

fn user_with_plans(plans: serde_json::Value) -> GraphUser {
    let mut value = user(1);
    value["assignedPlans"] = plans;
    serde_json::from_value(value).unwrap()
}

fn plan(id: &str, status: &str, service: &str) -> serde_json::Value {
    json!({
        "assignedDateTime": "2024-01-01T00:00:00Z",
        "capabilityStatus": status,
        "service": service,
        "servicePlanId": id,
    })
}

fn number(n: usize) -> serde_json::Value {
    json!({
        "id": format!("id-{n}"),
        "telephoneNumber": format!("+1425555{n:04}"),
        "numberType": "directRouting",
        "activationState": "activated",
        "assignmentStatus": "unassigned",
        "assignmentCategory": null,
        "assignmentTargetId": null,
        "capabilities": ["userAssignment"],
        "numberSource": "online",
    })
}

fn numbers(range: std::ops::Range<usize>) -> Vec<serde_json::Value> {
    range.map(number).collect()
}

async fn get(
    server: &mut ServerGuard,
    path: &str,
    query: Matcher,
    body: serde_json::Value,
    hits: usize,
) -> mockito::Mock {
    server
        .mock("GET", path)
        .match_query(query)
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
        .expect(hits)
        .create_async()
        .await
}

// ---- users/delta ----

#[tokio::test]
async fn delta_initial_round_across_two_pages_ends_with_its_delta_link() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let mut with_phone = user(2);
    with_phone["assignedPlans"] = json!([plan(
        PHONE_SYSTEM,
        "Enabled",
        "MicrosoftCommunicationsOnline"
    )]);
    let first = get(
        &mut server,
        "/v1.0/users/delta",
        // The initial round: the same properties as users(), and no $top (not supported).
        Matcher::Exact(format!("$select={SELECT}")),
        json!({
            "@odata.context": format!("{base}/v1.0/$metadata#users(id)"),
            "value": [user(1), with_phone],
            "@odata.nextLink": format!("{base}/v1.0/users/delta?$skiptoken=page2"),
        }),
        1,
    )
    .await;
    let delta_link = format!("{base}/v1.0/users/delta?$deltatoken=round1");
    let second = get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Exact("$skiptoken=page2".to_owned()),
        json!({
            "value": [user(3), removed("user-9", "changed"), removed("user-8", "deleted")],
            "@odata.deltaLink": delta_link,
        }),
        1,
    )
    .await;

    let pages: Vec<DeltaPage> = client(&server)
        .users_delta(TENANT, None)
        .try_collect()
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(pages.len(), 2);
    let ids = |p: &DeltaPage| p.users.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&pages[0]), ["user-1", "user-2"]);
    assert!(pages[0].removed.is_empty());
    assert_eq!(pages[0].delta_link, None);
    assert!(!pages[0].users[0].has_teams_phone());
    assert!(pages[0].users[1].has_teams_phone());
    // Removed users (soft-deleted or gone for good) are ids only, never users.
    assert_eq!(ids(&pages[1]), ["user-3"]);
    assert_eq!(pages[1].removed, ["user-9", "user-8"]);
    assert_eq!(pages[1].delta_link.as_deref(), Some(delta_link.as_str()));
}

#[tokio::test]
async fn delta_later_round_calls_the_stored_link_as_it_is() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let stored = format!("{base}/v1.0/users/delta?$deltatoken=round1");
    let next = format!("{base}/v1.0/users/delta?$deltatoken=round2");
    let round = get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Exact("$deltatoken=round1".to_owned()),
        json!({"value": [user(4), removed("user-1", "deleted")], "@odata.deltaLink": next}),
        1,
    )
    .await;

    let pages: Vec<DeltaPage> = client(&server)
        .users_delta(TENANT, Some(&stored))
        .try_collect()
        .await
        .unwrap();

    round.assert_async().await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].users.len(), 1);
    assert_eq!(pages[0].users[0].id, "user-4");
    assert_eq!(pages[0].removed, ["user-1"]);
    assert_eq!(pages[0].delta_link.as_deref(), Some(next.as_str()));
}

#[tokio::test]
async fn delta_round_without_changes_is_one_empty_page_with_a_link() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let next = format!("{base}/v1.0/users/delta?$deltatoken=same");
    get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Exact("$deltatoken=same".to_owned()),
        json!({"value": [], "@odata.deltaLink": next}),
        1,
    )
    .await;

    let pages: Vec<DeltaPage> = client(&server)
        .users_delta(TENANT, Some(&next))
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        pages,
        [DeltaPage {
            users: Vec::new(),
            removed: Vec::new(),
            delta_link: Some(next.clone()),
        }]
    );
}

#[tokio::test]
async fn stored_delta_link_off_graph_is_refused_without_a_call() {
    let mut server = mockito::Server::new_async().await;
    let token = token_mock(&mut server, &jwt(TENANT, "a"), 0).await;
    let client = client(&server);

    for link in [
        "https://attacker.example/v1.0/users/delta?$deltatoken=x",
        "/v1.0/users/delta?$deltatoken=x",
        "not a url",
    ] {
        let items: Vec<_> = client.users_delta(TENANT, Some(link)).collect().await;
        assert_eq!(items.len(), 1, "{link}");
        assert!(
            matches!(items[0], Err(MsError::Malformed(_))),
            "{link}: {:?}",
            items[0]
        );
    }
    token.assert_async().await;
}

#[tokio::test]
async fn delta_links_off_graph_in_an_answer_are_refused() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Any,
        json!({
            "value": [user(1)],
            "@odata.deltaLink": "https://attacker.example/v1.0/users/delta?$deltatoken=x",
        }),
        1,
    )
    .await;

    let items: Vec<_> = client(&server).users_delta(TENANT, None).collect().await;

    // The page is delivered without a link, then the error: the round did not complete.
    assert_eq!(items.len(), 2);
    let page = items[0].as_ref().unwrap();
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.delta_link, None);
    assert!(
        matches!(items[1], Err(MsError::Malformed(_))),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn delta_page_without_any_link_ends_in_an_error() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Any,
        json!({"value": [user(1)]}),
        1,
    )
    .await;

    let items: Vec<_> = client(&server).users_delta(TENANT, None).collect().await;

    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().delta_link, None);
    assert!(
        matches!(items[1], Err(MsError::Malformed(_))),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn expired_delta_links_are_recognised() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let cases = [
        (
            "gone-json",
            410,
            graph_error("resyncRequired", "Resync required."),
        ),
        ("gone-other-code", 410, graph_error("UnknownError", "")),
        ("gone-empty", 410, String::new()),
        (
            "not-found-state",
            400,
            graph_error("syncStateNotFound", "Sync state not found."),
        ),
        ("resync-lower", 400, graph_error("resyncrequired", "")),
    ];
    for (token, status, body) in &cases {
        server
            .mock("GET", "/v1.0/users/delta")
            .match_query(Matcher::Exact(format!("$deltatoken={token}")))
            .with_status(*status)
            .with_header("content-type", "application/json")
            .with_body(body)
            .create_async()
            .await;
    }
    let client = client(&server);

    for (token, status, _) in &cases {
        let link = format!("{base}/v1.0/users/delta?$deltatoken={token}");
        let items: Vec<_> = client.users_delta(TENANT, Some(&link)).collect().await;
        assert_eq!(items.len(), 1, "{token}");
        let err = items[0].as_ref().unwrap_err();
        assert!(err.is_delta_expired(), "{token}: {err:?}");
        assert!(!err.is_permission_denied(), "{token}");
        assert!(matches!(err, MsError::Graph { status: s, .. } if usize::from(*s) == *status));
    }
}

#[test]
fn other_errors_are_not_expired_deltas() {
    let graph = |status: u16, code: &str| MsError::Graph {
        status,
        code: code.to_owned(),
        message: String::new(),
    };
    assert!(!graph(400, "BadRequest").is_delta_expired());
    assert!(!graph(403, "Authorization_RequestDenied").is_delta_expired());
    assert!(!graph(500, "syncStateNotFound").is_delta_expired());
    assert!(!MsError::Malformed("x".to_owned()).is_delta_expired());
    assert!(!MsError::Throttled { retry_after: None }.is_delta_expired());
}

#[tokio::test]
async fn latest_delta_link_follows_next_links_to_the_delta_link() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let link = format!("{base}/v1.0/users/delta?$deltatoken=now");
    let first = get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Exact(format!("$select={SELECT}&$deltatoken=latest")),
        json!({"value": [], "@odata.nextLink": format!("{base}/v1.0/users/delta?$skiptoken=s")}),
        1,
    )
    .await;
    let second = get(
        &mut server,
        "/v1.0/users/delta",
        Matcher::Exact("$skiptoken=s".to_owned()),
        json!({"value": [], "@odata.deltaLink": link}),
        1,
    )
    .await;

    let latest = client(&server).latest_delta_link(TENANT).await.unwrap();

    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(latest, link);
}

#[tokio::test]
async fn latest_delta_link_refusals_are_typed() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("GET", "/v1.0/users/delta")
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges.",
        ))
        .create_async()
        .await;

    let err = client(&server).latest_delta_link(TENANT).await.unwrap_err();

    assert!(err.is_permission_denied(), "{err:?}");
    assert!(!err.is_delta_expired());
}

// ---- Teams Phone licence ----

#[test]
fn teams_phone_needs_an_enabled_or_warning_phone_system_plan() {
    let other = plan(
        "57ff2da0-773e-42df-b2af-ffb7a2317929",
        "Enabled",
        "TeamspaceAPI",
    );
    let phone = |status: &str| plan(PHONE_SYSTEM, status, "MicrosoftCommunicationsOnline");

    assert!(user_with_plans(json!([other, phone("Enabled")])).has_teams_phone());
    assert!(user_with_plans(json!([phone("Warning")])).has_teams_phone());
    assert!(!user_with_plans(json!([phone("Suspended")])).has_teams_phone());
    assert!(!user_with_plans(json!([phone("LockedOut")])).has_teams_phone());
    assert!(!user_with_plans(json!([phone("Deleted")])).has_teams_phone());
    assert!(!user_with_plans(json!([other])).has_teams_phone());
    assert!(!user_with_plans(json!([])).has_teams_phone());
    // A deleted copy of the plan does not hide an enabled one.
    assert!(user_with_plans(json!([phone("Deleted"), phone("Enabled")])).has_teams_phone());
    // The plan id in capitals, and a service named MCOEV… with another id.
    assert!(user_with_plans(json!([plan(
        &PHONE_SYSTEM.to_uppercase(),
        "Enabled",
        "MicrosoftCommunicationsOnline"
    )]))
    .has_teams_phone());
    assert!(
        user_with_plans(json!([plan("other-id", "Warning", "MCOEV_VIRTUALUSER")]))
            .has_teams_phone()
    );
    assert!(!user_with_plans(json!([plan("other-id", "Suspended", "MCOEV")])).has_teams_phone());

    // assignedPlans null or absent: no plans.
    let none = user_with_plans(serde_json::Value::Null);
    assert!(none.assigned_plans.is_empty());
    assert!(!none.has_teams_phone());
    let absent: GraphUser = serde_json::from_value(json!({"id": "u"})).unwrap();
    assert!(absent.assigned_plans.is_empty());
}

// ---- numberAssignments ----

#[tokio::test]
async fn number_assignments_page_with_skip_when_there_is_no_next_link() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let first = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$top=1000".to_owned()),
        json!({"value": numbers(0..1000)}),
        1,
    )
    .await;
    let second = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$top=1000&$skip=1000".to_owned()),
        json!({"value": numbers(1000..1003)}),
        1,
    )
    .await;

    let all = client(&server)
        .number_assignments(TENANT, None)
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(all.len(), 1003);
    assert_eq!(all[0].telephone_number, "+14255550000");
    assert_eq!(all[1002].telephone_number, "+14255551002");
}

#[tokio::test]
async fn number_assignments_skip_keeps_the_filter_and_stops_on_an_empty_page() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let filter = "$filter=assignmentStatus%20eq%20%27unassigned%27&$top=1000";
    let pages = [
        (filter.to_owned(), numbers(0..1000)),
        (format!("{filter}&$skip=1000"), numbers(1000..2000)),
        (format!("{filter}&$skip=2000"), Vec::new()),
    ];
    let mut mocks = Vec::new();
    for (query, value) in pages {
        mocks.push(
            get(
                &mut server,
                NUMBERS,
                Matcher::Exact(query),
                json!({"value": value}),
                1,
            )
            .await,
        );
    }

    let all = client(&server)
        .number_assignments(TENANT, Some("assignmentStatus eq 'unassigned'"))
        .await
        .unwrap();

    for mock in mocks {
        mock.assert_async().await;
    }
    assert_eq!(all.len(), 2000);
}

#[tokio::test]
async fn number_assignments_follow_next_links_when_present() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let first = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$top=1000".to_owned()),
        json!({"value": numbers(0..1000), "@odata.nextLink": format!("{base}{NUMBERS}?$skiptoken=t1")}),
        1,
    )
    .await;
    let second = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$skiptoken=t1".to_owned()),
        json!({"value": numbers(1000..1500)}),
        1,
    )
    .await;
    let skipped = get(
        &mut server,
        NUMBERS,
        Matcher::Regex(r"\$skip=".to_owned()),
        json!({"value": []}),
        0,
    )
    .await;

    let all = client(&server)
        .number_assignments(TENANT, None)
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    skipped.assert_async().await;
    assert_eq!(all.len(), 1500);
}

#[tokio::test]
async fn number_assignments_refuse_a_server_that_ignores_skip() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    get(
        &mut server,
        NUMBERS,
        Matcher::Any,
        json!({"value": numbers(0..1000)}),
        2,
    )
    .await;

    let err = client(&server)
        .number_assignments(TENANT, None)
        .await
        .unwrap_err();

    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn number_assignment_of_filters_on_the_encoded_number() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let found = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$filter=telephoneNumber%20eq%20%27%2B14255550007%27&$top=1000".to_owned()),
        json!({"value": [number(7)]}),
        2,
    )
    .await;
    let missing = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$filter=telephoneNumber%20eq%20%27%2B14255559999%27&$top=1000".to_owned()),
        json!({"value": []}),
        1,
    )
    .await;
    // A quote is doubled inside the OData string.
    let quoted = get(
        &mut server,
        NUMBERS,
        Matcher::Exact("$filter=telephoneNumber%20eq%20%27%2B1%27%27%27&$top=1000".to_owned()),
        json!({"value": []}),
        1,
    )
    .await;
    let client = client(&server);

    let with_plus = client
        .number_assignment_of(TENANT, "+14255550007")
        .await
        .unwrap();
    // Graph stores every number with its `+`: one given without is looked up with it.
    let without_plus = client
        .number_assignment_of(TENANT, "14255550007")
        .await
        .unwrap();
    let unknown = client
        .number_assignment_of(TENANT, "+14255559999")
        .await
        .unwrap();
    let odd = client.number_assignment_of(TENANT, "+1'").await.unwrap();

    found.assert_async().await;
    missing.assert_async().await;
    quoted.assert_async().await;
    assert_eq!(with_plus.unwrap().id.as_deref(), Some("id-7"));
    assert_eq!(without_plus.unwrap().telephone_number, "+14255550007");
    assert!(unknown.is_none());
    assert!(odd.is_none());
}

#[tokio::test]
async fn number_assignment_of_ignores_other_numbers_in_the_answer() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    // A server that ignored the filter answers with other numbers.
    get(
        &mut server,
        NUMBERS,
        Matcher::Any,
        json!({"value": numbers(0..3)}),
        1,
    )
    .await;

    let none = client(&server)
        .number_assignment_of(TENANT, "+14255559999")
        .await
        .unwrap();

    assert!(none.is_none());
}

// ---- single GETs, bare or wrapped in {"value":{…}} ----

#[tokio::test]
async fn single_gets_accept_bare_and_wrapped_objects() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let operation = json!({
        "id": "op-1",
        "createdDateTime": "2025-02-03T22:03:26Z",
        "status": "failed",
        "numbers": [{
            "resourceLocation": format!("{base}{NUMBERS}/id-1"),
            "status": "failed",
            "statusDetail": "User 'u' lacks appropriate licenses to assign a 'DirectRouting' number.",
        }],
    });
    let configuration = json!({
        "id": "user-1",
        "userPrincipalName": "user1@contoso.com",
        "tenantId": TENANT,
        "isEnterpriseVoiceEnabled": true,
        "telephoneNumbers": [{"telephoneNumber": "+14255550001", "assignmentCategory": "primary"}],
        "featureTypes": ["Teams", "PhoneSystem"],
        "accountType": "user",
    });
    let ops = "/v1.0/admin/teams/telephoneNumberManagement/operations";
    let singles = [
        (format!("{ops}/op-bare"), operation.clone()),
        (
            format!("{ops}/op-wrapped"),
            json!({"@odata.context": "x", "value": operation}),
        ),
        (
            "/v1.0/admin/teams/userConfigurations/bare".to_owned(),
            configuration.clone(),
        ),
        (
            "/v1.0/admin/teams/userConfigurations/wrapped".to_owned(),
            json!({"value": configuration}),
        ),
        (format!("{NUMBERS}/bare"), number(1)),
        (format!("{NUMBERS}/wrapped"), json!({"value": number(1)})),
    ];
    for (path, body) in &singles {
        get(&mut server, path, Matcher::Any, body.clone(), 1).await;
    }
    let client = client(&server);

    for form in ["bare", "wrapped"] {
        let reference = OperationRef {
            url: format!("{base}{ops}/op-{form}"),
            id: format!("op-{form}"),
        };
        let op = client.operation(TENANT, &reference).await.unwrap();
        assert_eq!(op.id, "op-1", "{form}");
        assert_eq!(op.status, OperationStatus::Failed);
        assert!(op.numbers[0]
            .status_detail
            .as_deref()
            .is_some_and(|d| d.contains("lacks appropriate licenses")));

        let config = client.user_configuration(TENANT, form).await.unwrap();
        assert_eq!(config.id, "user-1", "{form}");
        assert_eq!(config.feature_types, ["Teams", "PhoneSystem"]);
        assert!(config.is_enterprise_voice_enabled);

        let assignment = client.number_assignment(TENANT, form).await.unwrap();
        assert_eq!(assignment.telephone_number, "+14255550001", "{form}");
    }
}

#[tokio::test]
async fn a_wrong_single_object_is_malformed() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    get(
        &mut server,
        "/v1.0/admin/teams/userConfigurations/user-1",
        Matcher::Any,
        json!({"value": [{"id": "user-1"}]}),
        1,
    )
    .await;

    let err = client(&server)
        .user_configuration(TENANT, "user-1")
        .await
        .unwrap_err();

    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

// ---- userConfigurations ----

#[tokio::test]
async fn user_configurations_follow_next_links() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let path = "/v1.0/admin/teams/userConfigurations";
    let config = |id: &str, features: serde_json::Value| {
        json!({"id": id, "userPrincipalName": format!("{id}@contoso.com"), "isEnterpriseVoiceEnabled": false,
               "telephoneNumbers": [], "featureTypes": features, "accountType": "user"})
    };
    let first = get(
        &mut server,
        path,
        Matcher::Exact("$top=100".to_owned()),
        json!({"value": [config("a", json!(["Teams"])), config("b", json!(null))],
               "@odata.nextLink": format!("{base}{path}?$skiptoken=2")}),
        1,
    )
    .await;
    let second = get(
        &mut server,
        path,
        Matcher::Exact("$skiptoken=2".to_owned()),
        json!({"value": [config("c", json!(["Teams", "PhoneSystem"]))]}),
        1,
    )
    .await;

    let pages: Vec<Vec<UserConfiguration>> = client(&server)
        .user_configurations(TENANT)
        .try_collect()
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(pages[0][0].feature_types, ["Teams"]);
    assert!(pages[0][1].feature_types.is_empty());
    assert_eq!(pages[1][0].feature_types, ["Teams", "PhoneSystem"]);
}

#[tokio::test]
async fn teams_forbidden_shapes_are_permission_denied() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let wrapped = r#"{"code":"Forbidden","message":"Access Denied.","action":"Provide different credential or request access."}"#;
    server
        .mock("GET", "/v1.0/admin/teams/userConfigurations")
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(graph_error(
            "forbidden",
            "Insufficient permission(s) for the request. API requires any of the following permission(s): TeamsUserConfiguration.Read.All.",
        ))
        .create_async()
        .await;
    server
        .mock("GET", NUMBERS)
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(graph_error("UnknownError", wrapped))
        .create_async()
        .await;
    let client = client(&server);

    let pages: Vec<_> = client.user_configurations(TENANT).collect().await;
    let numbers = client.number_assignments(TENANT, None).await;

    assert_eq!(pages.len(), 1);
    assert!(pages[0].as_ref().unwrap_err().is_permission_denied());
    assert!(numbers.unwrap_err().is_permission_denied());
}

#[test]
fn retry_after_is_the_throttled_wait() {
    let wait = Duration::from_secs(7);
    assert_eq!(
        MsError::Throttled {
            retry_after: Some(wait)
        }
        .retry_after(),
        Some(wait)
    );
    assert_eq!(MsError::Throttled { retry_after: None }.retry_after(), None);
    assert_eq!(MsError::DeadlineExceeded.retry_after(), None);
    let forbidden = MsError::Graph {
        status: 403,
        code: "Authorization_RequestDenied".to_owned(),
        message: String::new(),
    };
    assert!(forbidden.is_permission_denied());
    assert_eq!(forbidden.retry_after(), None);
    assert!(!MsError::Graph {
        status: 401,
        code: "InvalidAuthenticationToken".to_owned(),
        message: String::new(),
    }
    .is_permission_denied());
}
