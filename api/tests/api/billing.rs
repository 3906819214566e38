//! Billing: the month's report from the ledger, recounted here independently; past months
//! recompute to the same answer; the rule; CSV; discrepancies with Teams; bad input.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use reqwest::{header, StatusCode};
use serde_json::json;
use shared::{
    audit::AuditEvent,
    billing::{BillingRule, BillingSettings, DiscrepancyKind, UsageReport},
    directory::ServiceState,
};
use tenant_connect::db::{ledger::LedgerEvent, schema::ledger_events};

use crate::{
    helpers::{assert_problem, TestApp},
    telephony_support::{licensed_users, Connected},
};

async fn report(app: &TestApp, token: &str, month: &str) -> UsageReport {
    app.json_ok(&format!("/api/v1/billing/usage?month={month}"), token)
        .await
}

fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

/// Gives `count` licensed users service and waits until Teams assigned each.
async fn enable(t: &Connected, count: usize) -> Vec<(String, String)> {
    let (app, token) = (&t.app, t.token());
    let mut enabled = Vec::new();
    for user in licensed_users(app, token, Some("US"), count).await {
        let response = app.put_service(token, &user.id, None, None).await;
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
        let settled = app.settled_user(token, &user.id).await;
        assert_eq!(settled.service.state, ServiceState::Active, "{settled:?}");
        enabled.push((user.id.clone(), settled.service.number.unwrap()));
    }
    enabled
}

async fn connected_with_numbers() -> Connected {
    let t = Connected::new(&[]).await;
    t.app.load_range(t.token(), "+14255550100", 20).await;
    t
}

#[tokio::test]
async fn the_month_bills_the_users_enabled_in_it_as_the_audit_log_recounts() {
    let t = connected_with_numbers().await;
    let (app, token) = (&t.app, t.token());
    let enabled = enable(&t, 3).await;
    // One loses service again: still billed for today.
    let gone = &enabled[2].0;
    assert!(app.delete_service(token, gone).await.status().is_success());
    app.settled_user(token, gone).await;

    let month = this_month();
    let got = report(app, token, &month).await;
    assert_eq!(got.month, month);
    assert_eq!(got.rule, BillingRule::AnyDay);
    assert!(!got.complete, "the month is running");
    let today = Utc::now().date_naive();
    assert_eq!(got.daily.len(), today.day() as usize);

    // The recount: the audit log's phone-service events of this month, walked by hand.
    let events: Vec<AuditEvent> = app.all_pages("/api/v1/audit-events?limit=500", token).await;
    let mut enabled_this_month: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "phone_service.enabled")
        .filter(|e| e.occurred_at.format("%Y-%m").to_string() == month)
        .map(|e| e.user_id.as_deref().unwrap())
        .collect();
    enabled_this_month.sort_unstable();
    enabled_this_month.dedup();
    assert_eq!(enabled_this_month.len(), 3);
    assert_eq!(got.totals.users_with_service, 3);
    assert_eq!(got.totals.billable_users, 3.0);
    // Everyone was enabled today: one day each.
    assert_eq!(got.totals.user_days, 3);
    assert_eq!(got.daily.last().unwrap().enabled_users, 3);
    assert_eq!(got.totals.peak_concurrent, 3);
    let mut billed: Vec<&str> = got.users.iter().map(|u| u.user_id.as_str()).collect();
    billed.sort_unstable();
    assert_eq!(billed, enabled_this_month);
    for user in &got.users {
        assert_eq!(user.billable_days, 1);
        let number = &enabled
            .iter()
            .find(|(id, _)| *id == user.user_id)
            .unwrap()
            .1;
        assert_eq!(&user.intervals[0].number, number);
        assert!(
            user.user_principal_name.is_some(),
            "named from the directory"
        );
        // Only the removed user's interval has ended.
        assert_eq!(user.intervals[0].to.is_some(), user.user_id == *gone);
    }
    assert!(got.discrepancies.is_empty(), "{:?}", got.discrepancies);
}

/// A ledger event as the product writes it, at a time of the test's choosing.
fn event(account: &str, at: NaiveDateTime, kind: &str, user: &str, number: &str) -> LedgerEvent {
    LedgerEvent {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: tenant_connect::domain::ids::AccountId::parse(account).unwrap(),
        occurred_at: at,
        kind: kind.to_owned(),
        actor: "system".to_owned(),
        user_id: Some(user.to_owned()),
        number: Some(number.to_owned()),
        operation_id: None,
        detail: None,
        actor_name: "Test history".to_owned(),
        summary: format!("{kind} {user}"),
    }
}

