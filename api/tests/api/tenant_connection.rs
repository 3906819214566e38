//! Tenant Connect end to end: our API, the production client and the built-in simulator of
//! Microsoft, over real HTTP.

use reqwest::StatusCode;
use serde_json::json;
use shared::tenant_connection::{
    CheckKey, ConnectionState, NoticeKind, StepStatus, VerificationOutcome,
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{assert_problem, spawn_app, spawn_app_with},
};

const VERIFY_FAILED: &str = "We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.";

fn statuses(c: &shared::tenant_connection::TenantConnection) -> Vec<StepStatus> {
    c.steps.iter().map(|s| s.status).collect()
}

#[tokio::test]
async fn the_four_steps_end_connected_with_the_tenant_name() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;

    let fresh = app.connection(&a.token).await;
    assert_eq!(fresh.state, ConnectionState::NotConnected);
    assert_eq!(
        statuses(&fresh),
        [
            StepStatus::Done,
            StepStatus::Todo,
            StepStatus::Todo,
            StepStatus::Todo
        ]
    );
    assert_eq!(fresh.app.display_name, "Tenant Connect");

    // Step 2: consent by a Global Administrator.
    app.grant_consent(&a.token).await;
    let granted = app.connection(&a.token).await;
    assert_eq!(granted.state, ConnectionState::ConsentGranted);
    assert_eq!(
        granted.notice.as_ref().map(|n| n.kind),
        Some(NoticeKind::ConsentGranted)
    );
    assert_eq!(
        statuses(&granted),
        [
            StepStatus::Done,
            StepStatus::Done,
            StepStatus::InProgress,
            StepStatus::Todo
        ]
    );
    let tenant = app.sim_tenant("Contoso").await;
    let tenant_id = tenant["id"].as_str().unwrap();
    assert_eq!(granted.tenant_id.as_deref(), Some(tenant_id));
    assert!(granted.app.role_assignment_url.contains(tenant_id));

    // Step 4 before step 3: the missing role, and how to assign it.
    let early = app.verify(&a.token).await;
    assert_eq!(early.outcome, VerificationOutcome::Failed);
    let role = early
        .checks
        .iter()
        .find(|c| c.key == CheckKey::DirectoryRoleAssigned)
        .unwrap();
    assert!(!role.passed);
    let fix = role.remediation.clone().unwrap();
    assert!(
        fix.contains("Roles & admins")
            && fix.contains("Teams Communications Administrator")
            && fix.contains("\"Tenant Connect\""),
        "{fix}"
    );
    assert!(early
        .checks
        .iter()
        .filter(|c| c.key != CheckKey::DirectoryRoleAssigned)
        .all(|c| c.passed));
    let still = app.connection(&a.token).await;
    assert_eq!(still.state, ConnectionState::ConsentGranted);
    assert_eq!(still.steps[2].status, StepStatus::Failed);

    // Step 3 in Entra ID, then step 4.
    app.sim_assign_role(tenant_id, true).await;
    let report = app.verify(&a.token).await;
    assert_eq!(report.outcome, VerificationOutcome::Passed, "{report:?}");
    assert_eq!(report.checks.len(), 8, "{report:?}");
    assert!(
        report.message.contains("successfully connected") && report.message.contains("Contoso")
    );

    let connected = app.connection(&a.token).await;
    assert_eq!(connected.state, ConnectionState::Connected);
    assert_eq!(connected.tenant_name.as_deref(), Some("Contoso"));
    assert!(connected.connected_at.is_some());
    assert!(connected.steps.iter().all(|s| s.status == StepStatus::Done));
    // Who did what when, newest first.
    let history: Vec<_> = connected
        .history
        .iter()
        .map(|e| (e.actor.as_str(), e.message.as_str()))
        .collect();
    assert!(
        history[0].1.starts_with("Connected tenant Contoso"),
        "{history:?}"
    );
    assert!(history
        .iter()
        .any(|(who, what)| *who == "admin@contoso.example"
            && what.starts_with("Granted admin consent")));
}

