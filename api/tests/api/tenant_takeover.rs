//! A connected account's tenant can be consented for again only by its admins, and only for the
//! same tenant: a member signed in as a person, who may consent as the admin of a tenant of
//! their own, must not re-point the account (issue 22, item 1). And the connection's actions
//! cannot be used to flood the ledger (item 4).

use reqwest::{header, StatusCode};
use serde_json::json;
use shared::{
    members::InvitedMember,
    tenant_connection::{ConnectionState, NoticeKind, VerificationOutcome},
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{assert_problem, spawn_app, spawn_app_with, TestApp},
};

const FABRIKAM_ADMIN: &str = "admin@fabrikam.onmicrosoft.com";

async fn tenant_id(app: &TestApp, name: &str) -> String {
    app.sim_tenant(name).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A member of the admin's account with this role, signed in: (member id, session token).
async fn member(app: &TestApp, admin: &str, email: &str, role: &str) -> (String, String) {
    let response = app
        .post(
            "/api/v1/members",
            Some(admin),
            &json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invited: InvitedMember = response.json().await.unwrap();
    let session = app.login_ok(email, &invited.temporary_password).await;
    (invited.member.id.to_string(), session.access_token)
}

async fn connect_contoso(app: &TestApp, token: &str) {
    app.grant_consent(token).await;
    app.sim_assign_role(&tenant_id(app, "Contoso").await, true)
        .await;
    assert_eq!(app.verify(token).await.outcome, VerificationOutcome::Passed);
}

/// The account is still connected to Contoso, and a verification checks Contoso.
async fn assert_still_contoso(app: &TestApp, admin: &str) {
    let contoso = tenant_id(app, "Contoso").await;
    let connection = app.connection(admin).await;
    assert_eq!(connection.state, ConnectionState::Connected);
    assert_eq!(connection.tenant_id.as_deref(), Some(contoso.as_str()));
    assert_eq!(connection.tenant_name.as_deref(), Some("Contoso"));
}

#[tokio::test]
async fn only_admins_start_setup_once_a_tenant_is_connected() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let (_, viewer) = member(&app, &a.token, "viewer@contoso.example", "viewer").await;
    let (_, staff) = member(&app, &a.token, "staff@contoso.example", "staff").await;

    // Before a tenant is connected, any member may start (the product's FAQ).
    let before = app.connection(&viewer).await;
    assert!(!before.setup_admins_only);
    let attempt = app.start_setup(&viewer).await;
    assert!(!attempt.sign_in_url.is_empty());

    connect_contoso(&app, &a.token).await;
    let after = app.connection(&viewer).await;
    assert!(after.setup_admins_only);
    for token in [&viewer, &staff] {
        let problem = assert_problem(
            app.post("/api/v1/tenant-connection/setup", Some(token), &json!({}))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert!(problem.detail.contains("only an admin"), "{problem:?}");
    }
    // Nothing was recorded for the refused attempts.
    let history = app.connection(&a.token).await.history;
    assert_eq!(history, after.history);
    // An admin may (to consent again for the same tenant).
    app.start_setup(&a.token).await;
}

#[tokio::test]
async fn a_viewers_attempt_started_before_the_connection_cannot_finish_after_it() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let (_, viewer) = member(&app, &a.token, "viewer@contoso.example", "viewer").await;

    // The viewer starts while nothing is connected, and signs in to a tenant they control.
    let attempt = app.start_setup(&viewer).await;
    let next = app.sign_in_through(&attempt, FABRIKAM_ADMIN).await;
    assert!(next.contains("/v2.0/adminconsent"), "{next}");
    // Meanwhile the admin connects the real tenant.
    connect_contoso(&app, &a.token).await;

    // The viewer's consent lands: refused, the account keeps its tenant.
    let (status, location, _) = app.answer_consent(&attempt, FABRIKAM_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let landed = app
        .callback(&location.unwrap(), Some(&attempt.cookie))
        .await;
    assert_eq!(landed, "/tenant-connection?consent=not_allowed");
    assert_still_contoso(&app, &a.token).await;
    let report = app.verify(&a.token).await;
    assert_eq!(report.outcome, VerificationOutcome::Passed);
    assert_still_contoso(&app, &a.token).await;
}

#[tokio::test]
async fn an_admin_demoted_during_an_attempt_cannot_finish_it() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    connect_contoso(&app, &a.token).await;
    let (id, second) = member(&app, &a.token, "second@contoso.example", "admin").await;

    let attempt = app.start_setup(&second).await;
    let next = app.sign_in_through(&attempt, CONTOSO_ADMIN).await;
    assert!(next.contains("/v2.0/adminconsent"), "{next}");
    let response = app
        .patch(
            &format!("/api/v1/members/{id}"),
            Some(&a.token),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Even for the connected tenant itself: the grant is the admins' to renew.
    let (status, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let landed = app
        .callback(&location.unwrap(), Some(&attempt.cookie))
        .await;
    assert_eq!(landed, "/tenant-connection?consent=not_allowed");
    let connection = app.connection(&a.token).await;
    assert_eq!(connection.state, ConnectionState::Connected);
    assert_eq!(connection.notice.unwrap().kind, NoticeKind::ConsentError);
}

#[tokio::test]
async fn another_tenant_is_refused_until_an_admin_disconnects_the_first() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    connect_contoso(&app, &a.token).await;

    // Even an admin: signing in to another tenant ends the attempt at the sign-in.
    let attempt = app.start_setup(&a.token).await;
    let landed = app.sign_in_through(&attempt, FABRIKAM_ADMIN).await;
    assert_eq!(landed, "/tenant-connection?consent=tenant_differs");
    assert_still_contoso(&app, &a.token).await;
    let connection = app.connection(&a.token).await;
    let notice = connection.notice.unwrap();
    assert!(notice.message.contains("disconnect"), "{notice:?}");
    assert!(
        connection.history[0]
            .message
            .contains("disconnect it first"),
        "{:?}",
        connection.history
    );
    // Verify still checks the connected tenant.
    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );
    assert_still_contoso(&app, &a.token).await;

    // Consenting again for the same tenant (say, for a new permission) stays open.
    app.grant_consent(&a.token).await;
    assert_still_contoso(&app, &a.token).await;

    // Once disconnected, another tenant can be connected.
    let response = app
        .delete("/api/v1/tenant-connection", Some(&a.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let attempt = app.start_setup(&a.token).await;
    let (status, location, _) = app.answer_consent(&attempt, FABRIKAM_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let landed = app
        .callback(&location.unwrap(), Some(&attempt.cookie))
        .await;
    assert_eq!(landed, "/tenant-connection?consent=granted");
    app.sim_assign_role(&tenant_id(&app, "Fabrikam").await, true)
        .await;
    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );
    assert_eq!(
        app.connection(&a.token).await.tenant_name.as_deref(),
        Some("Fabrikam")
    );
}

#[tokio::test]
async fn a_stale_claim_of_another_tenant_never_replaces_the_connected_one() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    connect_contoso(&app, &a.token).await;
    // A claim left from before this rule (or by any other path) names a tenant that would
    // pass every check: Fabrikam, consented and with the role.
    let fabrikam = tenant_id(&app, "Fabrikam").await;
    app.sim_grant_permissions(
        &fabrikam,
        &[
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
            "TeamsTelephoneNumber.ReadWrite.All",
            "TeamsUserConfiguration.Read.All",
        ],
    )
    .await;
    app.sim_assign_role(&fabrikam, true).await;
    let sql = format!("UPDATE tenant_connections SET claimed_tenant_id = '{fabrikam}'");
    app.db()
        .run(move |conn| {
            use diesel::RunQueryDsl;
            Ok::<_, tenant_connect::error::ApiError>(diesel::sql_query(sql).execute(conn)?)
        })
        .await
        .unwrap();

    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );
    assert_still_contoso(&app, &a.token).await;
    // The health check, too.
    app.run_health_checks().await;
    assert_still_contoso(&app, &a.token).await;
}

#[tokio::test]
async fn setup_and_verify_are_limited_per_account_and_repeats_add_nothing() {
    let app = spawn_app_with(&["--connection-actions-per-window", "3"]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    connect_contoso(&app, &a.token).await; // one sign-in, one verification
    let history = || async { app.connection(&a.token).await.history };
    let before = history().await;

    // A manual verification that finds what the last one found records one event, then none.
    let second = app.verify(&a.token).await;
    let after_second = history().await;
    assert_eq!(after_second.len(), before.len() + 1);
    assert!(after_second[0]
        .message
        .starts_with("Verified the connection"));
    let third = app.verify(&a.token).await;
    assert_ne!(third.id, second.id, "the third of three runs");
    assert_eq!(history().await, after_second);

    // The fourth within the window answers the last report without running again.
    let fourth = app.verify(&a.token).await;
    assert_eq!(fourth.id, third.id);
    assert_eq!(history().await, after_second);

    // Sign-ins: two more fit in the window (one was the connection's), the next is refused.
    app.start_setup(&a.token).await;
    app.start_setup(&a.token).await;
    let response = app
        .post(
            "/api/v1/tenant-connection/setup",
            Some(&a.token),
            &json!({}),
        )
        .await;
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert!(response
        .headers()
        .get(header::SET_COOKIE)
        .is_none_or(|c| !c.to_str().unwrap().contains("tc_consent_binding")));
    let problem =
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(problem.detail.contains("try again in"), "{problem:?}");
    let setups = history()
        .await
        .iter()
        .filter(|e| e.message.starts_with("Started connecting"))
        .count();
    assert_eq!(setups, 3);
    // The limit is each person's: one member's flood does not keep another admin out.
    let (_, second) = member(&app, &a.token, "second@contoso.example", "admin").await;
    app.start_setup(&second).await;
}

#[tokio::test]
async fn the_same_finding_by_another_person_is_recorded() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    connect_contoso(&app, &a.token).await;
    let (_, second) = member(&app, &a.token, "second@contoso.example", "admin").await;
    app.verify(&a.token).await;
    app.verify(&a.token).await;
    app.verify(&second).await;
    let verified: Vec<String> = app
        .connection(&a.token)
        .await
        .history
        .into_iter()
        .filter(|e| e.message.starts_with("Verified the connection"))
        .map(|e| e.actor)
        .collect();
    assert_eq!(
        verified,
        ["second@contoso.example", "admin@contoso.example"],
        "newest first, one each"
    );
}
