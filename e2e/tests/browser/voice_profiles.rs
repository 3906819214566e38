//! Voice profiles in a real browser (issue 17): an admin makes a profile (voice routing policy,
//! dial plan, emergency location) and sees Teams refuse a name it does not have; staff preview a
//! 20-user bulk with it, see the unlicensed and the wrong-country user refused, apply it and see
//! each user's number, location and policies as Teams reports them; an admin rolls the bulk
//! back and Teams shows neither numbers nor policies for those users.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use super::{
    browser_support::{
        assert_no_csp_violations, browser, fill, save_screenshot, sign_in, start_chromedriver,
        text_of, wait_attr, wait_text,
    },
    common::{start_demo_server_with, Server},
    telephony::{add_phone_users, connect},
    tenant_connection::{click, contoso_tenant_id, control},
};

const PROFILE: &str = "US Direct Routing";

/// Adds one more user to the simulated tenant; its UPN.
async fn add_user(
    server: &Server,
    tenant: &str,
    local: &str,
    country: &str,
    licensed: bool,
) -> String {
    let domain = {
        let tenants = control(server, reqwest::Method::GET, "tenants", Value::Null).await;
        tenants
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == tenant)
            .unwrap()["domain"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let upn = format!("{local}@{domain}");
    control(
        server,
        reqwest::Method::POST,
        &format!("tenants/{tenant}/users"),
        json!({
            "userPrincipalName": upn,
            "displayName": format!("Zz {local}"),
            "usageLocation": country,
            "teamsPhoneLicense": licensed,
        }),
    )
    .await;
    upn
}

/// The id of the tenant's LIS location with this description (seeded by the simulator).
async fn location_id(server: &Server, tenant: &str, description: &str) -> String {
    let locations = control(
        server,
        reqwest::Method::GET,
        &format!("tenants/{tenant}/locations"),
        Value::Null,
    )
    .await;
    locations
        .as_array()
        .unwrap_or_else(|| panic!("no locations: {locations}"))
        .iter()
        .find(|l| l["description"] == description)
        .unwrap_or_else(|| panic!("no location {description}: {locations}"))["locationId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Clicks an element after bringing it to the middle of the window, clear of the sticky top
/// bar.
async fn click_centred(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(css)],
        )
        .await
        .unwrap();
    click(client, css).await;
}

/// Chooses an option of a `<select>` by its value.
async fn choose(client: &Client, css: &str, value: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn sign_in_as(client: &Client, server: &Server, email: &str) {
    if client.find(Locator::Css("#sign-out")).await.is_ok() {
        click(client, "#sign-out").await;
        text_of(client, "#sign-in").await;
    }
    sign_in(client, &server.base_url, email, "demo-password").await;
    text_of(client, "#account-name").await;
}

/// The admin's profile, made on the Voice profiles page: first with a routing policy Teams
/// does not have (refused, named), then with the right one.
async fn make_profile(client: &Client, location: &str) {
    click(client, "#nav-voice-profiles").await;
    click(client, "#new-voice-profile").await;
    fill(client, "#profile-name", PROFILE).await;
    choose(client, "#profile-source-kind", "country").await;
    fill(client, "#profile-source-country", "US").await;
    choose(
        client,
        "#profile-policy-OnlineVoiceRoutingPolicy",
        "__other",
    )
    .await;
    fill(
        client,
        "#profile-policy-OnlineVoiceRoutingPolicy-name",
        "US-Rout",
    )
    .await;
    choose(client, "#profile-policy-TenantDialPlan", "__other").await;
    fill(client, "#profile-policy-TenantDialPlan-name", "US-DialPlan").await;
    choose(client, "#profile-location", "__other").await;
    fill(client, "#profile-location-id", location).await;
    fill(client, "#profile-location-label", "Seattle HQ").await;
    click_centred(client, "#profile-default").await;
    click_centred(client, "#voice-profile-save").await;
    let refused = wait_text(
        client,
        "#voice-profile-form-error",
        "Teams has no OnlineVoiceRoutingPolicy named 'US-Rout'",
    )
    .await;
    assert!(!refused.contains('{'), "raw JSON shown: {refused}");
    save_screenshot(client, "voice-profile-refused").await;

    fill(
        client,
        "#profile-policy-OnlineVoiceRoutingPolicy-name",
        "US-Route",
    )
    .await;
    click_centred(client, "#voice-profile-save").await;
    let row = format!("tr.voice-profile[data-name=\"{PROFILE}\"]");
    wait_attr(client, &row, "data-default", "true").await;
    let policies = text_of(client, &format!("{row} .profile-policies")).await;
    assert!(policies.contains("US-Route"), "{policies}");
    assert!(policies.contains("US-DialPlan"), "{policies}");
    let source = text_of(client, &format!("{row} .profile-source")).await;
    assert!(source.contains("US"), "{source}");
    let location_cell = text_of(client, &format!("{row} .profile-location")).await;
    assert!(location_cell.contains("Seattle HQ"), "{location_cell}");
    assert!(location_cell.contains(location), "{location_cell}");
    save_screenshot(client, "voice-profiles").await;
}

/// Waits until the part of a user's service shows `state`; the text Teams reports for it.
async fn part(client: &Client, row: &str, part: &str, state: &str) -> String {
    let css = format!("{row} + tr.service-parts-row li.service-part{part}");
    wait_attr(client, &css, "data-state", state).await;
    text_of(client, &format!("{css} .part-reported")).await
}

#[tokio::test]
async fn staff_preview_and_apply_a_bulk_with_a_voice_profile_and_an_admin_rolls_it_back() {
    let server = start_demo_server_with(&["--operation-poll-ms", "100"]).await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    connect(&client, &server).await;
    let tenant = contoso_tenant_id(&server).await;

    // 18 licensed US users, one without a Teams Phone licence, one in Germany (the numbers
    // are American: Teams refuses a number of another country than the usage location).
    let mut users = add_phone_users(&server, "voice.bulk", 18).await;
    let unlicensed = add_user(&server, &tenant, "voice.bulk.unlicensed", "US", false).await;
    let german = add_user(&server, &tenant, "voice.bulk.german", "DE", true).await;
    users.push(unlicensed.clone());
    users.push(german.clone());
    let seattle = location_id(&server, &tenant, "Seattle HQ").await;

    // The admin loads 30 US numbers and makes the profile (the account's default).
    client
        .goto(&format!("{}/numbers", server.base_url))
        .await
        .unwrap();
    fill(&client, "#load-start", "+14255550100").await;
    fill(&client, "#load-count", "30").await;
    click(&client, "#load-numbers-submit").await;
    wait_attr(&client, "#load-result", "data-loaded", "30").await;
    make_profile(&client, &seattle).await;

    // Staff sync the users and preview the bulk with the profile, preselected as the default.
    sign_in_as(&client, &server, "staff@contoso.example").await;
    client
        .goto(&format!("{}/users", server.base_url))
        .await
        .unwrap();
    click_centred(&client, "#sync-now").await;
    wait_text(&client, "#last-synced", "Last synced").await;
    let chosen = text_of(&client, "#bulk-profile option:checked").await;
    assert!(chosen.starts_with(PROFILE), "{chosen}");
    fill(&client, "#bulk-users", &users.join("\n")).await;
    click_centred(&client, "#bulk-preview").await;
    wait_attr(&client, "#bulk-preview-result", "data-would-succeed", "18").await;
    wait_attr(&client, "#bulk-preview-result", "data-would-fail", "2").await;
    // Each refusal says why, in words.
    for (refused, why) in [(&unlicensed, "licence"), (&german, "DE")] {
        let row = format!("#bulk-preview-rows li[data-user=\"{refused}\"]");
        wait_attr(&client, &row, "data-would-succeed", "false").await;
        let problems = text_of(&client, &format!("{row} .preview-problem")).await;
        assert!(problems.contains(why), "{refused}: {problems}");
    }
    let numbers = client
        .find_all(Locator::Css(
            "#bulk-preview-rows li[data-would-succeed=\"true\"] .preview-number",
        ))
        .await
        .unwrap();
    assert_eq!(numbers.len(), 18);
    save_screenshot(&client, "bulk-preview").await;

    // Apply: the 18 who would succeed.
    assert_eq!(text_of(&client, "#bulk-apply").await, "Apply to 18 users");
    click_centred(&client, "#bulk-apply").await;
    wait_attr(&client, "#bulk-progress", "aria-valuenow", "100").await;
    let assigned = client
        .find_all(Locator::Css("#bulk-outcomes li[data-outcome=\"assigned\"]"))
        .await
        .unwrap();
    assert_eq!(assigned.len(), 18);
    // The pasted list stays, for the next run.
    let kept = client
        .find(Locator::Css("#bulk-users"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(kept.contains(&german), "the list was cleared: {kept:?}");
    // Rolling back is for admins.
    assert!(client.find(Locator::Css("#bulk-rollback")).await.is_err());
    let bulk_page = client.current_url().await.unwrap().to_string();
    assert!(bulk_page.contains("bulk="), "{bulk_page}");

    // Each user's number, location and policies, as Teams reports them.
    fill(&client, "#user-search", "voice.bulk").await;
    let mut ids = Vec::new();
    for upn in &users[..18] {
        let row = format!("tr[data-user-upn=\"{upn}\"]");
        wait_attr(
            &client,
            &format!("{row} .service-state"),
            "data-state",
            "active",
        )
        .await;
        ids.push(
            client
                .find(Locator::Css(&row))
                .await
                .unwrap()
                .attr("data-user-id")
                .await
                .unwrap()
                .unwrap(),
        );
        let number = text_of(&client, &format!("{row} .number")).await;
        assert!(number.starts_with("+1425555"), "{upn}: {number}");
        click_centred(&client, &format!("{row} .toggle-parts")).await;
        let reported = part(&client, &row, "[data-kind=\"number\"]", "in_effect").await;
        assert!(reported.contains(number.trim()), "{upn}: {reported}");
        let reported = part(
            &client,
            &row,
            "[data-kind=\"emergency_location\"]",
            "in_effect",
        )
        .await;
        assert!(reported.contains(&seattle), "{upn}: {reported}");
        for (policy_type, name) in [
            ("OnlineVoiceRoutingPolicy", "US-Route"),
            ("TenantDialPlan", "US-DialPlan"),
        ] {
            let reported = part(
                &client,
                &row,
                &format!("[data-policy-type=\"{policy_type}\"]"),
                "in_effect",
            )
            .await;
            assert!(reported.contains(name), "{upn} {policy_type}: {reported}");
        }
    }
    for refused in [&unlicensed, &german] {
        let row = format!("tr[data-user-upn=\"{refused}\"]");
        wait_attr(
            &client,
            &format!("{row} .service-state"),
            "data-state",
            "none",
        )
        .await;
    }
    save_screenshot(&client, "bulk-service-parts").await;

    // An admin opens the bulk from its address and rolls it back.
    sign_in_as(&client, &server, "admin@contoso.example").await;
    client.goto(&bulk_page).await.unwrap();
    wait_attr(&client, "#bulk-progress", "aria-valuenow", "100").await;
    click_centred(&client, "#bulk-rollback").await;
    click_centred(&client, "#bulk-rollback-confirm").await;
    wait_attr(&client, "#rollback-progress", "aria-valuenow", "100").await;
    let removed = client
        .find_all(Locator::Css(
            "#rollback-outcomes li[data-outcome=\"removed\"]",
        ))
        .await
        .unwrap();
    assert_eq!(removed.len(), 18);
    save_screenshot(&client, "bulk-rolled-back").await;

    // The users have no service left. A sync reads Teams again: it shows no number for them
    // (the number column would show it as "(in Teams)"), and no policy.
    click_centred(&client, "#sync-now").await;
    wait_attr(&client, "#sync-progress", "aria-valuenow", "100").await;
    fill(&client, "#user-search", "voice.bulk").await;
    for (upn, id) in users[..18].iter().zip(&ids) {
        let row = format!("tr[data-user-upn=\"{upn}\"]");
        wait_attr(
            &client,
            &format!("{row} .service-state"),
            "data-state",
            "none",
        )
        .await;
        assert_eq!(
            text_of(&client, &format!("{row} .number")).await,
            "—",
            "{upn}"
        );
        assert!(
            client
                .find(Locator::Css(&format!("{row} .toggle-parts")))
                .await
                .is_err(),
            "{upn} still shows parts of a service"
        );
        let policies = control(
            &server,
            reqwest::Method::GET,
            &format!("tenants/{tenant}/users/{id}/policies"),
            Value::Null,
        )
        .await;
        assert_eq!(policies, json!([]), "{upn} keeps policies in Teams");
    }
    assert_no_csp_violations(&driver, &client).await;
    client.close().await.unwrap();
}