#[tokio::test]
async fn any_member_may_start_and_read_but_only_admins_disconnect() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let viewer: shared::members::InvitedMember = app
        .post(
            "/api/v1/members",
            Some(&a.token),
            &json!({"email": "v@contoso.example", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let viewer = app
        .login_ok("v@contoso.example", &viewer.temporary_password)
        .await
        .access_token;

    app.grant_consent(&viewer).await;
    let tenant = app.sim_tenant("Contoso").await;
    app.sim_assign_role(tenant["id"].as_str().unwrap(), true)
        .await;
    assert_eq!(
        app.verify(&viewer).await.outcome,
        VerificationOutcome::Passed
    );

    assert_problem(
        app.delete("/api/v1/tenant-connection", Some(&viewer)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let response = app
        .delete("/api/v1/tenant-connection", Some(&a.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert_eq!(after.tenant_name, None);
    // History is kept.
    assert!(after
        .history
        .iter()
        .any(|e| e.message.starts_with("Disconnected tenant Contoso")));
    assert!(after.history.len() >= 3);
    assert_problem(
        app.delete("/api/v1/tenant-connection", Some(&a.token))
            .await,
        StatusCode::CONFLICT,
        "not_connected",
    )
    .await;
}

#[tokio::test]
async fn cancel_at_microsoft_shows_the_verify_failed_message() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let attempt = app.start_setup(&a.token).await;
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::ConsentPending
    );

    let (status, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "cancel").await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(
        location.contains("error=access_denied") && location.contains("AADSTS65004"),
        "{location}"
    );
    assert_eq!(
        app.callback(&location, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=cancelled"
    );

    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    let notice = after.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::VerifyFailed);
    assert_eq!(notice.message, VERIFY_FAILED);
    assert_eq!(after.steps[1].status, StepStatus::Failed);
}

#[tokio::test]
async fn an_ordinary_user_meets_need_admin_approval() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.sim_tenant("Contoso").await;
    let ordinary = tenant["sample_users"][0]["upn"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempt = app.start_setup(&a.token).await;
    let (status, location, page) = app.answer_consent(&attempt, &ordinary, "accept").await;
    // Microsoft shows a page and does not come back...
    assert_eq!(status, StatusCode::OK);
    assert!(location.is_none());
    assert!(page.contains("Need admin approval") && page.contains("AADSTS90094"));
    // ...until the person clicks "Back to app".
    assert!(page.contains("id=\"back-to-app\""));
    let (status, back, _) = app.answer_consent(&attempt, &ordinary, "back").await;
    assert_eq!(status, StatusCode::FOUND);
    let back = back.unwrap();
    assert!(back.contains("error_subcode=cancel"), "{back}");
    // The page's own code comes back with it: a cancel with AADSTS90094 is "Need admin
    // approval", a cancel without it is a person who cancelled (issue 17's fidelity review).
    assert!(back.contains("AADSTS90094"), "{back}");
    assert_eq!(
        app.callback(&back, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=approval_required"
    );

    let after = app.connection(&a.token).await;
    let notice = after.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::NeedAdminApproval);
    assert_eq!(notice.title, "Need admin approval");
    assert!(notice.message.contains(
        "who has the required rights (Global Administrator, Privileged Role Administrator"
    ));
    assert_eq!(after.state, ConnectionState::NotConnected);
}

#[tokio::test]
async fn forged_replayed_expired_and_foreign_states_change_nothing() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    let callback = |query: &str| {
        app.url(&format!(
            "/api/v1/tenant-connection/consent-callback?{query}"
        ))
    };
    let tenant = app.sim_tenant("Contoso").await;
    let tid = tenant["id"].as_str().unwrap().to_owned();

    let attempt = app.start_setup(&a.token).await;
    let state = attempt.state();
    let consent_page = app.sign_in_through(&attempt, CONTOSO_ADMIN).await;
    assert!(consent_page.contains(&format!("/{tid}/v2.0/adminconsent")));
    let granted = |s: &str| callback(&format!("admin_consent=True&tenant={tid}&state={s}"));
    let rejected = "/tenant-connection?consent=rejected";

    // Forged: a state we never issued.
    assert_eq!(
        app.callback(&granted("forged-state-value"), Some(&attempt.cookie))
            .await,
        rejected
    );
    // No browser binding, or another account's browser.
    let other = app.start_setup(&b.token).await;
    assert_eq!(app.callback(&granted(&state), None).await, rejected);
    assert_eq!(
        app.callback(&granted(&state), Some(&other.cookie)).await,
        rejected
    );
    // A repeated parameter (two readings of one URL) is refused.
    let twice = callback(&format!(
        "admin_consent=True&tenant={tid}&state={state}&tenant=00000000-0000-0000-0000-000000000001"
    ));
    assert_eq!(app.callback(&twice, Some(&attempt.cookie)).await, rejected);
    // An attempt to bounce the browser elsewhere is ignored: we only ever send it home.
    let bounce = callback(&format!("admin_consent=True&tenant={tid}&state=x&redirect_uri=https://evil.example/&return_to=//evil.example"));
    assert_eq!(app.callback(&bounce, Some(&attempt.cookie)).await, rejected);
    // The sign-in leg cannot be replayed either.
    let sign_in_replay = app.url(&format!(
        "/api/v1/tenant-connection/sign-in-callback?code=anything&state={state}"
    ));
    assert_eq!(
        app.callback(&sign_in_replay, Some(&attempt.cookie)).await,
        rejected
    );

    let untouched = app.connection(&a.token).await;
    assert_eq!(untouched.state, ConnectionState::ConsentPending);
    assert!(untouched.tenant_id.is_none());
    assert!(untouched.notice.is_none());
    assert_eq!(
        app.connection(&b.token).await.state,
        ConnectionState::ConsentPending
    );

    // The genuine answer works once; its replay is refused.
    assert_eq!(
        app.callback(&granted(&state), Some(&attempt.cookie)).await,
        "/tenant-connection?consent=granted"
    );
    let cancel_replay = callback(&format!(
        "error=access_denied&error_description=AADSTS65004%3A+declined&admin_consent=True&state={state}"
    ));
    assert_eq!(
        app.callback(&cancel_replay, Some(&attempt.cookie)).await,
        rejected
    );
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::ConsentGranted
    );
    // Fabrikam saw none of it.
    let fabrikam = app.connection(&b.token).await;
    assert!(
        fabrikam.tenant_id.is_none()
            && fabrikam
                .history
                .iter()
                .all(|e| !e.message.contains("Granted"))
    );

    // Expired: an attempt whose time ran out.
    let late = app.start_setup(&b.token).await;
    let hash = tenant_connect::domain::api_token::hash(&late.state());
    app.db()
        .run(move |conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::consent_states::dsl::*;
            diesel::update(consent_states.filter(state_hash.eq(hash)))
                .set(expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, location, _) = app.answer_sign_in(&late, CONTOSO_ADMIN, "accept").await;
    assert_eq!(
        app.callback(&location.unwrap(), Some(&late.cookie)).await,
        rejected
    );
    // A consent that never came back in time reads as the product's message.
    let expired = app.connection(&b.token).await;
    assert_eq!(expired.state, ConnectionState::NotConnected);
    assert_eq!(
        expired.notice.map(|n| n.message).as_deref(),
        Some(VERIFY_FAILED)
    );
}

#[tokio::test]
async fn a_consent_naming_the_tenant_by_another_spelling_than_its_guid_is_refused() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.sim_tenant("Contoso").await;

    // The answer names the tenant by its domain, not the id of the signed-in person's token.
    let attempt = app.start_setup(&a.token).await;
    let (_, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
    let claimed = location
        .unwrap()
        .replace(tenant["id"].as_str().unwrap(), "contoso.onmicrosoft.com");
    assert_eq!(
        app.callback(&claimed, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=tenant_mismatch"
    );
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert!(after.tenant_id.is_none());
    assert_problem(
        app.post(
            "/api/v1/tenant-connection/verify",
            Some(&a.token),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "consent_required",
    )
    .await;
}

#[tokio::test]
async fn verify_without_consent_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let response = app
        .post(
            "/api/v1/tenant-connection/verify",
            Some(&a.token),
            &json!({}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "consent_required").await;
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert!(after.last_verification.is_none() && after.history.is_empty());
}

#[tokio::test]
async fn a_hanging_microsoft_ends_in_the_verify_failed_message_within_the_deadline() {
    let app = spawn_app_with(&["--verify-deadline-seconds", "2"]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.grant_consent(&a.token).await;
    app.sim_fault(json!({"endpoint": "token", "hang": true, "count": 5}))
        .await;

    let started = std::time::Instant::now();
    let report = app.verify(&a.token).await;
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_secs(6),
        "{took:?}"
    );
    assert_eq!(report.outcome, VerificationOutcome::TimedOut);
    assert_eq!(report.message, VERIFY_FAILED);
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::ConsentGranted);
    assert_eq!(
        after.notice.map(|n| n.message).as_deref(),
        Some(VERIFY_FAILED)
    );
}

#[tokio::test]
async fn two_verifies_at_once_run_once() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.grant_consent(&a.token).await;
    app.sim_assign_role(
        app.sim_tenant("Contoso").await["id"].as_str().unwrap(),
        true,
    )
    .await;
    // Slow Microsoft down so that the two overlap.
    app.sim_fault(json!({"endpoint": "token", "latency_ms": 700, "count": 2}))
        .await;
    let (one, two) = tokio::join!(app.verify(&a.token), app.verify(&a.token));
    assert_eq!(one.id, two.id, "both answers are the one verification");
    assert_eq!(one.outcome, VerificationOutcome::Passed);
    let connected_events = app
        .connection(&a.token)
        .await
        .history
        .iter()
        .filter(|e| e.message.starts_with("Connected tenant"))
        .count();
    assert_eq!(connected_events, 1);
}

#[tokio::test]
async fn health_checks_notice_a_removed_role_and_a_recovery() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.sim_tenant("Contoso").await;
    let tid = tenant["id"].as_str().unwrap();
    app.grant_consent(&a.token).await;
    app.sim_assign_role(tid, true).await;
    app.verify(&a.token).await;

    // Two runners at once (as two API processes would be) check the tenant once.
    app.state
        .connections
        .make_health_checks_due()
        .await
        .unwrap();
    let (one, two) = tokio::join!(
        app.state.connections.run_health_checks(),
        app.state.connections.run_health_checks()
    );
    assert_eq!(one.unwrap() + two.unwrap(), 1);
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );

    app.sim_assign_role(tid, false).await;
    app.run_health_checks().await;
    let broken = app.connection(&a.token).await;
    assert_eq!(broken.state, ConnectionState::NeedsAttention);
    let notice = broken.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::NeedsAttention);
    assert!(
        notice.message.contains("Roles & admins"),
        "{}",
        notice.message
    );
    assert_eq!(broken.history[0].actor, "Connection health check");

    app.sim_assign_role(tid, true).await;
    app.run_health_checks().await;
    let recovered = app.connection(&a.token).await;
    assert_eq!(recovered.state, ConnectionState::Connected);
    assert!(recovered.history[0].message.contains("recovered"));

    // Revoked consent: Microsoft stops issuing tokens (AADSTS700016).
    app.sim_revoke_consent(tid).await;
    app.run_health_checks().await;
    let revoked = app.connection(&a.token).await;
    assert_eq!(revoked.state, ConnectionState::NeedsAttention);
    let consent = revoked
        .last_verification
        .unwrap()
        .checks
        .into_iter()
        .find(|c| c.key == CheckKey::ConsentPresent)
        .unwrap();
    assert!(!consent.passed && consent.detail.contains("AADSTS700016"));
    assert_eq!(revoked.steps[1].status, StepStatus::Failed);
}

