//! Billing, the audit log and webhooks in a real browser: two users get phone service, the
//! Billing page draws them per day, totals and lists them and downloads them as CSV; the audit
//! log lists their events newest first and narrows to a type; an admin adds a webhook endpoint
//! and sees its secret once.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use super::{
    browser_support::{
        assert_no_csp_violations, attrs_of, browser, browser_with_downloads, fill, save_screenshot,
        sign_in, start_chromedriver, text_of, wait_attr, wait_download, wait_text,
    },
    common::{start_demo_server, start_demo_server_with, Server},
    telephony::{add_phone_users, connect},
    tenant_connection::click,
};

/// Loads numbers, syncs the users and gives each of `upns` phone service, through the pages.
async fn give_phone_service(client: &Client, server: &Server, upns: &[String]) {
    client
        .goto(&format!("{}/numbers", server.base_url))
        .await
        .unwrap();
    fill(client, "#load-start", "+14255550100").await;
    fill(client, "#load-count", "10").await;
    click(client, "#load-numbers-submit").await;
    wait_attr(client, "#load-result", "data-loaded", "10").await;

    client
        .goto(&format!("{}/users", server.base_url))
        .await
        .unwrap();
    wait_text(client, "#last-synced", "Never synced").await;
    click(client, "#sync-now").await;
    wait_text(client, "#last-synced", "Last synced").await;
    for upn in upns {
        fill(client, "#user-search", upn).await;
        let row = format!("tr[data-user-upn=\"{upn}\"]");
        // Adding service previews the change first; Apply makes it.
        click(client, &format!("{row} .add-service")).await;
        click(
            client,
            &format!("{row} + tr.service-preview-row .apply-service"),
        )
        .await;
        wait_attr(
            client,
            &format!("{row} .service-state"),
            "data-state",
            "active",
        )
        .await;
    }
}

/// Today in UTC as the browser sees it: (`YYYY-MM`, day of the month).
async fn browser_today(client: &Client) -> (String, usize) {
    let iso = client
        .execute("return new Date().toISOString().slice(0, 10);", vec![])
        .await
        .unwrap();
    let iso = iso.as_str().unwrap().to_owned();
    (iso[..7].to_owned(), iso[8..10].parse().unwrap())
}