fn day(month: u32, d: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, month, d)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

#[tokio::test]
async fn a_past_month_recomputes_to_the_same_report_whatever_happens_later() {
    let t = connected_with_numbers().await;
    let (app, token) = (&t.app, t.token());
    let account = t.admin.account_id.to_string();
    // September 2026 (30 days), from the ledger: a from before September to 10 Sep; b from
    // 5 Sep to 6 Sep at midnight (bills 5 Sep only); c from 20 Sep on.
    let history = vec![
        event(
            &account,
            day(8, 15, 9),
            "phone_service.enabled",
            "a",
            "+14255550101",
        ),
        event(
            &account,
            day(9, 5, 9),
            "phone_service.enabled",
            "b",
            "+14255550102",
        ),
        event(
            &account,
            day(9, 6, 0),
            "phone_service.disabled",
            "b",
            "+14255550102",
        ),
        event(
            &account,
            day(9, 10, 17),
            "phone_service.disabled",
            "a",
            "+14255550101",
        ),
        event(
            &account,
            day(9, 20, 12),
            "phone_service.enabled",
            "c",
            "+14255550103",
        ),
    ];
    app.db()
        .run(move |conn| {
            tenant_connect::db::transaction(conn, |conn| {
                for e in &history {
                    tenant_connect::db::ledger::append(conn, e)?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();

    let september = report(app, token, "2026-09").await;
    assert!(september.complete);
    assert_eq!(september.days_in_month, 30);
    let days: Vec<(&str, u32)> = september
        .users
        .iter()
        .map(|u| (u.user_id.as_str(), u.billable_days))
        .collect();
    // a: 1-10 Sep (10 days); b: 5 Sep (1); c: 20-30 Sep (11).
    assert_eq!(days, [("a", 10), ("b", 1), ("c", 11)]);
    assert_eq!(september.totals.user_days, 22);
    assert_eq!(september.totals.users_with_service, 3);
    assert_eq!(september.totals.billable_users, 3.0);
    assert_eq!(september.totals.peak_concurrent, 2);
    let daily: u32 = september.daily.iter().map(|d| d.enabled_users).sum();
    assert_eq!(daily, 22, "the days add up to the user-days");
    assert_eq!(september.daily[4].enabled_users, 2, "5 Sep: a and b");
    assert_eq!(
        september.daily[5].enabled_users, 1,
        "6 Sep: b ended at midnight"
    );
    let a = &september.users[0];
    assert_eq!(
        a.intervals[0].from.naive_utc(),
        day(9, 1, 0),
        "clipped to the month"
    );

    // Later changes do not alter September: more service, and a change of rule, which applies
    // from the running month on.
    enable(&t, 1).await;
    let put = |rule: BillingRule| async move {
        let response = app
            .request(
                reqwest::Method::PUT,
                "/api/v1/billing/settings",
                Some(token),
            )
            .json(&BillingSettings { rule })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    };
    put(BillingRule::ProRata).await;
    let again = report(app, token, "2026-09").await;
    assert_eq!(
        UsageReport {
            generated_at: september.generated_at,
            teams_checked_at: september.teams_checked_at,
            discrepancies: september.discrepancies.clone(),
            ..again
        },
        september
    );
    assert_eq!(
        report(app, token, &this_month()).await.rule,
        BillingRule::ProRata
    );
    put(BillingRule::AnyDay).await;

    // A rule in force since August bills September pro rata: 22 user-days / 30 = 0.7333…
    let changed = LedgerEvent {
        kind: "billing.rule_changed".to_owned(),
        user_id: None,
        number: None,
        detail: Some("from=any_day to=pro_rata".to_owned()),
        ..event(&account, day(8, 20, 12), "billing.rule_changed", "", "")
    };
    app.db()
        .run(move |conn| Ok(tenant_connect::db::ledger::append(conn, &changed)?))
        .await
        .unwrap();
    let pro_rata = report(app, token, "2026-09").await;
    assert_eq!(pro_rata.rule, BillingRule::ProRata);
    assert_eq!(pro_rata.totals.billable_users, 0.73);
    assert_eq!(pro_rata.totals.user_days, 22);

    // The rule changes are in the audit log, as the admin.
    let changes: Vec<AuditEvent> = app
        .all_pages("/api/v1/audit-events?type=billing.rule_changed", token)
        .await;
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].actor.name, t.admin.admin_email);
}

#[tokio::test]
async fn csv_has_a_header_row_and_a_row_per_billed_user() {
    let t = connected_with_numbers().await;
    let (app, token) = (&t.app, t.token());
    let enabled = enable(&t, 2).await;
    let response = app
        .get(
            &format!("/api/v1/billing/usage?month={}", this_month()),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/billing/usage?month={}", this_month()),
            Some(token),
        )
        .header(header::ACCEPT, "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(&format!("usage-{}.csv", this_month())));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        &header[..5],
        [
            "month",
            "user_id",
            "user_principal_name",
            "display_name",
            "billable_days"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    for (id, number) in &enabled {
        let row = rows
            .iter()
            .find(|r| &r[1] == id.as_str())
            .expect("a row per user");
        assert_eq!(&row[4], "1");
        assert_eq!(&row[8], number.as_str());
    }
}

#[tokio::test]
async fn discrepancies_name_numbers_assigned_or_removed_outside_the_portal() {
    let t = connected_with_numbers().await;
    let (app, token) = (&t.app, t.token());
    let enabled = enable(&t, 1).await;
    let (ours, ours_number) = &enabled[0];
    let outsider = &licensed_users(app, token, Some("US"), 1).await[0];
    // In Teams, out of band: one of our numbers given to someone, and ours taken away.
    app.sim_assign_number(&t.tenant, "+14255550119", &outsider.id)
        .await;
    app.sim_unassign_number(&t.tenant, ours_number).await;
    app.sync_users(token).await;

    let got = report(app, token, &this_month()).await;
    assert!(got.teams_checked_at.is_some());
    let found: Vec<(DiscrepancyKind, &str, Option<&str>)> = got
        .discrepancies
        .iter()
        .map(|d| (d.kind, d.user_id.as_str(), d.number.as_deref()))
        .collect();
    assert!(
        found.contains(&(
            DiscrepancyKind::AssignedOutsidePortal,
            outsider.id.as_str(),
            Some("+14255550119")
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            DiscrepancyKind::MissingInTeams,
            ours.as_str(),
            Some(ours_number.as_str())
        )),
        "{found:?}"
    );
    assert!(got.discrepancies.iter().all(|d| !d.reason.is_empty()));
    // Not billed for what the portal did not do.
    assert!(got.users.iter().all(|u| u.user_id != outsider.id));
}

#[tokio::test]
async fn bad_months_and_rules_are_refused_and_a_future_month_is_empty() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    for bad in ["2026-13", "2026-1", "november", "2026-11-01", "%00", ""] {
        let response = app
            .get(&format!("/api/v1/billing/usage?month={bad}"), Some(token))
            .await;
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    let response = app.get("/api/v1/billing/usage", Some(token)).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;

    let future = report(app, token, "2099-01").await;
    assert!(future.users.is_empty() && future.daily.is_empty());
    assert_eq!(future.totals.billable_users, 0.0);

    let response = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/billing/settings",
            Some(token),
        )
        .json(&json!({"rule": "monthly"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let viewer = app.token_with_role(token, "viewer").await;
    let response = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/billing/settings",
            Some(&viewer),
        )
        .json(&json!({"rule": "pro_rata"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let settings: BillingSettings = app.json_ok("/api/v1/billing/settings", token).await;
    assert_eq!(settings.rule, BillingRule::AnyDay, "nothing changed");
    // A viewer reads the report.
    report(app, &viewer, &this_month()).await;
    let events = app
        .db()
        .run(|conn| {
            Ok(ledger_events::table
                .filter(ledger_events::kind.eq("billing.rule_changed"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(events, 0);
}

#[tokio::test]
async fn another_account_sees_none_of_the_billing() {
    let t = connected_with_numbers().await;
    let (app, token) = (&t.app, t.token());
    enable(&t, 1).await;
    let other = app.account("Northwind", "admin@northwind.example").await;
    let theirs = report(app, &other.token, &this_month()).await;
    assert!(theirs.users.is_empty(), "{theirs:?}");
    assert_eq!(theirs.totals.users_with_service, 0);
    assert!(theirs.discrepancies.is_empty());
    assert_eq!(report(app, token, &this_month()).await.users.len(), 1);
}