#[tokio::test]
async fn a_legacy_connection_is_replaced_by_the_app_connection() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.sim_tenant("Contoso").await;
    let tid = tenant["id"].as_str().unwrap().to_owned();
    let account = tenant_connect::domain::ids::AccountId::from(a.account_id);
    let legacy_tid = tenant_connect::domain::ids::TenantId::parse(&tid).unwrap();
    app.db()
        .run(move |conn| {
            tenant_connect::domain::tenant_connection::mark_legacy(
                conn,
                &account,
                &legacy_tid,
                Some("Contoso"),
                "teams-svc@contoso.onmicrosoft.com",
            )
        })
        .await
        .unwrap();
    let legacy = app.connection(&a.token).await;
    assert_eq!(legacy.state, ConnectionState::Legacy);
    assert_eq!(
        legacy.legacy_service_account.as_deref(),
        Some("teams-svc@contoso.onmicrosoft.com")
    );
    // Step 2 signs the admin in, then asks Microsoft for consent in their tenant.
    let attempt = app.start_setup(&a.token).await;
    let (_, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
    assert!(
        attempt
            .consent_url()
            .contains(&format!("/{tid}/v2.0/adminconsent")),
        "{}",
        attempt.consent_url()
    );
    app.callback(&location.unwrap(), Some(&attempt.cookie))
        .await;
    app.sim_assign_role(&tid, true).await;
    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );

    let updated = app.connection(&a.token).await;
    assert_eq!(updated.state, ConnectionState::Connected);
    assert_eq!(updated.legacy_service_account, None);
    assert!(updated
        .history
        .iter()
        .any(|e| e.message.contains("Removed the legacy connection")));
}

