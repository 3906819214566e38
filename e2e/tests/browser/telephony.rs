//! Phone service in a real browser, as a customer's admin uses it: connect the tenant, load
//! numbers, sync users, add service with an auto-selected number, then bulk-provision 20 users.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use super::{
    browser_support::{
        assert_no_csp_violations, browser, save_screenshot, start_chromedriver, text_of, wait_text,
    },
    common::{start_demo_server_with, Server},
    tenant_connection::{
        assign_role, click, consent, contoso_tenant_id, control, open_page, CONTOSO_ADMIN,
    },
};

/// Waits until the element's attribute has `expected`.
async fn wait_attr(client: &Client, css: &str, attr: &str, expected: &str) {
    let mut last = None;
    for _ in 0..300 {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.attr(attr).await.unwrap_or_default();
            if last.as_deref() == Some(expected) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}[{attr}] never became {expected:?}; last {last:?}");
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Connects Contoso through the Tenant Connection page (consent in the browser; the role
/// assigned through the simulator, as tested in full elsewhere).
pub(crate) async fn connect(client: &Client, server: &Server) {
    open_page(client, server).await;
    consent(client, CONTOSO_ADMIN, "#accept").await;
    wait_text(client, "#notice", "Admin consent granted").await;
    assign_role(server, true).await;
    click(client, "#verify-setup").await;
    wait_text(client, "#connection-state", "Connected").await;
}

/// Adds licensed US users to the simulated tenant; their UPNs.
pub(crate) async fn add_phone_users(server: &Server, prefix: &str, count: usize) -> Vec<String> {
    let tenant = contoso_tenant_id(server).await;
    let tenants = control(server, reqwest::Method::GET, "tenants", Value::Null).await;
    let domain = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tenant.as_str())
        .unwrap()["domain"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut upns = Vec::new();
    for i in 0..count {
        let upn = format!("{prefix}{i:02}@{domain}");
        control(
            server,
            reqwest::Method::POST,
            &format!("tenants/{tenant}/users"),
            json!({
                "userPrincipalName": upn,
                "displayName": format!("Zz {prefix} {i:02}"),
                "usageLocation": "US",
                "teamsPhoneLicense": true,
            }),
        )
        .await;
        upns.push(upn);
    }
    upns
}

#[tokio::test]
async fn an_admin_syncs_users_adds_service_with_an_auto_selected_number_and_bulk_provisions() {
    let server = start_demo_server_with(&["--operation-poll-ms", "100"]).await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    connect(&client, &server).await;
    let single = add_phone_users(&server, "phone.single", 1).await.remove(0);
    let bulk = add_phone_users(&server, "phone.bulk", 20).await;

    // Numbers: an admin loads a block of 40 US numbers.
    client
        .goto(&format!("{}/numbers", server.base_url))
        .await
        .unwrap();
    fill(&client, "#load-start", "+14255550100").await;
    fill(&client, "#load-count", "40").await;
    fill(&client, "#load-label", "Seattle").await;
    click(&client, "#load-numbers-submit").await;
    wait_attr(&client, "#load-result", "data-loaded", "40").await;

    // Users: sync, then find the new user.
    client
        .goto(&format!("{}/users", server.base_url))
        .await
        .unwrap();
    wait_text(&client, "#last-synced", "Never synced").await;
    click(&client, "#sync-now").await;
    wait_text(&client, "#last-synced", "Last synced").await;
    fill(&client, "#user-search", &single).await;
    let row = format!("tr[data-user-upn=\"{single}\"]");
    click(&client, &format!("{row} .add-service")).await;
    // The preview names the number auto-select would pick; Apply gives it.
    let previewed = text_of(
        &client,
        &format!("{row} + tr.service-preview-row .preview-number"),
    )
    .await;
    assert!(previewed.starts_with("+1425555"), "{previewed}");
    click(
        &client,
        &format!("{row} + tr.service-preview-row .apply-service"),
    )
    .await;
    wait_attr(
        &client,
        &format!("{row} .service-state"),
        "data-state",
        "active",
    )
    .await;
    let number = text_of(&client, &format!("{row} .number")).await;
    assert!(number.starts_with("+1425555"), "{number}");
    save_screenshot(&client, "users-service-added").await;

    // The Numbers page shows it assigned.
    client
        .goto(&format!("{}/numbers", server.base_url))
        .await
        .unwrap();
    wait_attr(
        &client,
        &format!("tr[data-number=\"{}\"] .status", number.trim()),
        "data-status",
        "assigned",
    )
    .await;
    // The capacity bar is drawn to scale: 1 of 40 assigned, 39 available.
    wait_attr(
        &client,
        ".capacity-bar rect.segment[data-status=\"available\"]",
        "width",
        "97.500%",
    )
    .await;
    save_screenshot(&client, "numbers-capacity").await;

    // Bulk: 20 users, the progress bar reaches 100%.
    client
        .goto(&format!("{}/users", server.base_url))
        .await
        .unwrap();
    fill(&client, "#bulk-users", &bulk.join("\n")).await;
    click(&client, "#bulk-preview").await;
    wait_attr(&client, "#bulk-preview-result", "data-would-succeed", "20").await;
    click(&client, "#bulk-apply").await;
    wait_attr(&client, "#bulk-progress", "aria-valuenow", "100").await;
    // The bar is drawn full, not only labelled so.
    let drawn = client
        .execute(
            "const bar = document.querySelector('#bulk-progress'); \
             const fill = bar.querySelector('rect.progress-fill'); \
             return [fill.getBoundingClientRect().width, bar.getBoundingClientRect().width];",
            vec![],
        )
        .await
        .unwrap();
    let [fill, bar]: [f64; 2] = serde_json::from_value(drawn).unwrap();
    assert!(
        bar > 0.0 && fill >= bar * 0.99,
        "fill {fill} px of {bar} px"
    );
    let assigned = client
        .find_all(Locator::Css("#bulk-outcomes li[data-outcome=\"assigned\"]"))
        .await
        .unwrap();
    assert_eq!(assigned.len(), 20);
    save_screenshot(&client, "users-bulk-done").await;
    // Both pages drew their charts and bars within the app's Content-Security-Policy.
    assert_no_csp_violations(&driver, &client).await;
    client.close().await.unwrap();
}
