//! The production client against the simulator over real HTTP: each documented outcome of
//! CONTRACT.md sections 1 to 4, served by the one and handled by the other.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use tenant_connect::{
    config::{SIMULATED_CLIENT_ID, TEAMS_COMMUNICATIONS_ADMINISTRATOR},
    microsoft::client::{
        AssignNumber, CallPolicy, ClientConfig, MicrosoftClient, MsError, NumberType,
        OperationStatus,
    },
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{spawn_app, TestApp, TEST_CLIENT_SECRET},
};

fn client(app: &TestApp, secret: &str, policy: CallPolicy) -> MicrosoftClient {
    MicrosoftClient::new(
        ClientConfig {
            login_url: app.url("/_microsoft/login"),
            graph_url: app.url("/_microsoft/graph"),
            client_id: SIMULATED_CLIENT_ID.to_owned(),
            client_secret: SecretString::from(secret),
        },
        policy,
        None,
    )
    .unwrap()
}

fn quick() -> CallPolicy {
    CallPolicy {
        request_timeout: Duration::from_millis(800),
        deadline: Duration::from_secs(4),
        max_attempts: 4,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        ..CallPolicy::default()
    }
}

/// Admin consent given at the simulator's page by a Global Administrator.
async fn consent(app: &TestApp, ms: &MicrosoftClient) {
    let url = ms.admin_consent_url(
        "organizations",
        &app.url("/api/v1/tenant-connection/consent-callback"),
        "s1",
    );
    let response = app
        .client
        .post(&url)
        .form(&[("user", CONTOSO_ADMIN), ("action", "accept")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("admin_consent=True") && location.contains("state=s1"),
        "{location}"
    );
}

#[tokio::test]
async fn tokens_tell_consent_permissions_and_role() {
    let app = spawn_app().await;
    let tenant = app.sim_tenant("Contoso").await;
    let tid = tenant["id"].as_str().unwrap();
    let ms = client(&app, TEST_CLIENT_SECRET, quick());

    // Before consent: no service principal in the tenant.
    let before = ms.fresh_app_token(tid).await.unwrap_err();
    assert_eq!(before.aadsts(), Some(700016), "{before:?}");

    consent(&app, &ms).await;
    let token = ms.fresh_app_token(tid).await.unwrap();
    assert_eq!(token.claims.tid, tid);
    assert_eq!(token.claims.appid, SIMULATED_CLIENT_ID);
    assert_eq!(token.claims.idtyp.as_deref(), Some("app"));
    assert!(token
        .claims
        .roles
        .iter()
        .any(|r| r == "CrossTenantInformation.ReadBasic.All"));
    assert!(token
        .claims
        .wids
        .iter()
        .all(|w| w != TEAMS_COMMUNICATIONS_ADMINISTRATOR));

    app.sim_assign_role(tid, true).await;
    let with_role = ms.fresh_app_token(tid).await.unwrap();
    assert!(with_role
        .claims
        .wids
        .iter()
        .any(|w| w == TEAMS_COMMUNICATIONS_ADMINISTRATOR));

    let info = ms.tenant_information(tid).await.unwrap();
    assert_eq!(info.display_name, "Contoso");

    // Our secret wrong: an operator's problem, typed as such.
    let wrong = client(&app, "not-the-secret", quick())
        .fresh_app_token(tid)
        .await
        .unwrap_err();
    assert_eq!(wrong.aadsts(), Some(7000215), "{wrong:?}");
    // No such tenant.
    let unknown = ms
        .fresh_app_token("00000000-0000-0000-0000-000000000001")
        .await
        .unwrap_err();
    assert_eq!(unknown.aadsts(), Some(90002), "{unknown:?}");

    app.sim_revoke_consent(tid).await;
    let revoked = ms.fresh_app_token(tid).await.unwrap_err();
    assert_eq!(revoked.aadsts(), Some(700016));
}

#[tokio::test]
async fn graph_authorizes_on_the_permission_not_the_role_and_pages_all_users() {
    let app = spawn_app().await;
    let tid = app.sim_tenant("Contoso").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ms = client(&app, TEST_CLIENT_SECRET, quick());
    consent(&app, &ms).await;

    // The Teams Communications Administrator role alone does not open /users (CONTRACT
    // section 5): without User.Read.All, 403 Authorization_RequestDenied.
    app.sim_assign_role(&tid, true).await;
    app.sim_grant_permissions(&tid, &["CrossTenantInformation.ReadBasic.All"])
        .await;
    let ms = client(&app, TEST_CLIENT_SECRET, quick());
    let denied = Box::pin(ms.users(&tid)).next().await.unwrap().unwrap_err();
    assert_eq!(
        denied.graph_code(),
        Some("Authorization_RequestDenied"),
        "{denied:?}"
    );

    app.sim_grant_permissions(&tid, &["User.Read.All"]).await;
    let ms = client(&app, TEST_CLIENT_SECRET, quick());
    let mut pages = 0;
    let mut users = Vec::new();
    let mut stream = Box::pin(ms.users(&tid));
    while let Some(page) = stream.next().await {
        pages += 1;
        users.extend(page.unwrap());
    }
    assert_eq!(users.len(), 250);
    assert_eq!(pages, 1, "$top=999 fits 250 users in one page");
    let mut ids: Vec<_> = users.iter().map(|u| u.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250);
    assert!(users.iter().any(|u| u.user_principal_name == CONTOSO_ADMIN));
}

#[tokio::test]
async fn a_number_assignment_runs_as_an_operation_and_a_taken_number_fails() {
    let app = spawn_app().await;
    let tid = app.sim_tenant("Contoso").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ms = client(&app, TEST_CLIENT_SECRET, quick());
    consent(&app, &ms).await;
    app.sim_assign_role(&tid, true).await;
    let ms = client(&app, TEST_CLIENT_SECRET, quick());

    let mut users = Vec::new();
    let mut stream = Box::pin(ms.users(&tid));
    while let Some(page) = stream.next().await {
        users.extend(page.unwrap());
    }
    let (first, second) = (&users[10], &users[11]);
    let number = "+14255550199";
    let assign = |user: &str| AssignNumber {
        telephone_number: number.to_owned(),
        assignment_target_id: user.to_owned(),
        number_type: NumberType::DirectRouting,
        assignment_category: tenant_connect::microsoft::client::AssignmentCategory::Primary,
        location_id: None,
    };
    let operation = ms.assign_number(&tid, &assign(&first.id)).await.unwrap();
    let status = ms.operation(&tid, &operation).await.unwrap().status;
    assert!(
        matches!(
            status,
            OperationStatus::NotStarted | OperationStatus::Running
        ),
        "{status:?}"
    );
    let done = wait_final(&ms, &tid, &operation).await;
    assert_eq!(done.status, OperationStatus::Succeeded);

    let config = ms.user_configuration(&tid, &first.id).await.unwrap();
    assert!(config.is_enterprise_voice_enabled);
    assert!(config
        .telephone_numbers
        .iter()
        .any(|n| n.telephone_number == number));
    let listed = ms
        .number_assignments(&tid, Some(&format!("telephoneNumber eq '{number}'")))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].assignment_target_id.as_deref(),
        Some(first.id.as_str())
    );

    // The same number to someone else: the operation fails and says why.
    let clash = ms.assign_number(&tid, &assign(&second.id)).await.unwrap();
    let failed = wait_final(&ms, &tid, &clash).await;
    assert_eq!(failed.status, OperationStatus::Failed);
    let detail = failed.numbers[0].status_detail.clone().unwrap_or_default();
    assert!(detail.contains("already been assigned"), "{detail}");
}