#[tokio::test]
async fn a_tenant_connected_to_one_account_cannot_be_claimed_by_another() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Mallory Ltd", "admin@mallory.example").await;
    let tid = app.sim_tenant("Contoso").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.grant_consent(&a.token).await;
    app.sim_assign_role(&tid, true).await;
    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );

    // Another account's member signs in to the same tenant: refused before any consent.
    let attempt = app.start_setup(&b.token).await;
    assert_eq!(
        app.sign_in_through(&attempt, CONTOSO_ADMIN).await,
        "/tenant-connection?consent=tenant_taken"
    );
    let refused = app.connection(&b.token).await;
    assert_eq!(refused.state, ConnectionState::NotConnected);
    assert!(refused.tenant_id.is_none());
    let notice = refused.notice.unwrap();
    assert_eq!(
        notice.title,
        "This Microsoft tenant is connected to another account"
    );
    assert!(notice
        .message
        .contains("Ask an admin of that account to disconnect it"));
    assert_problem(
        app.post(
            "/api/v1/tenant-connection/verify",
            Some(&b.token),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "consent_required",
    )
    .await;
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );
}

#[tokio::test]
async fn a_late_answer_to_an_older_attempt_does_not_undo_a_newer_consent() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let older = app.start_setup(&a.token).await;
    app.grant_consent(&a.token).await;
    let (_, location, _) = app.answer_consent(&older, CONTOSO_ADMIN, "cancel").await;
    assert_eq!(
        app.callback(&location.unwrap(), Some(&older.cookie)).await,
        "/tenant-connection?consent=cancelled"
    );
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::ConsentGranted
    );
}