/// Clicks an element after bringing it to the middle of the window, clear of the sticky top
/// bar.
async fn click_centred(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
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

/// Scrolls an element to the top of the window (for a screenshot of it).
async fn scroll_to(client: &Client, css: &str) {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView();",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

/// Waits until the input's current value is `expected`.
async fn wait_value(client: &Client, css: &str, expected: &str) {
    let mut last = None;
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            last = element.prop("value").await.unwrap_or_default();
            if last.as_deref() == Some(expected) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never held {expected:?}; last {last:?}");
}

/// Waits until `css` matches exactly `count` elements; their `attr` values.
async fn wait_count(client: &Client, css: &str, attr: &str, count: usize) -> Vec<String> {
    let mut last = Vec::new();
    for _ in 0..100 {
        last = attrs_of(client, css, attr).await;
        if last.len() == count {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{css} matched {} elements, not {count}: {last:?}",
        last.len()
    );
}

#[tokio::test]
async fn billing_charts_totals_lists_and_downloads_the_users_and_the_audit_log_lists_their_events()
{
    let server = start_demo_server_with(&["--operation-poll-ms", "100"]).await;
    let downloads = tempfile::tempdir().unwrap();
    let driver = start_chromedriver().await;
    let client = browser_with_downloads(&driver, downloads.path()).await;
    connect(&client, &server).await;
    let upns = add_phone_users(&server, "billing.user", 2).await;
    give_phone_service(&client, &server, &upns).await;

    // Billing: this month, from the navigation.
    click(&client, "#nav-billing").await;
    let (month, today) = browser_today(&client).await;
    wait_attr(&client, "#billing-report", "data-loaded", "true").await;
    wait_value(&client, "#billing-month", &month).await;
    // The chart: one bar per day so far; today's holds both users.
    let dates = wait_count(&client, "#billing-chart rect.day-bar", "data-date", today).await;
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    let today_bar = format!(
        "#billing-chart rect.day-bar[data-date=\"{}\"]",
        dates.last().unwrap()
    );
    wait_attr(&client, &today_bar, "data-count", "2").await;
    // The totals.
    wait_attr(&client, "#total-users-with-service", "data-value", "2").await;
    wait_attr(&client, "#total-billable-users", "data-value", "2").await;
    wait_attr(&client, "#total-peak", "data-value", "2").await;
    // The per-user table.
    let listed = attrs_of(&client, "#billing-users-table tr.billing-user", "data-upn").await;
    for upn in &upns {
        assert!(listed.contains(upn), "{upn} not in {listed:?}");
        let days = text_of(
            &client,
            &format!("tr.billing-user[data-upn=\"{upn}\"] .billable-days"),
        )
        .await;
        assert_eq!(days.trim(), "1");
        let numbers = text_of(
            &client,
            &format!("tr.billing-user[data-upn=\"{upn}\"] .interval .e164"),
        )
        .await;
        assert!(numbers.starts_with("+1425555"), "{numbers}");
    }
    wait_text(&client, "#teams-checked-at", "As of the last user sync at").await;
    save_screenshot(&client, "billing").await;
    scroll_to(&client, "#billing-chart").await;
    save_screenshot(&client, "billing-chart").await;
    scroll_to(&client, "#billing-users-table").await;
    save_screenshot(&client, "billing-users").await;
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();

    // The CSV, as the browser saves it.
    click_centred(&client, "#billing-download-csv").await;
    let name = format!("usage-{month}.csv");
    wait_attr(&client, "#billing-download-status", "data-file", &name).await;
    let csv = wait_download(downloads.path(), &name).await;
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with(r#""month","user_id","user_principal_name""#),
        "{csv}"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    for upn in &upns {
        assert!(
            rows.iter().any(|row| row.contains(upn.as_str())),
            "{upn}: {csv}"
        );
    }

    // The previous month had no service yet.
    click_centred(&client, "#billing-previous-month").await;
    wait_attr(&client, "#billing-report", "data-loaded", "true").await;
    wait_attr(&client, "#total-users-with-service", "data-value", "0").await;
    text_of(&client, "#billing-users-empty").await;

    // The audit log: newest first, narrowed to the phone-service events.
    click(&client, "#nav-audit").await;
    text_of(&client, "#audit-table").await;
    let times = attrs_of(&client, "#audit-table tr.audit-event", "data-occurred-at").await;
    assert!(times.len() > 2, "{times:?}");
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {times:?}"
    );
    let kinds = attrs_of(&client, "#audit-table tr.audit-event", "data-type").await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.as_str() == "phone_service.enabled")
            .count(),
        2,
        "{kinds:?}"
    );
    client
        .find(Locator::Css("#audit-type"))
        .await
        .unwrap()
        .select_by_value("phone_service.enabled")
        .await
        .unwrap();
    let kinds = wait_count(&client, "#audit-table tr.audit-event", "data-type", 2).await;
    assert!(
        kinds.iter().all(|k| k == "phone_service.enabled"),
        "{kinds:?}"
    );
    // Newest first: the second user got service last.
    let first = text_of(&client, "#audit-table tr.audit-event .event-summary").await;
    assert!(first.contains(upns[1].as_str()), "{first}");
    // The user column names the user (the log holds the object id).
    wait_text(&client, "#audit-table tr.audit-event .event-user", &upns[1]).await;
    save_screenshot(&client, "audit-log").await;

    // The pages drew their chart and tables within the app's Content-Security-Policy.
    assert_no_csp_violations(&driver, &client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_admin_adds_a_webhook_endpoint_sees_its_secret_once_and_removes_it() {
    let server = start_demo_server().await;
    let driver = start_chromedriver().await;
    let client = browser(&driver).await;
    sign_in(
        &client,
        &server.base_url,
        "admin@contoso.example",
        "demo-password",
    )
    .await;
    text_of(&client, "#account-name").await;
    click_centred(&client, "#nav-webhooks").await;
    text_of(&client, "#webhook-form").await;

    let receiver = format!("{}/_demo/webhook-receiver", server.base_url);
    // The demo server's own receiver, filled in with one click.
    click_centred(&client, "#webhook-use-demo-receiver").await;
    let link = client
        .find(Locator::Css("#webhook-demo-receiver-link"))
        .await
        .unwrap();
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(receiver.as_str())
    );
    wait_value(&client, "#webhook-url", &receiver).await;
    fill(&client, "#webhook-description", "Demo receiver").await;
    click_centred(&client, "#webhook-submit").await;

    let secret = text_of(&client, "#webhook-secret-value").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let row = format!("tr.webhook-endpoint[data-url=\"{receiver}\"]");
    wait_attr(&client, &row, "data-enabled", "true").await;
    save_screenshot(&client, "webhooks-created").await;

    // A new secret replaces the old one, shown once as well.
    click_centred(&client, "#webhook-secret .dismiss-secret").await;
    click_centred(&client, &format!("{row} .rotate-secret")).await;
    let rotated = text_of(&client, "#webhook-secret-value").await;
    assert!(
        rotated.starts_with("whsec_") && rotated != secret,
        "{rotated}"
    );
    click_centred(&client, "#webhook-secret .dismiss-secret").await;

    // Disabled, then shown again after a reload: the secret is not.
    click_centred(&client, &format!("{row} .toggle-endpoint")).await;
    wait_attr(&client, &row, "data-enabled", "false").await;
    client.refresh().await.unwrap();
    wait_attr(&client, &row, "data-enabled", "false").await;
    assert!(client.find(Locator::Css("#webhook-secret")).await.is_err());
    text_of(&client, "#webhook-deliveries").await;

    // Deleted after a confirmation.
    click_centred(&client, &format!("{row} .delete-endpoint")).await;
    click_centred(&client, &format!("{row} .confirm-delete")).await;
    text_of(&client, "#webhook-endpoints-empty").await;

    assert_no_csp_violations(&driver, &client).await;
    client.close().await.unwrap();
}
