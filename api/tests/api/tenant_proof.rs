//! The tenant a connection holds is the one Microsoft signed for (CONTRACT section 2): the
//! consent redirect's `tenant` is only a claim anyone can edit, so each way of editing it is
//! tried here, with Microsoft's real error redirects and a partial grant.

use reqwest::StatusCode;
use serde_json::json;
use shared::tenant_connection::{
    CheckKey, ConnectionState, NoticeKind, StepStatus, VerificationOutcome,
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{assert_problem, spawn_app, TestApp},
};

const FABRIKAM_ADMIN: &str = "admin@fabrikam.onmicrosoft.com";
const PERSONAL_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

async fn tenant_id(app: &TestApp, name: &str) -> String {
    app.sim_tenant(name).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A member of another account finishes their own attempt (signed in to Fabrikam) with the
/// redirect's `tenant` edited to `forged`: where the browser lands.
async fn edited_consent(app: &TestApp, token: &str, forged: &str) -> String {
    let attempt = app.start_setup(token).await;
    let (status, location, _) = app.answer_consent(&attempt, FABRIKAM_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let fabrikam = tenant_id(app, "Fabrikam").await;
    let location = location.unwrap();
    assert!(location.contains(&fabrikam), "{location}");
    let edited = location.replace(&fabrikam, forged);
    app.callback(&edited, Some(&attempt.cookie)).await
}

async fn connect_contoso(app: &TestApp, token: &str) {
    app.grant_consent(token).await;
    app.sim_assign_role(&tenant_id(app, "Contoso").await, true)
        .await;
    assert_eq!(app.verify(token).await.outcome, VerificationOutcome::Passed);
}

/// Nothing of `tenant` reached the account: not claimed, nothing to verify, the refusal in
/// the history.
async fn assert_refused(app: &TestApp, token: &str, landed: &str) {
    assert_eq!(landed, "/tenant-connection?consent=tenant_mismatch");
    let after = app.connection(token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert!(after.tenant_id.is_none());
    let notice = after.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::ConsentError);
    assert!(notice.message.contains("nothing was changed"), "{notice:?}");
    assert!(
        after.history[0]
            .message
            .starts_with("Refused a consent answer naming tenant"),
        "{:?}",
        after.history
    );
    assert_problem(
        app.post("/api/v1/tenant-connection/verify", Some(token), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "consent_required",
    )
    .await;
}

#[tokio::test]
async fn an_edited_tenant_naming_another_organisations_consented_tenant_is_refused() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Mallory Ltd", "admin@mallory.example").await;
    connect_contoso(&app, &a.token).await;
    let contoso = tenant_id(&app, "Contoso").await;

    let landed = edited_consent(&app, &b.token, &contoso).await;
    assert_refused(&app, &b.token, &landed).await;
    // The same id in capitals is the same tenant: refused too.
    let landed = edited_consent(&app, &b.token, &contoso.to_uppercase()).await;
    assert_refused(&app, &b.token, &landed).await;
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );
}

#[tokio::test]
async fn a_tenant_disconnected_in_the_portal_but_still_consented_cannot_be_taken() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Mallory Ltd", "admin@mallory.example").await;
    connect_contoso(&app, &a.token).await;
    let response = app
        .delete("/api/v1/tenant-connection", Some(&a.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Contoso still has the app at Microsoft: a token for it would be issued.
    let contoso = tenant_id(&app, "Contoso").await;
    assert!(app.sim_tenant("Contoso").await["service_principal"].is_object());

    let landed = edited_consent(&app, &b.token, &contoso).await;
    assert_refused(&app, &b.token, &landed).await;
}

#[tokio::test]
async fn nobody_can_claim_a_tenant_first_to_block_its_owner() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Mallory Ltd", "admin@mallory.example").await;
    let contoso = tenant_id(&app, "Contoso").await;

    // Mallory tries to claim Contoso before Contoso ever connects.
    let landed = edited_consent(&app, &b.token, &contoso).await;
    assert_refused(&app, &b.token, &landed).await;

    // The rightful owner connects as usual, and the tenant is stored as Microsoft spells it.
    connect_contoso(&app, &a.token).await;
    let connected = app.connection(&a.token).await;
    assert_eq!(connected.state, ConnectionState::Connected);
    assert_eq!(connected.tenant_id.as_deref(), Some(contoso.as_str()));
    assert_eq!(contoso, contoso.to_lowercase());
}

#[tokio::test]
async fn an_upper_cased_tenant_in_the_answer_is_the_same_tenant_stored_lower_case() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let contoso = tenant_id(&app, "Contoso").await;
    let attempt = app.start_setup(&a.token).await;
    let (_, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
    let shouted = location.unwrap().replace(&contoso, &contoso.to_uppercase());
    assert_eq!(
        app.callback(&shouted, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=granted"
    );
    assert_eq!(
        app.connection(&a.token).await.tenant_id.as_deref(),
        Some(contoso.as_str())
    );
}

#[tokio::test]
async fn a_personal_microsoft_account_is_refused_at_sign_in() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let personal = app
        .client
        .get(app.url(&format!("/_microsoft/control/tenants/{PERSONAL_TENANT}")))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let user = personal["admins"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(personal["sample_users"].as_array().into_iter().flatten())
        .find_map(|u| u["upn"].as_str())
        .expect("the simulator has a personal account")
        .to_owned();

    let attempt = app.start_setup(&a.token).await;
    assert_eq!(
        app.sign_in_through(&attempt, &user).await,
        "/tenant-connection?consent=personal_account"
    );
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert!(after.tenant_id.is_none());
    let notice = after.notice.unwrap();
    assert!(
        notice
            .message
            .contains("(not a personal Microsoft account)"),
        "{notice:?}"
    );
    assert_eq!(after.steps[1].status, StepStatus::Failed);
}

#[tokio::test]
async fn cancel_at_the_microsoft_sign_in_shows_the_verify_failed_message() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let attempt = app.start_setup(&a.token).await;
    let (status, location, _) = app.answer_sign_in(&attempt, CONTOSO_ADMIN, "cancel").await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(location.contains("error=access_denied"), "{location}");
    assert_eq!(
        app.callback(&location, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=cancelled"
    );
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::NotConnected);
    assert_eq!(
        after.notice.map(|n| n.message).as_deref(),
        Some("We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.")
    );
}

#[tokio::test]
async fn a_user_of_another_directory_at_the_consent_page_gets_the_products_words() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let attempt = app.start_setup(&a.token).await;
    // Signed in as Contoso's admin, then Fabrikam's admin answers Contoso's consent page.
    let next = app.sign_in_through(&attempt, CONTOSO_ADMIN).await;
    assert!(next.contains("/v2.0/adminconsent"), "{next}");
    let (status, location, _) = app.answer_consent(&attempt, FABRIKAM_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(
        location.contains("AADSTS50020") && location.contains("admin_consent=True"),
        "{location}"
    );
    assert_eq!(
        app.callback(&location, Some(&attempt.cookie)).await,
        "/tenant-connection?consent=wrong_account"
    );
    let notice = app.connection(&a.token).await.notice.unwrap();
    assert_eq!(notice.code.as_deref(), Some("AADSTS50020"));
    assert!(
        notice
            .message
            .contains("(not a personal Microsoft account)"),
        "{notice:?}"
    );
}

#[tokio::test]
async fn a_partial_grant_is_named_by_verify_and_never_connected_until_whole() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let contoso = tenant_id(&app, "Contoso").await;
    app.grant_consent(&a.token).await;
    app.sim_assign_role(&contoso, true).await;
    // The tenant consented to an older, shorter list.
    app.sim_grant_permissions(
        &contoso,
        &[
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
        ],
    )
    .await;

    let report = app.verify(&a.token).await;
    assert_eq!(report.outcome, VerificationOutcome::Failed);
    let check = |key| report.checks.iter().find(|c| c.key == key).unwrap();
    let permissions = check(CheckKey::PermissionsGranted);
    assert!(!permissions.passed);
    assert!(
        permissions
            .detail
            .contains("Phone numbers: needs TeamsTelephoneNumber.ReadWrite.All")
            && permissions
                .detail
                .contains("Phone service state: needs TeamsUserConfiguration.Read.All")
            && !permissions.detail.contains("User.Read.All"),
        "{}",
        permissions.detail
    );
    // Each feature is proven by reading: Graph refuses the numbers without the permission,
    // although the app holds the Teams Communications Administrator role.
    assert!(check(CheckKey::UsersReadable).passed);
    let numbers = check(CheckKey::NumbersReadable);
    assert!(!numbers.passed);
    assert!(
        numbers.detail.starts_with(
            "Phone numbers: needs TeamsTelephoneNumber.ReadWrite.All; grant admin consent again"
        ),
        "{}",
        numbers.detail
    );
    assert!(!check(CheckKey::PhoneStateReadable).passed);
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::ConsentGranted);
    assert_eq!(after.steps[1].status, StepStatus::Failed);

    // Consent again: the whole list is granted, and the connection is whole.
    app.grant_consent(&a.token).await;
    assert_eq!(
        app.verify(&a.token).await.outcome,
        VerificationOutcome::Passed
    );
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );
}

