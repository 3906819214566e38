//! The Tenant Connection page in a real browser, through the simulator's own Microsoft pages.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use super::{
    browser_support::{browser, save_screenshot, sign_in, start_chromedriver, text_of, wait_text},
    common::{start_demo_server, start_demo_server_with, Server},
};

const VERIFY_FAILED: &str = "We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.";
pub(crate) const CONTOSO_ADMIN: &str = "admin@contoso.onmicrosoft.com";

pub(crate) async fn open_page(client: &Client, server: &Server) {
    sign_in(
        client,
        &server.base_url,
        "admin@contoso.example",
        "demo-password",
    )
    .await;
    text_of(client, "#account-name").await;
    client
        .goto(&format!("{}/tenant-connection", server.base_url))
        .await
        .unwrap();
    text_of(client, "#setup-connection").await;
}

/// Step 2 at "Microsoft", as a person does it: pick the directory user on the sign-in page,
/// then, on the consent page that knows who signed in, Accept or Cancel.
pub(crate) async fn consent(client: &Client, user: &str, button: &str) {
    client
        .find(Locator::Css("#setup-connection"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let select = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("select#user"))
        .await
        .unwrap();
    select.select_by_value(user).await.unwrap();
    client
        .find(Locator::Css("#accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Single sign-on: the consent page names the person and asks for nothing else.
    wait_text(client, "#signed-in", user).await;
    assert!(
        client.find(Locator::Css("select#user")).await.is_err(),
        "the consent page asks again who is signing in"
    );
    click(client, button).await;
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub(crate) async fn control(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let response = reqwest::Client::new()
        .request(
            method,
            format!("{}/_microsoft/control/{path}", server.base_url),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

pub(crate) async fn contoso_tenant_id(server: &Server) -> String {
    let tenants = control(server, reqwest::Method::GET, "tenants", Value::Null).await;
    tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Contoso")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn assign_role(server: &Server, assigned: bool) {
    let tenant = contoso_tenant_id(server).await;
    control(
        server,
        reqwest::Method::PUT,
        &format!("tenants/{tenant}/directory-role"),
        json!({"assigned": assigned}),
    )
    .await;
}

#[tokio::test]
async fn the_happy_path_through_all_four_steps_ends_connected() {
    let server = start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    open_page(&client, &server).await;
    assert_eq!(
        text_of(&client, "#setup-connection").await,
        "Set Up Tenant Connection"
    );

    consent(&client, CONTOSO_ADMIN, "#accept").await;
    wait_text(&client, "#notice", "Admin consent granted").await;
    let display_name = text_of(&client, "#app-display-name").await;
    // "What is happening?" names every permission the app is granted.
    let permissions = text_of(&client, "#app-permissions").await;
    for name in [
        "CrossTenantInformation.ReadBasic.All: the ability to read cross-tenant basic information",
        "TeamSettings.ReadWrite.All: the ability to read and change teams' settings",
        "User.Read.All",
        "TeamsTelephoneNumber.ReadWrite.All",
        "TeamsUserConfiguration.Read.All",
    ] {
        assert!(permissions.contains(name), "{permissions}");
    }
    save_screenshot(&client, "tenant-connection-consent-granted").await;

    // Step 3 on the simulator's Entra page, as a Global Administrator would.
    let entra = client
        .find(Locator::Css("#role-assignment-link"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    client.goto(&entra).await.unwrap();
    let user = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#user"))
        .await
        .unwrap();
    user.select_by_value(CONTOSO_ADMIN).await.unwrap();
    click(&client, "#sign-in").await;
    let search = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#search"))
        .await
        .unwrap();
    search.send_keys(&display_name).await.unwrap();
    click(&client, "#search-button").await;
    // The search reloads the page: wait for the results, never an element of the old page.
    wait_text(&client, "select#principal", &display_name).await;
    save_screenshot(&client, "entra-add-assignment").await;
    click(&client, "#add-assignment").await;
    wait_text(&client, "#assignments", &display_name).await;

    client
        .goto(&format!("{}/tenant-connection", server.base_url))
        .await
        .unwrap();
    click(&client, "#verify-setup").await;
    wait_text(&client, "#connection-state", "Connected").await;
    assert_eq!(text_of(&client, "#tenant-name").await, "Contoso");
    wait_text(&client, "#connected-message", "successfully connected").await;
    let report = client
        .find(Locator::Css("#verification-report"))
        .await
        .unwrap();
    assert_eq!(
        report.attr("data-outcome").await.unwrap().as_deref(),
        Some("Passed")
    );
    save_screenshot(&client, "tenant-connection-connected").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_ordinary_user_meets_need_admin_approval_and_cancel_shows_the_verify_failed_message() {
    let server = start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    open_page(&client, &server).await;

    let tenants = control(&server, reqwest::Method::GET, "tenants", Value::Null).await;
    let contoso = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Contoso")
        .unwrap();
    let ordinary = contoso["sample_users"][0]["upn"]
        .as_str()
        .unwrap()
        .to_owned();
    consent(&client, &ordinary, "#accept").await;
    wait_text(&client, "body", "Need admin approval").await;
    save_screenshot(&client, "microsoft-need-admin-approval").await;
    click(&client, "#back-to-app").await;
    let notice = wait_text(&client, "#notice", "Need admin approval").await;
    assert!(notice.contains("who has the required rights"), "{notice}");
    save_screenshot(&client, "tenant-connection-need-admin-approval").await;

    consent(&client, CONTOSO_ADMIN, "#cancel").await;
    wait_text(&client, "#notice", VERIFY_FAILED).await;
    assert_eq!(
        client
            .find(Locator::Css("#step-2"))
            .await
            .unwrap()
            .attr("data-status")
            .await
            .unwrap()
            .as_deref(),
        Some("failed")
    );
    save_screenshot(&client, "tenant-connection-cancelled").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn verify_before_the_role_shows_what_to_assign_and_a_hang_ends_within_the_deadline() {
    let server = start_demo_server_with(&["--verify-deadline-seconds", "2"]).await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    open_page(&client, &server).await;
    consent(&client, CONTOSO_ADMIN, "#accept").await;
    wait_text(&client, "#notice", "Admin consent granted").await;

    click(&client, "#verify-setup").await;
    let failed = wait_text(
        &client,
        "#verification-report .check.failed",
        "Teams Communications Administrator",
    )
    .await;
    assert!(
        failed.contains("Roles & admins") && failed.contains("Add assignment"),
        "{failed}"
    );
    save_screenshot(&client, "tenant-connection-missing-role").await;

    control(
        &server,
        reqwest::Method::PUT,
        "faults",
        json!({"endpoint": "token", "hang": true, "count": 3}),
    )
    .await;
    let started = std::time::Instant::now();
    click(&client, "#verify-setup").await;
    wait_text(&client, "#notice", VERIFY_FAILED).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    save_screenshot(&client, "tenant-connection-verify-timed-out").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_legacy_connection_is_updated_and_a_removed_role_is_noticed_by_the_health_check() {
    let server = start_demo_server().await;
    let tenant = contoso_tenant_id(&server).await;
    let db = server.state.db.clone();
    let legacy_tenant = tenant.clone();
    db.run(move |conn| {
        let account =
            tenant_connect::db::accounts::find_by_name(conn, "Contoso Telephony")?.unwrap();
        let account = tenant_connect::domain::ids::AccountId::parse(&account.id).unwrap();
        let legacy_tenant = tenant_connect::domain::ids::TenantId::parse(&legacy_tenant).unwrap();
        tenant_connect::domain::tenant_connection::mark_legacy(
            conn,
            &account,
            &legacy_tenant,
            Some("Contoso"),
            "teams-admin@contoso.onmicrosoft.com",
        )
    })
    .await
    .unwrap();

    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    open_page(&client, &server).await;
    assert_eq!(
        text_of(&client, "#setup-connection").await,
        "Update Your Connection"
    );
    save_screenshot(&client, "tenant-connection-legacy").await;
    consent(&client, CONTOSO_ADMIN, "#accept").await;
    wait_text(&client, "#notice", "Admin consent granted").await;
    assign_role(&server, true).await;
    click(&client, "#verify-setup").await;
    wait_text(&client, "#connection-state", "Connected").await;
    let history = text_of(&client, "#connection-history").await;
    assert!(
        history.contains("Removed the legacy connection"),
        "{history}"
    );

    // The role is removed in Entra ID; the next health check notices.
    assign_role(&server, false).await;
    server
        .state
        .connections
        .make_health_checks_due()
        .await
        .unwrap();
    server.state.connections.run_health_checks().await.unwrap();
    client.refresh().await.unwrap();
    wait_text(&client, "#connection-state", "Needs attention").await;
    let notice = wait_text(&client, "#notice", "needs attention").await;
    assert!(notice.contains("Add assignment"), "{notice}");
    save_screenshot(&client, "tenant-connection-needs-attention").await;
    client.close().await.unwrap();
}
