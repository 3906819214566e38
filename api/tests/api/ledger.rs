//! The ledger and the audit log: what is recorded, by whom, in the change's own transaction;
//! that nothing can change an event; the connection history as a view of it; filters and
//! paging; bad filters.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;
use shared::{
    audit::{ActorKind, AuditEvent},
    paging::Page,
    tenant_connection::TenantConnection,
};
use tenant_connect::db::schema::ledger_events;

use crate::{
    helpers::{assert_problem, spawn_app, TestApp, PASSWORD},
    telephony_support::{licensed_users, Connected},
};

async fn audit(app: &TestApp, token: &str, query: &str) -> Vec<AuditEvent> {
    app.all_pages(&format!("/api/v1/audit-events?{query}"), token)
        .await
}

fn kinds(events: &[AuditEvent]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

async fn ledger_count(app: &TestApp) -> i64 {
    app.db()
        .run(|conn| Ok(ledger_events::table.count().get_result::<i64>(conn)?))
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_ins_members_and_tokens_are_recorded_with_their_actor() {
    let app = spawn_app().await;
    let admin = app.account("Contoso", "admin@contoso.example").await;
    let token = admin.token.as_str();
    let invited = app
        .post(
            "/api/v1/members",
            Some(token),
            &json!({"email": "staff@contoso.example", "role": "staff"}),
        )
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invited: serde_json::Value = invited.json().await.unwrap();
    let member = invited["member"]["id"].as_str().unwrap().to_owned();
    let changed = app
        .patch(
            &format!("/api/v1/members/{member}"),
            Some(token),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let created = app
        .post(
            "/api/v1/api-tokens",
            Some(token),
            &json!({"name": "Billing export", "role": "viewer"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    let token_id = created["token"]["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let revoked = app
        .delete(&format!("/api/v1/api-tokens/{token_id}"), Some(token))
        .await;
    assert!(revoked.status().is_success());
    // Revoking again changes nothing, and records nothing.
    app.delete(&format!("/api/v1/api-tokens/{token_id}"), Some(token))
        .await;
    let removed = app
        .delete(&format!("/api/v1/members/{member}"), Some(token))
        .await;
    assert!(removed.status().is_success());

    let events = audit(&app, token, "").await;
    assert_eq!(
        kinds(&events),
        [
            "members.removed",
            "api_tokens.revoked",
            "api_tokens.created",
            "members.role_changed",
            "members.invited",
            "auth.signed_in",
        ],
        "newest first"
    );
    for e in &events {
        assert_eq!(e.actor.kind, ActorKind::User);
        assert_eq!(e.actor.id, Some(admin_id(&app, token).await));
        assert_eq!(e.actor.name, "admin@contoso.example");
        assert!(!e.summary.is_empty());
    }
    assert!(events[3].summary.contains("Staff") && events[3].summary.contains("Viewer"));
    // Never the secret.
    let everything = serde_json::to_string(&events).unwrap();
    assert!(!everything.contains(&secret));
    // Filter by actor and by type.
    let actor = format!("user:{}", admin_id(&app, token).await);
    assert_eq!(audit(&app, token, &format!("actor={actor}")).await.len(), 6);
    // An id in capitals names the same actor.
    let shouted = format!(
        "actor={}",
        actor.to_uppercase().replacen("USER:", "user:", 1)
    );
    assert_eq!(audit(&app, token, &shouted).await.len(), 6);
    assert_eq!(audit(&app, token, "actor=system").await.len(), 0);
    let signed_in = audit(&app, token, "type=auth.signed_in").await;
    assert_eq!(kinds(&signed_in), ["auth.signed_in"]);
}

async fn admin_id(app: &TestApp, token: &str) -> uuid::Uuid {
    let me: shared::auth::Me = app.json_ok("/api/v1/me", token).await;
    me.id
}

#[tokio::test]
async fn a_refused_change_records_nothing() {
    let app = spawn_app().await;
    let admin = app.account("Contoso", "admin@contoso.example").await;
    let before = ledger_count(&app).await;
    let me = admin_id(&app, &admin.token).await;
    // The last admin cannot be removed or demoted.
    let response = app
        .delete(&format!("/api/v1/members/{me}"), Some(&admin.token))
        .await;
    assert_problem(response, StatusCode::CONFLICT, "last_admin").await;
    let response = app
        .patch(
            &format!("/api/v1/members/{me}"),
            Some(&admin.token),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "last_admin").await;
    // A wrong password signs no one in.
    let response = app.login("admin@contoso.example", "not the password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ledger_count(&app).await, before);
    // The right one does.
    app.login_ok("admin@contoso.example", PASSWORD).await;
    assert_eq!(ledger_count(&app).await, before + 1);
}

#[tokio::test]
async fn no_one_can_change_or_remove_an_event_not_even_with_sql() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;
    let before = ledger_count(&app).await;
    assert!(before > 0);
    let update = app
        .db()
        .run(|conn| {
            Ok(diesel::update(ledger_events::table)
                .set(ledger_events::summary.eq("rewritten"))
                .execute(conn))
        })
        .await
        .unwrap();
    assert!(update.is_err(), "an update went through: {update:?}");
    let delete = app
        .db()
        .run(|conn| Ok(diesel::delete(ledger_events::table).execute(conn)))
        .await
        .unwrap();
    assert!(delete.is_err(), "a delete went through: {delete:?}");
    assert_eq!(ledger_count(&app).await, before);
    let summaries: Vec<String> = app
        .db()
        .run(|conn| {
            Ok(ledger_events::table
                .select(ledger_events::summary)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert!(summaries.iter().all(|s| s != "rewritten"));
    // And the API has no way to: the audit log is read-only.
    let admin = app.login_ok("admin@contoso.example", PASSWORD).await;
    let any = audit(&app, &admin.access_token, "").await[0].id;
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
    ] {
        let response = app
            .request(
                method,
                &format!("/api/v1/audit-events/{any}"),
                Some(&admin.access_token),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_connection_history_is_the_ledgers_connection_events() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    let connection: TenantConnection = app.json_ok("/api/v1/tenant-connection", token).await;
    let from_ledger = audit(app, token, "").await;
    let ledger_connection: Vec<(&str, &str)> = from_ledger
        .iter()
        .filter(|e| e.kind.starts_with("tenant_connection."))
        .map(|e| (e.actor.name.as_str(), e.summary.as_str()))
        .collect();
    let history: Vec<(&str, &str)> = connection
        .history
        .iter()
        .map(|e| (e.actor.as_str(), e.message.as_str()))
        .collect();
    assert!(!history.is_empty());
    assert_eq!(history, ledger_connection);
    assert!(from_ledger
        .iter()
        .any(|e| e.kind == "tenant_connection.connected"));
    // There is no second copy.
    let second_copy = app
        .db()
        .run(|conn| {
            Ok(diesel::sql_query("SELECT 1 FROM connection_events")
                .execute(conn)
                .is_ok())
        })
        .await
        .unwrap();
    assert!(
        !second_copy,
        "the old connection_events table is still there"
    );
}

#[tokio::test]
async fn phone_service_events_carry_the_user_number_operation_and_actor() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    app.load_range(token, "+14255550100", 10).await;
    let user = &licensed_users(app, token, Some("US"), 1).await[0];
    let staff = app.token_with_role(token, "staff").await;
    assert!(app
        .put_service(&staff, &user.id, None, None)
        .await
        .status()
        .is_success());
    let active = app.settled_user(token, &user.id).await;
    let number = active.service.number.unwrap();
    assert!(app
        .delete_service(token, &user.id)
        .await
        .status()
        .is_success());
    app.settled_user(token, &user.id).await;

    let theirs = audit(app, token, &format!("user={}", user.id)).await;
    assert_eq!(
        kinds(&theirs),
        ["phone_service.disabled", "phone_service.enabled"]
    );
    let enabled = &theirs[1];
    assert_eq!(enabled.number.as_deref(), Some(number.as_str()));
    assert!(enabled.operation_id.is_some(), "Teams' operation id");
    assert_eq!(enabled.actor.kind, ActorKind::ApiToken);
    assert!(enabled.summary.contains(&user.user_principal_name));
    assert_eq!(
        enabled.user_principal_name.as_deref(),
        Some(user.user_principal_name.as_str()),
        "named from the directory"
    );
    assert_eq!(theirs[0].actor.kind, ActorKind::User);
    // The number filter takes the number as people write it.
    let spaced = format!("{} {}", &number[..5], &number[5..]).replace('+', "%2B");
    let by_number = audit(app, token, &format!("number={spaced}")).await;
    assert_eq!(kinds(&by_number), kinds(&theirs));
    // The time range: everything from an hour ago, nothing before.
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = audit(app, token, &format!("from={hour_ago}")).await;
    assert!(recent.len() >= 2);
    let old = audit(app, token, &format!("to={hour_ago}")).await;
    assert!(old.is_empty());
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_and_refuses_bad_filters() {
    let app = spawn_app().await;
    let admin = app.account("Contoso", "admin@contoso.example").await;
    for _ in 0..4 {
        app.login_ok("admin@contoso.example", PASSWORD).await;
    }
    let first: Page<AuditEvent> = app
        .json_ok("/api/v1/audit-events?limit=2", &admin.token)
        .await;
    assert_eq!(first.items.len(), 2);
    let rest = app
        .all_pages(first.next.as_deref().unwrap(), &admin.token)
        .await;
    let all: Vec<AuditEvent> = first.items.into_iter().chain(rest).collect();
    assert_eq!(all.len(), 5, "five sign-ins, each once");
    assert!(all.windows(2).all(|w| w[0].occurred_at >= w[1].occurred_at));

    let before = ledger_count(&app).await;
    for (query, status, code) in [
        (
            "actor=bob",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "actor=user:not-a-uuid",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "type=phone_service.teleported",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "from=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "number=12",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        ("limit=0", StatusCode::BAD_REQUEST, "out_of_bounds"),
        (
            "limit=many",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        ("cursor=xyz", StatusCode::BAD_REQUEST, "out_of_bounds"),
        (
            "colour=red",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
    ] {
        let response = app
            .get(&format!("/api/v1/audit-events?{query}"), Some(&admin.token))
            .await;
        assert_problem(response, status, code).await;
    }
    assert_eq!(
        ledger_count(&app).await,
        before,
        "bad requests change nothing"
    );
}

#[tokio::test]
async fn another_account_sees_none_of_the_audit_log() {
    let app = spawn_app().await;
    let contoso = app.account("Contoso", "admin@contoso.example").await;
    let northwind = app.account("Northwind", "admin@northwind.example").await;
    let contoso_id = admin_id(&app, &contoso.token).await;
    let theirs = audit(&app, &northwind.token, "").await;
    assert_eq!(kinds(&theirs), ["auth.signed_in"]);
    assert!(theirs
        .iter()
        .all(|e| e.actor.name == "admin@northwind.example"));
    // Not even by naming Contoso's admin.
    let named = audit(&app, &northwind.token, &format!("actor=user:{contoso_id}")).await;
    assert!(named.is_empty());
}

#[tokio::test]
async fn low_stock_is_recorded_once_per_country_until_numbers_are_loaded_and_bulk_jobs_finishing_once(
) {
    let t = Connected::new(&["--low-stock-threshold", "3"]).await;
    let (app, token) = (&t.app, t.token());
    app.load_range(token, "+14255550100", 5).await;
    let users = licensed_users(app, token, Some("US"), 5).await;
    let low_stock = || async { audit(app, token, "type=numbers.low_stock").await };
    let mut seen = Vec::new();
    for user in &users[..4] {
        assert!(app
            .put_service(token, &user.id, None, None)
            .await
            .status()
            .is_success());
        app.settled_user(token, &user.id).await;
        seen.push(low_stock().await.len());
    }
    // 4, 3 left: fine; 2 left: below 3, recorded; 1 left: already said.
    assert_eq!(seen, [0, 0, 1, 1]);
    let warning = &low_stock().await[0];
    assert!(
        warning.summary.contains("Only 2 numbers") && warning.summary.contains("US"),
        "{}",
        warning.summary
    );
    // Loading more starts over: the next time stock runs below the threshold it is said again.
    app.load_range(token, "+14255550200", 1).await;
    let bulk = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({"users": [users[4].id]}),
        )
        .await;
    assert_eq!(bulk.status(), StatusCode::ACCEPTED);
    let accepted: shared::phone_service::BulkAccepted = bulk.json().await.unwrap();
    app.finished_job(token, accepted.job_id).await;
    assert_eq!(low_stock().await.len(), 2);
    let finished = audit(app, token, "type=bulk_job.finished").await;
    assert_eq!(finished.len(), 1);
    assert_eq!(
        finished[0].operation_id.as_deref(),
        Some(accepted.job_id.to_string().as_str())
    );
    assert!(
        finished[0].summary.contains("1 assigned"),
        "{}",
        finished[0].summary
    );
}

#[tokio::test]
async fn a_users_event_is_never_dated_before_their_previous_one_whatever_the_clock() {
    use tenant_connect::domain::{
        ids::AccountId,
        ledger::{record, Actor, Entry, LedgerKind},
    };
    let app = spawn_app().await;
    let admin = app.account("Contoso", "admin@contoso.example").await;
    let account = AccountId::from(admin.account_id);
    // Another process, its clock a minute ahead, enabled the user.
    let ahead = chrono::Utc::now().naive_utc() + chrono::Duration::minutes(1);
    let enabled = tenant_connect::db::ledger::LedgerEvent {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account.clone(),
        occurred_at: ahead,
        kind: "phone_service.enabled".to_owned(),
        actor: "system".to_owned(),
        user_id: Some("u1".to_owned()),
        number: Some("+14255550100".to_owned()),
        operation_id: None,
        detail: None,
        actor_name: "Another process".to_owned(),
        summary: "enabled".to_owned(),
    };
    let first = enabled;
    app.db()
        .run(move |conn| Ok(tenant_connect::db::ledger::append(conn, &first)?))
        .await
        .unwrap();
    // This process, on time, removes the service: recorded after, not a minute before.
    app.db()
        .run(move |conn| {
            let actor = Actor::system("Test");
            let entry = Entry {
                user_id: Some("u1"),
                number: Some("+14255550100"),
                ..Entry::new(
                    &account,
                    LedgerKind::PhoneServiceDisabled,
                    &actor,
                    "disabled".to_owned(),
                )
            };
            record(conn, entry).map(|_| ())
        })
        .await
        .unwrap();
    let events = audit(&app, &admin.token, "user=u1").await;
    assert_eq!(
        kinds(&events),
        ["phone_service.disabled", "phone_service.enabled"]
    );
    assert!(events[0].occurred_at.naive_utc() > ahead);
}

#[tokio::test]
async fn a_health_check_that_finds_nothing_changed_records_nothing_and_one_that_does_records_it() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    let connection_events = || async {
        audit(app, token, "")
            .await
            .into_iter()
            .filter(|e| e.kind.starts_with("tenant_connection."))
            .count()
    };
    let before = connection_events().await;
    assert_eq!(app.run_health_checks().await, 1);
    assert_eq!(app.run_health_checks().await, 1);
    assert_eq!(
        connection_events().await,
        before,
        "two passing checks changed nothing"
    );
    // A manual verification is recorded: a person asked.
    let response = app
        .post("/api/v1/tenant-connection/verify", Some(token), &json!({}))
        .await;
    assert!(response.status().is_success());
    let verified = audit(app, token, "type=tenant_connection.verified").await;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].actor.name, "admin@contoso.example");
    // A broken connection is: the check moves it to needs attention.
    app.sim_revoke_consent(&t.tenant).await;
    app.run_health_checks().await;
    let attention = audit(app, token, "type=tenant_connection.needs_attention").await;
    assert_eq!(attention.len(), 1);
    assert_eq!(attention[0].actor.name, "Connection health check");
    assert_eq!(attention[0].actor.kind, ActorKind::System);
}