#[tokio::test]
async fn the_page_lists_every_permission_with_its_purpose() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let permissions = app.connection(&a.token).await.app.permissions;
    let names: Vec<&str> = permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
            "TeamsTelephoneNumber.ReadWrite.All",
            "TeamsUserConfiguration.Read.All",
            "TeamsPolicyUserAssign.ReadWrite.All"
        ]
    );
    assert_eq!(
        permissions[1].purpose,
        "the ability to read and change teams' settings"
    );
}

#[tokio::test]
async fn an_oversized_or_garbled_redirect_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let attempt = app.start_setup(&a.token).await;
    let state = attempt.state();
    let huge = "x".repeat(10_000);
    for path in ["sign-in-callback", "consent-callback"] {
        let url = app.url(&format!(
            "/api/v1/tenant-connection/{path}?error=server_error&error_description={huge}&state={state}"
        ));
        assert_eq!(
            app.callback(&url, Some(&attempt.cookie)).await,
            "/tenant-connection?consent=rejected"
        );
    }
    // The attempt is still usable: a genuine sign-in goes on to consent.
    let after = app.connection(&a.token).await;
    assert_eq!(after.state, ConnectionState::ConsentPending);
    assert!(after.notice.is_none());
    let next = app.sign_in_through(&attempt, CONTOSO_ADMIN).await;
    assert!(next.contains("/v2.0/adminconsent"), "{next}");
}
