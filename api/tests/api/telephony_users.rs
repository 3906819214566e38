//! The Users page's API: syncing the tenant's users from Graph (full, then delta), the list
//! with search, filters and paging, and the refusals (another account's user, a tenant that is
//! not connected, a missing permission, bad paging).

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::{
    directory::{DirectoryUser, ServiceState, SyncStatus},
    jobs::{JobKind, JobStatus},
    paging::Page,
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{assert_problem, TestApp},
    telephony_support::{eventually, spawn_telephony, Connected, FABRIKAM_ADMIN},
};

async fn sync_status(app: &TestApp, token: &str) -> SyncStatus {
    app.json_ok("/api/v1/users/sync", token).await
}

/// A few of the simulated tenant's ordinary users (no directory role, enabled).
async fn sample_users(app: &TestApp, tenant: &str) -> Vec<Value> {
    app.sim_tenant(tenant).await["sample_users"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_sync_on_demand_lists_every_user_of_the_tenant_once_page_by_page() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.connect_tenant(&a.token, "Contoso", CONTOSO_ADMIN).await;
    let in_tenant = app.sim_tenant("Contoso").await["users_count"]
        .as_u64()
        .unwrap();
    assert_eq!(in_tenant, 250);

    // Nothing synced yet.
    let before = sync_status(&app, &a.token).await;
    assert_eq!((before.users, before.last_synced_at), (0, None));

    let _runner = app.start_runner("runner");
    let job = app.start_sync(&a.token).await;
    assert_eq!(job.kind, JobKind::UserSync);
    assert!(!job.status.is_finished(), "{job:?}");
    let done = app.finished_job(&a.token, job.id).await;
    assert_eq!(done.status, JobStatus::Succeeded, "{done:?}");
    let result = done.result.unwrap();
    assert_eq!(result["mode"], "full");
    assert_eq!(result["users"], in_tenant);
    assert_eq!(done.progress.percent, Some(100));

    let status = sync_status(&app, &a.token).await;
    assert_eq!(status.users, in_tenant);
    assert!(status.last_synced_at.is_some());
    assert_eq!(status.job_id, None);
    assert_eq!(status.last_error, None);

    // Pages of 40, `next` followed as it is: every user exactly once.
    let mut next = Some("/api/v1/users?limit=40".to_owned());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(path) = next {
        let page: Page<DirectoryUser> = app.json_ok(&path, &a.token).await;
        assert!(page.items.len() <= 40);
        if let Some(n) = &page.next {
            assert_eq!(page.items.len(), 40, "only the last page is short");
            assert!(
                n.starts_with("/api/v1/users?") && n.contains("limit=40"),
                "{n}"
            );
        }
        seen.extend(page.items);
        next = page.next;
        pages += 1;
    }
    assert_eq!(pages, 7); // 6 x 40 + 10
    let ids: HashSet<&str> = seen.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(seen.len() as u64, in_tenant);
    assert_eq!(ids.len(), seen.len(), "a user was listed twice");

    // The users are the tenant's, with what Graph says of them.
    for sample in sample_users(&app, "Contoso").await {
        let id = sample["id"].as_str().unwrap();
        let user = seen
            .iter()
            .find(|u| u.id == id)
            .expect("sample user listed");
        assert_eq!(user.user_principal_name, sample["upn"].as_str().unwrap());
        assert_eq!(user.display_name, sample["display_name"].as_str().unwrap());
        assert_eq!(
            user.licensed,
            sample["teams_phone_licensed"].as_bool().unwrap()
        );
        assert_eq!(
            user.usage_location.as_deref(),
            sample["usage_location"].as_str()
        );
        assert_eq!(user.service.state, ServiceState::None);
        // One user by id, and by UPN.
        assert_eq!(&app.user(&a.token, id).await, user);
        assert_eq!(
            &app.user(&a.token, &user.user_principal_name.to_uppercase())
                .await,
            user
        );
    }
    // The tenant's seeded Teams numbers came along.
    assert_eq!(
        seen.iter().filter(|u| !u.teams_numbers.is_empty()).count(),
        5
    );
}

#[tokio::test]
async fn search_and_filters_narrow_the_users_list() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    let all = app.users(token, "").await;
    assert_eq!(all.len(), 250);

    // By name, whatever its case.
    let sample = &sample_users(app, "Contoso").await[0];
    let name = sample["display_name"].as_str().unwrap();
    let found = app
        .users(token, &format!("q={}", urlencode(&name.to_uppercase())))
        .await;
    assert!(found.iter().any(|u| u.id == sample["id"]), "{found:?}");
    for user in &found {
        let haystack = format!("{} {}", user.display_name, user.user_principal_name);
        assert!(
            haystack.to_lowercase().contains(&name.to_lowercase()),
            "{haystack}"
        );
    }
    // By UPN: that user only.
    let upn = sample["upn"].as_str().unwrap();
    let found = app.users(token, &format!("q={}", urlencode(upn))).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].user_principal_name, upn);
    // By a number Teams shows.
    let with_number = all.iter().find(|u| !u.teams_numbers.is_empty()).unwrap();
    let digits = with_number.teams_numbers[0].trim_start_matches('+');
    let found = app.users(token, &format!("q={digits}")).await;
    assert_eq!(
        found.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        [with_number.id.as_str()]
    );
    // Nothing matches: an empty page, not an error.
    assert!(app.users(token, "q=zzzz-nobody").await.is_empty());
    // A LIKE wildcard is searched for as text.
    assert!(app.users(token, "q=%25").await.is_empty());

    // Licensed or not: together, everyone.
    let licensed = app.users(token, "licensed=true").await;
    let unlicensed = app.users(token, "licensed=false").await;
    assert!(!licensed.is_empty() && !unlicensed.is_empty());
    assert!(licensed.iter().all(|u| u.licensed));
    assert!(unlicensed.iter().all(|u| !u.licensed));
    assert_eq!(licensed.len() + unlicensed.len(), all.len());
    assert_eq!(licensed.len(), all.iter().filter(|u| u.licensed).count());

    // By usage location (the code in any case).
    let gb = app.users(token, "usage_location=gb").await;
    assert!(!gb.is_empty());
    assert!(gb.iter().all(|u| u.usage_location.as_deref() == Some("GB")));
    assert_eq!(
        gb.len(),
        all.iter()
            .filter(|u| u.usage_location.as_deref() == Some("GB"))
            .count()
    );
    // Filters combine.
    let gb_licensed = app.users(token, "usage_location=GB&licensed=true").await;
    assert_eq!(gb_licensed.len(), gb.iter().filter(|u| u.licensed).count());

    // By service state: nobody has service from the portal yet.
    assert_eq!(app.users(token, "service=none").await.len(), all.len());
    assert!(app.users(token, "service=active").await.is_empty());

    // Filters of the wrong shape.
    for bad in [
        "usage_location=GBR",
        "licensed=maybe",
        "service=sometimes",
        "colour=blue",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/users?{bad}"), Some(token)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_second_sync_request_while_one_is_queued_or_running_answers_the_same_job() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.connect_tenant(&a.token, "Contoso", CONTOSO_ADMIN).await;

    // Queued (no runner yet): the same job.
    let first = app.start_sync(&a.token).await;
    assert_eq!(first.status, JobStatus::Queued);
    let again = app.start_sync(&a.token).await;
    assert_eq!(again.id, first.id);
    assert_eq!(sync_status(&app, &a.token).await.job_id, Some(first.id));

    // Running (Graph slowed down so that it runs a while): still the same job.
    app.sim_fault(json!({"endpoint": "users", "latency_ms": 400}))
        .await;
    let _runner = app.start_runner("runner");
    eventually("the sync to run", || {
        let (app, token, id) = (&app, &a.token, first.id);
        async move {
            let job = app.job(token, id).await;
            assert!(!job.status.is_finished(), "it ended too soon: {job:?}");
            (job.status == JobStatus::Running).then_some(())
        }
    })
    .await;
    let during = app.start_sync(&a.token).await;
    assert_eq!(during.id, first.id);
    assert_eq!(during.status, JobStatus::Running);

    // Only one sync job exists, and it succeeds.
    assert_eq!(app.job_rows_of(JobKind::UserSync).await.len(), 1);
    let done = app.finished_job(&a.token, first.id).await;
    assert_eq!(done.status, JobStatus::Succeeded, "{done:?}");
    assert_eq!(sync_status(&app, &a.token).await.job_id, None);

    // Once it has ended, "Sync now" starts a new one.
    let (status, _) = app.sim_control(Method::DELETE, "faults", None).await;
    assert!(status.is_success());
    let next = app.start_sync(&a.token).await;
    assert_ne!(next.id, first.id);
    assert_eq!(
        app.finished_job(&a.token, next.id).await.status,
        JobStatus::Succeeded
    );
}