#[tokio::test]
async fn microsoft_failing_for_a_while_is_inconclusive_not_a_broken_connection() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tid = app.sim_tenant("Contoso").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.grant_consent(&a.token).await;
    app.sim_assign_role(&tid, true).await;
    app.verify(&a.token).await;

    app.sim_fault(json!({"endpoint": "token", "status": 500, "count": 50}))
        .await;
    app.run_health_checks().await;
    let after = app.connection(&a.token).await;
    assert_eq!(
        after.state,
        ConnectionState::Connected,
        "an outage is not the customer's problem"
    );
    let report = after.last_verification.unwrap();
    assert_eq!(report.outcome, VerificationOutcome::Inconclusive);
    assert_eq!(report.message, VERIFY_FAILED);
}

/// Page views read without the account's write lock: while another writer holds it (an
/// admin change, a consent landing), the Tenant Connection page still answers.
#[tokio::test]
async fn reading_the_connection_does_not_wait_for_a_writer() {
    // No job runner: its own writes, waiting on the held lock, would take pooled connections
    // and make the page wait for a connection rather than for the lock this test is about.
    let app = spawn_app_with(&["--job-workers", "0"]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.connection(&a.token).await;

    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (db, account) = (app.db().clone(), a.account_id.to_string());
    let writer = std::thread::spawn(move || {
        db.run_now(|conn| {
            tenant_connect::db::transaction(conn, |conn| {
                tenant_connect::db::lock_account(conn, &account)?;
                locked_tx.send(()).unwrap();
                // Held for longer than SQLite's busy timeout (5 s) unless released sooner.
                let _ = release_rx.recv_timeout(std::time::Duration::from_secs(8));
                Ok(())
            })
        })
        .unwrap();
    });
    locked_rx.recv().unwrap();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(7),
        app.get("/api/v1/tenant-connection", Some(&a.token)),
    )
    .await;
    release_tx.send(()).unwrap();
    writer.join().unwrap();
    let response = read.expect("the page waited for the writer");
    assert_eq!(response.status(), StatusCode::OK);
}

/// Expired consent attempts are purged by the housekeeping that runs with the health checks;
/// a pending connection keeps its attempt until the attempt has been closed.
#[tokio::test]
async fn expired_consent_attempts_are_purged() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    let closed = app.start_setup(&a.token).await;
    let pending = app.start_setup(&b.token).await;
    let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(3);
    app.db()
        .run(move |conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::consent_states::dsl::*;
            diesel::update(consent_states)
                .set(expires_at.eq(long_ago))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let count = || async {
        app.db()
            .run(|conn| {
                use diesel::prelude::*;
                use tenant_connect::db::schema::consent_states::dsl::*;
                Ok(consent_states.count().get_result::<i64>(conn)?)
            })
            .await
            .unwrap()
    };
    assert_eq!(count().await, 2);
    // A's page closes its expired attempt; B's stays pending until B's page is read.
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::NotConnected
    );
    app.run_health_checks().await;
    assert_eq!(count().await, 1, "only the closed attempt is purged");
    assert_eq!(
        app.connection(&b.token).await.state,
        ConnectionState::NotConnected
    );
    app.run_health_checks().await;
    assert_eq!(count().await, 0);
    drop((closed, pending));
}