async fn wait_final(
    ms: &MicrosoftClient,
    tid: &str,
    operation: &tenant_connect::microsoft::client::OperationRef,
) -> tenant_connect::microsoft::client::Operation {
    for _ in 0..50 {
        let current = ms.operation(tid, operation).await.unwrap();
        if current.status.is_final() {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the operation never finished");
}

#[tokio::test]
async fn throttling_errors_and_hangs_are_handled_as_documented() {
    let app = spawn_app().await;
    let tid = app.sim_tenant("Contoso").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ms = client(&app, TEST_CLIENT_SECRET, quick());
    consent(&app, &ms).await;
    ms.app_token(&tid).await.unwrap();

    // 429 with Retry-After: 1, once: the client waits about a second, then succeeds.
    app.sim_fault(
        json!({"tenant": tid, "endpoint": "graph", "status": 429, "retry_after": 1, "count": 1}),
    )
    .await;
    let started = Instant::now();
    ms.tenant_information(&tid).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // 503 twice, then fine: retried with backoff.
    app.sim_fault(json!({"endpoint": "graph", "status": 503, "count": 2}))
        .await;
    ms.tenant_information(&tid).await.unwrap();

    // 500 for longer than the client tries: a typed failure.
    app.sim_fault(json!({"endpoint": "graph", "status": 500, "count": 10}))
        .await;
    let exhausted = ms.tenant_information(&tid).await.unwrap_err();
    assert!(
        matches!(
            exhausted,
            MsError::Unavailable {
                status: Some(500),
                ..
            }
        ),
        "{exhausted:?}"
    );
    app.client
        .delete(app.url("/_microsoft/control/faults"))
        .send()
        .await
        .unwrap();

    // No answer at all: the deadline ends it, on time.
    app.sim_fault(json!({"endpoint": "token", "hang": true, "count": 10}))
        .await;
    let started = Instant::now();
    let hung = ms.fresh_app_token(&tid).await.unwrap_err();
    assert!(
        matches!(
            hung,
            MsError::DeadlineExceeded | MsError::Unavailable { .. }
        ),
        "{hung:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}