#[tokio::test]
async fn a_delta_sync_picks_up_an_added_a_changed_and_a_deleted_user() {
    let t = Connected::new(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let before = app.users(token, "").await;
    assert_eq!(before.len(), 250);
    let samples = sample_users(app, "Contoso").await;
    let changed_id = samples[0]["id"].as_str().unwrap();
    let deleted_id = samples[1]["id"].as_str().unwrap();

    // In Entra, between two syncs: a new hire, a renamed user who moved, a leaver.
    let (status, added) = app
        .sim_control(
            Method::POST,
            &format!("tenants/{tenant}/users"),
            Some(json!({
                "userPrincipalName": "new.hire@contoso.onmicrosoft.com",
                "displayName": "Newton Hire",
                "usageLocation": "GB",
                "teamsPhoneLicense": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let added_id = added["id"].as_str().unwrap().to_ascii_lowercase();
    let (status, body) = app
        .sim_control(
            Method::PATCH,
            &format!("tenants/{tenant}/users/{changed_id}"),
            Some(json!({"displayName": "Renata Renamed", "usageLocation": "DE"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .sim_control(
            Method::DELETE,
            &format!("tenants/{tenant}/users/{deleted_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let job = app.sync_users(token).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    let result = job.result.unwrap();
    assert_eq!(result["mode"], "delta", "{result}");
    assert_eq!(result["users"], 2, "only the two changed users: {result}");
    assert_eq!(result["removed"], 1, "{result}");

    let added = app.user(token, &added_id).await;
    assert_eq!(added.display_name, "Newton Hire");
    assert_eq!(
        added.user_principal_name,
        "new.hire@contoso.onmicrosoft.com"
    );
    assert_eq!(added.usage_location.as_deref(), Some("GB"));
    assert!(added.licensed);
    let changed = app.user(token, changed_id).await;
    assert_eq!(changed.display_name, "Renata Renamed");
    assert_eq!(changed.usage_location.as_deref(), Some("DE"));
    assert_problem(
        app.get(&format!("/api/v1/users/{deleted_id}"), Some(token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let after = app.users(token, "").await;
    assert_eq!(after.len(), 250);
    let ids: HashSet<&str> = after.iter().map(|u| u.id.as_str()).collect();
    assert!(ids.contains(added_id.as_str()) && !ids.contains(deleted_id));
    let found = app.users(token, "q=renata").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, changed_id);
    // Everyone else is as they were.
    for user in before
        .iter()
        .filter(|u| u.id != changed_id && u.id != deleted_id)
    {
        let now = after.iter().find(|u| u.id == user.id).unwrap();
        assert_eq!(
            (&now.display_name, &now.usage_location, now.licensed),
            (&user.display_name, &user.usage_location, user.licensed)
        );
    }
}

#[tokio::test]
async fn another_accounts_user_is_not_found() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    app.connect_tenant(&a.token, "Contoso", CONTOSO_ADMIN).await;
    app.connect_tenant(&b.token, "Fabrikam", FABRIKAM_ADMIN)
        .await;
    let _runner = app.start_runner("runner");
    for token in [&a.token, &b.token] {
        assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    }

    let contoso = app.users(&a.token, "").await;
    let fabrikam = app.users(&b.token, "").await;
    assert_eq!((contoso.len(), fabrikam.len()), (250, 60));
    assert!(contoso
        .iter()
        .all(|u| u.user_principal_name.ends_with("@contoso.onmicrosoft.com")));
    assert!(fabrikam
        .iter()
        .all(|u| u.user_principal_name.ends_with("@fabrikam.onmicrosoft.com")));

    let theirs = &contoso[0];
    let unknown = assert_problem(
        app.get(
            &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
            Some(&b.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    for reference in [&theirs.id, &theirs.user_principal_name] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/users/{reference}"), Some(&b.token))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_eq!(problem.detail, unknown.detail);
        // Nor can Fabrikam give them service.
        assert_problem(
            app.put_service(&b.token, reference, None, None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert!(app
        .users(&b.token, &format!("q={}", theirs.user_principal_name))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_tenant_not_connected_cannot_sync() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let problem = assert_problem(
        app.post("/api/v1/users/sync", Some(&a.token), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "tenant_not_connected",
    )
    .await;
    assert!(problem.detail.contains("not connected"), "{problem:?}");
    assert!(app.job_rows_of(JobKind::UserSync).await.is_empty());
    assert!(app.users(&a.token, "").await.is_empty());
    assert_eq!(sync_status(&app, &a.token).await.users, 0);

    // A viewer may not start one at all.
    let viewer = app.token_with_role(&a.token, "viewer").await;
    assert_problem(
        app.post("/api/v1/users/sync", Some(&viewer), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn bad_paging_is_refused() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    for query in [
        "limit=0",
        "limit=501",
        "cursor=not-a-cursor",
        "cursor=%21%21",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/users?{query}"), Some(&a.token))
                .await,
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        )
        .await;
    }
    assert_eq!(
        app.get("/api/v1/users?limit=500", Some(&a.token))
            .await
            .status(),
        StatusCode::OK
    );
    // The numbers list's cursor is not the users list's.
    app.load_range(&a.token, "+14255550100", 3).await;
    let page: Page<shared::numbers::PhoneNumber> =
        app.json_ok("/api/v1/numbers?limit=1", &a.token).await;
    let next = page.next.unwrap();
    let cursor = next.rsplit_once("cursor=").unwrap().1;
    assert_problem(
        app.get(&format!("/api/v1/users?cursor={cursor}"), Some(&a.token))
            .await,
        StatusCode::BAD_REQUEST,
        "out_of_bounds",
    )
    .await;
}

#[tokio::test]
async fn a_sync_without_user_read_all_stops_with_a_clear_reason() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.connect_tenant(&a.token, "Contoso", CONTOSO_ADMIN).await;

    // A sync is queued; then the tenant's grant loses User.Read.All, and verification sees it.
    let queued = app.start_sync(&a.token).await;
    app.sim_grant_permissions(
        &tenant,
        &[
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "TeamsTelephoneNumber.ReadWrite.All",
            "TeamsUserConfiguration.Read.All",
        ],
    )
    .await;
    let report = app.verify(&a.token).await;
    assert_ne!(
        report.outcome,
        shared::tenant_connection::VerificationOutcome::Passed
    );

    // The queued sync stops, saying why, and is not retried.
    let _runner = app.start_runner("runner");
    let job = app.finished_job(&a.token, queued.id).await;
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    assert_eq!(job.attempts, 1, "a missing permission is not retried");
    let error = job.last_error.unwrap();
    assert!(error.contains("User.Read.All"), "{error}");
    let status = sync_status(&app, &a.token).await;
    assert_eq!(status.last_error.as_deref(), Some(error.as_str()));
    assert_eq!(status.last_synced_at, None);
    assert_eq!(status.users, 0);

    // "Sync now" is refused up front, with the same reason.
    let problem = assert_problem(
        app.post("/api/v1/users/sync", Some(&a.token), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "missing_permission",
    )
    .await;
    assert!(problem.detail.contains("User.Read.All"), "{problem:?}");
    assert_eq!(app.job_rows_of(JobKind::UserSync).await.len(), 1);
}
