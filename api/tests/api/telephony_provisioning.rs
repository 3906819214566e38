//! Giving users phone service and taking it away: one user with an auto-selected or a named
//! number, idempotency, concurrency (in one process and in two), Teams refusing, bulk, and
//! reconciliation with what Teams shows.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use futures_util::future::join_all;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;
use shared::{
    directory::{DirectoryUser, ServiceState},
    jobs::{JobKind, JobStatus},
    numbers::{Capacity, Mismatch, NumberStatus, PhoneNumber},
    phone_service::{BulkAccepted, BulkItemOutcome, BulkStatus, PhoneServiceOutcome},
};
use tenant_connect::{cli::Cli, startup::Application};

use crate::{
    helpers::{assert_problem, TestApp, TEST_CLIENT_SECRET},
    telephony_support::{count_status, eventually, licensed_users, Connected, QUICK},
};

/// A provisioning answer: its status and body.
async fn outcome(response: Response) -> (StatusCode, PhoneServiceOutcome) {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(
        matches!(status, StatusCode::OK | StatusCode::ACCEPTED),
        "{status}: {body}"
    );
    (status, serde_json::from_str(&body).unwrap())
}

/// Contoso connected and synced, with 100 Seattle numbers (+14255550100 to 199).
async fn with_numbers(extra: &[&str]) -> Connected {
    let t = Connected::new(extra).await;
    t.app.load_range(t.token(), "+14255550100", 100).await;
    t
}

/// Every number held for a user: no number twice, no user twice.
fn assert_one_each(held: &[PhoneNumber]) {
    let numbers: HashSet<&str> = held.iter().map(|n| n.number.as_str()).collect();
    let users: HashSet<&str> = held
        .iter()
        .map(|n| {
            n.user
                .as_ref()
                .expect("a held number has its user")
                .id
                .as_str()
        })
        .collect();
    assert_eq!(numbers.len(), held.len(), "a number listed twice: {held:?}");
    assert_eq!(
        users.len(),
        held.len(),
        "a user holds two numbers: {held:?}"
    );
}

#[tokio::test]
async fn a_licensed_user_gets_an_auto_selected_number_in_their_country_and_loses_it() {
    let t = with_numbers(&[]).await;
    let (app, token) = (&t.app, t.token());
    app.load_numbers(
        token,
        json!({"start": "+442079460000", "count": 5, "location": "London"}),
    )
    .await;
    let us = &licensed_users(app, token, Some("US"), 1).await[0];
    let gb = &licensed_users(app, token, Some("GB"), 1).await[0];

    // Reserved at once; Teams then assigns it.
    let (status, answer) = outcome(app.put_service(token, &us.id, None, Some("us-1")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(!answer.replayed);
    assert_eq!(answer.user.id, us.id);
    assert_eq!(answer.user.service.state, ServiceState::Pending);
    let number = answer.user.service.number.clone().unwrap();
    assert!(number.starts_with("+1425555"), "a US number: {number}");
    let job_id = answer.user.service.job_id.unwrap();

    let active = app.settled_user(token, &us.id).await;
    assert_eq!(active.service.state, ServiceState::Active, "{active:?}");
    assert_eq!(active.service.number.as_deref(), Some(number.as_str()));
    assert_eq!(active.service.detail, None);
    assert_eq!(active.service.job_id, None);
    // The job settles the user, then the runner records the job's end: wait for that too.
    let job = app.finished_job(token, job_id).await;
    assert_eq!(
        (job.kind, job.status),
        (JobKind::PhoneServiceChange, JobStatus::Succeeded)
    );
    let listed = app.number(token, &number).await;
    assert_eq!(listed.status, NumberStatus::Assigned);
    let holder = listed.user.unwrap();
    assert_eq!(
        (holder.id.as_str(), holder.user_principal_name.as_str()),
        (us.id.as_str(), us.user_principal_name.as_str())
    );
    let with_service = app.users(token, "service=active").await;
    assert_eq!(
        with_service.iter().map(|u| &u.id).collect::<Vec<_>>(),
        [&us.id]
    );
    // Searching the users by the number finds its holder.
    let digits = number.trim_start_matches('+');
    let found = app.users(token, &format!("q={digits}")).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, us.id);

    // A user in Great Britain gets a London number, though the account's first block is US.
    outcome(app.put_service(token, &gb.id, None, None).await).await;
    let gb_active = app.settled_user(token, &gb.id).await;
    assert_eq!(gb_active.service.state, ServiceState::Active);
    let gb_number = gb_active.service.number.unwrap();
    assert!(gb_number.starts_with("+4420794600"), "{gb_number}");
    assert_eq!(app.number(token, &gb_number).await.country, "GB");

    // Teams has the number: the next sync shows it with the user.
    assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    assert_eq!(
        app.user(token, &us.id).await.teams_numbers,
        vec![number.clone()]
    );

    // Removing: Teams unassigns it, and the number rests.
    let (status, removing) = outcome(app.delete_service(token, &us.id).await).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(removing.user.service.state, ServiceState::Removing);
    assert_eq!(
        removing.user.service.number.as_deref(),
        Some(number.as_str())
    );
    let removed = app.settled_user(token, &us.id).await;
    assert_eq!(removed.service.state, ServiceState::None, "{removed:?}");
    assert_eq!(removed.service.number, None);
    let rested = app.number(token, &number).await;
    assert_eq!(rested.status, NumberStatus::Aging);
    assert!(rested.user.is_none());
    let from = rested.available_from.unwrap();
    assert!(
        from > chrono::Utc::now() + chrono::Duration::days(29),
        "rests 30 days: {from}"
    );
    assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    assert!(app.user(token, &us.id).await.teams_numbers.is_empty());

    // Removing again changes nothing.
    let (status, again) = outcome(app.delete_service(token, &us.id).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again.user.service.state, ServiceState::None);

    let capacity: Capacity = app.json_ok("/api/v1/numbers/capacity", token).await;
    let us_country = capacity.countries.iter().find(|g| g.key == "US").unwrap();
    assert_eq!(
        (
            us_country.assigned,
            us_country.aging,
            us_country.available,
            us_country.assigned_last_30_days
        ),
        (0, 1, 99, 1)
    );
    let gb_country = capacity.countries.iter().find(|g| g.key == "GB").unwrap();
    assert_eq!((gb_country.assigned, gb_country.available), (1, 4));
}

#[tokio::test]
async fn bad_requests_are_refused_before_any_call_to_microsoft() {
    let mut t = Connected::new(&[]).await;
    // No runner: nothing is carried to Teams, so every answer below is the request's own.
    t.stop_runner().await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 4).await;
    let unlicensed = app
        .users(token, "licensed=false")
        .await
        .into_iter()
        .next()
        .unwrap();

    // An empty inventory.
    let problem = assert_problem(
        app.put_service(token, &users[0].id, None, None).await,
        StatusCode::CONFLICT,
        "no_available_number",
    )
    .await;
    assert!(
        problem
            .detail
            .to_lowercase()
            .contains("no available number"),
        "{problem:?}"
    );
    app.load_range(token, "+14255550100", 100).await;

    // A user without a Teams Phone licence.
    let problem = assert_problem(
        app.put_service(token, &unlicensed.id, None, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert!(problem.detail.contains("licence"), "{problem:?}");
    // A number not in the inventory, and one that is not a number.
    let problem = assert_problem(
        app.put_service(token, &users[0].id, Some("+14255550999"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(problem.detail.contains("+14255550999"), "{problem:?}");
    assert_problem(
        app.put_service(token, &users[0].id, Some("+1425"), None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    // No such user.
    assert_problem(
        app.put_service(token, &uuid::Uuid::new_v4().to_string(), None, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A viewer reads only.
    let viewer = app.token_with_role(token, "viewer").await;
    assert_problem(
        app.put_service(&viewer, &users[0].id, None, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.delete_service(&viewer, &users[0].id).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/phone-service/bulk",
            Some(&viewer),
            &json!({"users": [users[0].id]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(app.held_numbers(token).await.is_empty());
    assert!(app
        .job_rows_of(JobKind::PhoneServiceChange)
        .await
        .is_empty());

    // Staff may; the named number is then taken for anyone else.
    let staff = app.token_with_role(token, "staff").await;
    let (status, _) = outcome(
        app.put_service(&staff, &users[0].id, Some("+1 425 555 0150"), None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let problem = assert_problem(
        app.put_service(token, &users[1].id, Some("+14255550150"), None)
            .await,
        StatusCode::CONFLICT,
        "number_taken",
    )
    .await;
    assert!(problem.detail.contains("+14255550150"), "{problem:?}");
    // The user has a number on its way: another is refused, and so is removing it now.
    assert_problem(
        app.put_service(token, &users[0].id, Some("+14255550151"), None)
            .await,
        StatusCode::CONFLICT,
        "already_has_service",
    )
    .await;
    assert_problem(
        app.delete_service(token, &users[0].id).await,
        StatusCode::CONFLICT,
        "service_pending",
    )
    .await;

    // What all that changed: one reservation, one job.
    let held = app.held_numbers(token).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].number, "+14255550150");
    assert_eq!(held[0].status, NumberStatus::Reserved);
    assert_eq!(held[0].user.as_ref().unwrap().id, users[0].id);
    assert_eq!(app.job_rows_of(JobKind::PhoneServiceChange).await.len(), 1);
    for user in [&users[1], &unlicensed] {
        assert_eq!(
            app.user(token, &user.id).await.service.state,
            ServiceState::None
        );
    }
}

#[tokio::test]
async fn the_same_idempotency_key_does_not_assign_twice() {
    let t = with_numbers(&[]).await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 4).await;
    let user = &users[0];

    let (_, first) = outcome(app.put_service(token, &user.id, None, Some("add-1")).await).await;
    assert!(!first.replayed);
    let number = first.user.service.number.clone().unwrap();
    let (_, again) = outcome(app.put_service(token, &user.id, None, Some("add-1")).await).await;
    assert!(again.replayed);
    assert_eq!(again.user.service.number.as_deref(), Some(number.as_str()));
    assert_eq!(app.held_numbers(token).await.len(), 1);

    // After Teams assigned it, the retry still changes nothing and says so.
    let active = app.settled_user(token, &user.id).await;
    assert_eq!(active.service.state, ServiceState::Active);
    let (status, late) = outcome(app.put_service(token, &user.id, None, Some("add-1")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(late.replayed);
    assert_eq!(late.user.service.number.as_deref(), Some(number.as_str()));
    let held = app.held_numbers(token).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].status, NumberStatus::Assigned);
    assert_eq!(app.job_rows_of(JobKind::PhoneServiceChange).await.len(), 1);

    // The key with another request: refused, nothing changes.
    for (who, wanted) in [(&user.id, Some("+14255550180")), (&users[1].id, None)] {
        assert_problem(
            app.put_service(token, who, wanted, Some("add-1")).await,
            StatusCode::CONFLICT,
            "idempotency_key_reused",
        )
        .await;
    }
    assert_problem(
        app.put_service(token, &users[1].id, None, Some("not a key"))
            .await,
        StatusCode::BAD_REQUEST,
        "out_of_bounds",
    )
    .await;
    assert_eq!(app.held_numbers(token).await.len(), 1);
    assert_eq!(
        app.user(token, &users[1].id).await.service.state,
        ServiceState::None
    );

    // The same request sent five times at once (a client retrying impatiently): one number.
    let answers =
        join_all((0..5).map(|_| app.put_service(token, &users[2].id, None, Some("add-2")))).await;
    let mut replayed = Vec::new();
    for response in answers {
        replayed.push(outcome(response).await.1.replayed);
    }
    assert_eq!(replayed.iter().filter(|r| !**r).count(), 1, "{replayed:?}");
    let held = app.held_numbers(token).await;
    assert_eq!(held.len(), 2, "{held:?}");
    assert_one_each(&held);

    // Five different requests for one user at once (two people clicking): each waits its
    // turn; the first reserves a number, the others find it pending. No error, one number.
    let keys: Vec<String> = (0..5).map(|i| format!("click-{i}")).collect();
    let answers = join_all(
        keys.iter()
            .map(|k| app.put_service(token, &users[3].id, None, Some(k))),
    )
    .await;
    for response in answers {
        let (status, answer) = outcome(response).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer:?}");
        assert!(!answer.replayed);
    }
    let held = app.held_numbers(token).await;
    assert_eq!(held.len(), 3, "{held:?}");
    assert_one_each(&held);
}

#[tokio::test]
async fn fifty_concurrent_auto_assigns_get_fifty_distinct_numbers() {
    let mut t = with_numbers(&[]).await;
    t.stop_runner().await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 50).await;

    let answers = join_all(
        users
            .iter()
            .map(|u| app.put_service(token, &u.id, None, None)),
    )
    .await;
    let mut given: HashMap<String, String> = HashMap::new();
    for response in answers {
        let (status, answer) = outcome(response).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(answer.user.service.state, ServiceState::Pending);
        let number = answer.user.service.number.unwrap();
        if let Some(other) = given.insert(number.clone(), answer.user.id.clone()) {
            panic!("{number} was given to {other} and {}", answer.user.id);
        }
    }
    assert_eq!(given.len(), 50);

    let reserved = app.numbers(token, "status=reserved").await;
    assert_eq!(reserved.len(), 50);
    assert_one_each(&reserved);
    for n in &reserved {
        assert_eq!(given.get(&n.number), Some(&n.user.as_ref().unwrap().id));
    }
    assert_eq!(count_status(app, token, NumberStatus::Available).await, 50);

    // Teams assigns all fifty.
    t.start_runner();
    let (app, token) = (&t.app, t.token());
    for user in &users {
        let settled = app.settled_user(token, &user.id).await;
        assert_eq!(settled.service.state, ServiceState::Active, "{settled:?}");
        assert_eq!(
            given.get(settled.service.number.as_deref().unwrap()),
            Some(&user.id)
        );
    }
    let assigned = app.numbers(token, "status=assigned").await;
    assert_eq!(assigned.len(), 50);
    assert_one_each(&assigned);
    assert!(app.numbers(token, "status=reserved").await.is_empty());
}

#[tokio::test]
async fn a_teams_failure_releases_the_number_and_shows_microsofts_words() {
    let t = with_numbers(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let users = licensed_users(app, token, None, 3).await;
    let (ours, theirs, lapsed) = (&users[0], &users[1], &users[2]);

    // In Teams, an admin gave +14255550150 to someone else; the portal does not know.
    app.sim_assign_number(tenant, "+14255550150", &theirs.id)
        .await;
    let (status, _) = outcome(
        app.put_service(token, &ours.id, Some("+14255550150"), None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let failed = app.settled_user(token, &ours.id).await;
    assert_eq!(failed.service.state, ServiceState::Failed, "{failed:?}");
    assert_eq!(failed.service.number, None);
    let detail = failed.service.detail.unwrap();
    assert!(detail.contains("another user"), "{detail}");
    let number = app.number(token, "+14255550150").await;
    assert_eq!(number.status, NumberStatus::Available);
    assert!(number.user.is_none());

    // In Microsoft 365, the licence was taken away after the last sync: Teams refuses, and its
    // statusDetail is what the user shows.
    let (status, body) = app
        .sim_control(
            Method::PATCH,
            &format!("tenants/{tenant}/users/{}", lapsed.id),
            Some(json!({"teamsPhoneLicense": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, answer) = outcome(app.put_service(token, &lapsed.id, None, None).await).await;
    let tried = answer.user.service.number.unwrap();
    let failed = app.settled_user(token, &lapsed.id).await;
    assert_eq!(failed.service.state, ServiceState::Failed, "{failed:?}");
    let detail = failed.service.detail.unwrap();
    assert!(
        detail.contains("lacks appropriate licenses to assign a 'DirectRouting' number"),
        "{detail}"
    );
    assert_eq!(
        app.number(token, &tried).await.status,
        NumberStatus::Available
    );

    assert!(app.held_numbers(token).await.is_empty());
    let failed_ids: HashSet<String> = app
        .users(token, "service=failed")
        .await
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(
        failed_ids,
        HashSet::from([ours.id.clone(), lapsed.id.clone()])
    );

    // Trying again with another number works.
    outcome(app.put_service(token, &ours.id, None, None).await).await;
    let active = app.settled_user(token, &ours.id).await;
    assert_eq!(active.service.state, ServiceState::Active, "{active:?}");
    assert_eq!(active.service.detail, None);
    assert_ne!(active.service.number.as_deref(), Some("+14255550150"));
}

async fn bulk_status(app: &TestApp, token: &str, id: uuid::Uuid) -> BulkStatus {
    app.json_ok(&format!("/api/v1/phone-service/bulk/{id}"), token)
        .await
}

#[tokio::test]
async fn bulk_gives_twenty_users_distinct_numbers_with_progress_to_100() {
    let t = with_numbers(&[]).await;
    let (app, token) = (&t.app, t.token());
    let mut users = licensed_users(app, token, None, 21).await;
    // One more has service already.
    let veteran = &users.pop().unwrap();
    outcome(app.put_service(token, &veteran.id, None, None).await).await;
    let veteran_number = app
        .settled_user(token, &veteran.id)
        .await
        .service
        .number
        .unwrap();
    let mut refs: Vec<String> = users
        .iter()
        .map(|u| u.user_principal_name.clone())
        .collect();
    refs.push("nobody@contoso.onmicrosoft.com".to_owned());
    refs.push(veteran.id.clone());

    let response = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({ "users": refs }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: BulkAccepted = response.json().await.unwrap();
    assert_eq!(accepted.users, 22);

    let percents = std::cell::RefCell::new(Vec::new());
    let done = eventually("the bulk job to finish", || {
        let percents = &percents;
        async move {
            let status = bulk_status(app, token, accepted.job_id).await;
            percents
                .borrow_mut()
                .push(status.job.progress.percent.unwrap_or(0));
            status.job.status.is_finished().then_some(status)
        }
    })
    .await;
    let percents = percents.into_inner();
    assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    assert_eq!(done.job.kind, JobKind::BulkPhoneService);
    assert_eq!(
        (
            done.job.progress.done,
            done.job.progress.total,
            done.job.progress.percent
        ),
        (22, Some(22), Some(100))
    );
    assert!(
        percents.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {percents:?}"
    );
    let result = done.job.result.unwrap();
    assert_eq!(
        (
            result["assigned"].as_u64(),
            result["already_active"].as_u64(),
            result["failed"].as_u64()
        ),
        (Some(20), Some(1), Some(1))
    );

    // Each user's outcome, in the order given.
    assert_eq!(done.items.len(), 22);
    let mut numbers = HashSet::new();
    for (item, user) in done.items.iter().zip(&users) {
        assert_eq!(item.user, user.user_principal_name);
        assert_eq!(item.outcome, BulkItemOutcome::Assigned, "{item:?}");
        assert_eq!(item.user_id.as_deref(), Some(user.id.as_str()));
        let number = item.number.clone().unwrap();
        assert!(numbers.insert(number.clone()), "{number} given twice");
        let now = app.user(token, &user.id).await;
        assert_eq!(now.service.state, ServiceState::Active);
        assert_eq!(now.service.number, Some(number));
    }
    let nobody = &done.items[20];
    assert_eq!(nobody.outcome, BulkItemOutcome::Failed);
    assert!(
        nobody.detail.as_deref().unwrap().contains("No such user"),
        "{nobody:?}"
    );
    let veteran_item = &done.items[21];
    assert_eq!(veteran_item.outcome, BulkItemOutcome::AlreadyActive);
    assert_eq!(
        veteran_item.number.as_deref(),
        Some(veteran_number.as_str())
    );
    assert!(!numbers.contains(&veteran_number));
    let assigned = app.numbers(token, "status=assigned").await;
    assert_eq!(assigned.len(), 21);
    assert_one_each(&assigned);

    // Only the account's own bulk jobs show.
    let other = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    assert_problem(
        app.get(
            &format!("/api/v1/phone-service/bulk/{}", accepted.job_id),
            Some(&other.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bulk_takes_a_csv_and_refuses_bad_rows_or_no_users() {
    let t = with_numbers(&[]).await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 2).await;
    let csv = |body: String| {
        app.request(Method::POST, "/api/v1/phone-service/bulk", Some(token))
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(body)
            .send()
    };

    let problem = assert_problem(
        csv(format!("user\n{}\n\"\"\n", users[0].user_principal_name))
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    assert_eq!(problem.rejected.unwrap()[0].line, 3);
    for body in [json!({"users": []}), json!({"users": ["  "]})] {
        assert_problem(
            app.post("/api/v1/phone-service/bulk", Some(token), &body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    assert!(app.job_rows_of(JobKind::BulkPhoneService).await.is_empty());

    let response = csv(format!(
        "upn\n{}\n{}\n",
        users[0].user_principal_name, users[1].id
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: BulkAccepted = response.json().await.unwrap();
    assert_eq!(accepted.users, 2);
    let done = eventually("the bulk job to finish", || async move {
        let status = bulk_status(app, token, accepted.job_id).await;
        status.job.status.is_finished().then_some(status)
    })
    .await;
    assert!(
        done.items
            .iter()
            .all(|i| i.outcome == BulkItemOutcome::Assigned),
        "{done:?}"
    );
}

#[tokio::test]
async fn bulk_progress_never_goes_back_when_microsoft_fails_a_call() {
    // One user at a time, so that the failing calls all belong to the first user.
    let t = with_numbers(&["--bulk-concurrency", "1"]).await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 5).await;
    // Teams answers the first call (all of its retries) with a server error.
    app.sim_fault(json!({"endpoint": "teams", "status": 500, "count": 5}))
        .await;
    let response = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({ "users": users.iter().map(|u| &u.id).collect::<Vec<_>>() }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: BulkAccepted = response.json().await.unwrap();

    let seen = std::cell::RefCell::new(Vec::new());
    let done = eventually("the bulk job to finish", || {
        let seen = &seen;
        async move {
            let status = bulk_status(app, token, accepted.job_id).await;
            seen.borrow_mut().push((
                status.job.status,
                status.job.attempts,
                status.job.progress.percent.unwrap_or(0),
            ));
            status.job.status.is_finished().then_some(status)
        }
    })
    .await;
    // The user caught by the failure is taken up again, and everyone gets a number.
    assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    assert!(
        done.job.attempts >= 2,
        "the failure cost an attempt: {done:?}"
    );
    assert!(done
        .items
        .iter()
        .all(|i| i.outcome == BulkItemOutcome::Assigned));
    // The progress bar never moves back (nor shows 100% while a user is still to do).
    let seen = seen.into_inner();
    assert!(
        seen.windows(2).all(|w| w[0].2 <= w[1].2),
        "progress went back: {seen:?}"
    );
}

#[tokio::test]
async fn a_tenant_without_the_numbers_write_permission_is_refused_up_front() {
    let t = with_numbers(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let users = licensed_users(app, token, None, 2).await;
    outcome(app.put_service(token, &users[0].id, None, None).await).await;
    assert_eq!(
        app.settled_user(token, &users[0].id).await.service.state,
        ServiceState::Active
    );

    // The grant now has TeamsTelephoneNumber.Read.All but not .ReadWrite.All; verification
    // sees it.
    app.sim_grant_permissions(
        tenant,
        &[
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
            "TeamsTelephoneNumber.Read.All",
            "TeamsUserConfiguration.Read.All",
        ],
    )
    .await;
    let report = app.verify(token).await;
    assert_ne!(
        report.outcome,
        shared::tenant_connection::VerificationOutcome::Passed
    );
    let jobs_before = app.job_rows_of(JobKind::PhoneServiceChange).await.len();

    let problem = assert_problem(
        app.put_service(token, &users[1].id, None, None).await,
        StatusCode::CONFLICT,
        "missing_permission",
    )
    .await;
    assert!(
        problem
            .detail
            .contains("TeamsTelephoneNumber.ReadWrite.All"),
        "{problem:?}"
    );
    assert_problem(
        app.delete_service(token, &users[0].id).await,
        StatusCode::CONFLICT,
        "missing_permission",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({"users": [users[1].id]}),
        )
        .await,
        StatusCode::CONFLICT,
        "missing_permission",
    )
    .await;
    // Nothing changed, nothing was sent towards Microsoft.
    assert_eq!(
        app.job_rows_of(JobKind::PhoneServiceChange).await.len(),
        jobs_before
    );
    assert!(app.job_rows_of(JobKind::BulkPhoneService).await.is_empty());
    let held = app.held_numbers(token).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].user.as_ref().unwrap().id, users[0].id);
    assert_eq!(
        app.user(token, &users[1].id).await.service.state,
        ServiceState::None
    );
    assert_eq!(
        app.user(token, &users[0].id).await.service.state,
        ServiceState::Active
    );
}

#[tokio::test]
async fn a_user_removed_from_the_tenant_gives_their_number_back_to_rest() {
    let t = with_numbers(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let user = &licensed_users(app, token, None, 1).await[0];
    outcome(app.put_service(token, &user.id, None, None).await).await;
    let number = app
        .settled_user(token, &user.id)
        .await
        .service
        .number
        .unwrap();

    let (status, body) = app
        .sim_control(
            Method::DELETE,
            &format!("tenants/{tenant}/users/{}", user.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let job = app.sync_users(token).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(job.result.unwrap()["removed"], 1);

    assert_problem(
        app.get(&format!("/api/v1/users/{}", user.id), Some(token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let rested = app.number(token, &number).await;
    assert_eq!(rested.status, NumberStatus::Aging);
    assert!(rested.user.is_none());
    assert!(rested.available_from.unwrap() > chrono::Utc::now());
    assert!(app.held_numbers(token).await.is_empty());
}

#[tokio::test]
async fn reconciliation_flags_numbers_teams_disagrees_about_and_overwrites_nothing() {
    let mut t = with_numbers(&[]).await;
    let users = licensed_users(&t.app, t.token(), None, 5).await;
    {
        let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
        // The portal gives +14255550100 to users[0] and +14255550101 to users[1].
        for (user, number) in [(&users[0], "+14255550100"), (&users[1], "+14255550101")] {
            outcome(app.put_service(token, &user.id, Some(number), None).await).await;
            assert_eq!(
                app.settled_user(token, &user.id).await.service.state,
                ServiceState::Active
            );
        }
        // Then in Teams, out of band: an inventory number the portal never gave is assigned;
        // users[0]'s number is taken away; users[1]'s number is moved to someone else.
        app.sim_assign_number(tenant, "+14255550160", &users[2].id)
            .await;
        app.sim_unassign_number(tenant, "+14255550100").await;
        app.sim_unassign_number(tenant, "+14255550101").await;
        app.sim_assign_number(tenant, "+14255550101", &users[3].id)
            .await;
        assert!(app.numbers(token, "conflict=true").await.is_empty());
    }

    // A process starts: its runner reconciles once at start-up.
    t.stop_runner().await;
    let app = &t.app;
    let token = t.token();
    let starting = app
        .telephony_runner("starting-process", Some(Duration::from_secs(3600)))
        .start();
    let run = eventually("the start-up reconciliation", || async move {
        app.job_rows_of(JobKind::Reconciliation)
            .await
            .into_iter()
            .find(|r| r.status.0.is_finished())
    })
    .await;
    starting.stop(Duration::from_secs(5)).await;
    assert_eq!(run.status.0, JobStatus::Succeeded, "{run:?}");
    assert_eq!(
        run.dedupe_key.as_deref(),
        Some("reconciliation@start:starting-process")
    );
    let result: serde_json::Value = serde_json::from_str(run.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["conflicts"], 3, "{result}");

    let flagged = app.numbers(token, "conflict=true").await;
    let kinds: HashMap<&str, (Mismatch, Option<&str>, Option<&str>)> = flagged
        .iter()
        .map(|n| {
            let c = n.conflict.as_ref().unwrap();
            (
                n.number.as_str(),
                (
                    c.kind,
                    c.teams_user_id.as_deref(),
                    c.teams_user_principal_name.as_deref(),
                ),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        HashMap::from([
            (
                "+14255550160",
                (
                    Mismatch::AssignedOutsidePortal,
                    Some(users[2].id.as_str()),
                    Some(users[2].user_principal_name.as_str())
                )
            ),
            ("+14255550100", (Mismatch::MissingInTeams, None, None)),
            (
                "+14255550101",
                (
                    Mismatch::AssignedToOtherUser,
                    Some(users[3].id.as_str()),
                    Some(users[3].user_principal_name.as_str())
                )
            ),
        ])
    );

    // Flagged for a person to settle; nothing was overwritten.
    let outside = app.number(token, "+14255550160").await;
    assert_eq!(outside.status, NumberStatus::Available);
    assert!(outside.user.is_none());
    for (user, number) in [(&users[0], "+14255550100"), (&users[1], "+14255550101")] {
        let n = app.number(token, number).await;
        assert_eq!(n.status, NumberStatus::Assigned);
        assert_eq!(n.user.unwrap().id, user.id);
        let u: DirectoryUser = app.user(token, &user.id).await;
        assert_eq!(u.service.state, ServiceState::Active);
    }
}

#[tokio::test]
async fn reconciliation_settles_the_reservations_of_a_process_that_died() {
    let mut t = with_numbers(&[]).await;
    t.stop_runner().await;
    let users = licensed_users(&t.app, t.token(), None, 2).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let mut reserved = Vec::new();
    for user in &users {
        let (_, answer) = outcome(app.put_service(token, &user.id, None, None).await).await;
        reserved.push((
            answer.user.service.number.unwrap(),
            answer.user.service.job_id.unwrap(),
        ));
    }
    // Teams had assigned the first user's number when the process died; the second's never
    // reached Teams. The process's jobs are gone for good, minutes ago.
    app.sim_assign_number(tenant, &reserved[0].0, &users[0].id)
        .await;
    strand(app, &reserved, &users).await;

    // A process starts and reconciles.
    let starting = app
        .telephony_runner("restarted-process", Some(Duration::from_secs(3600)))
        .start();
    let run = eventually("the start-up reconciliation", || async move {
        app.job_rows_of(JobKind::Reconciliation)
            .await
            .into_iter()
            .find(|r| r.status.0.is_finished())
    })
    .await;
    starting.stop(Duration::from_secs(5)).await;
    assert_eq!(run.status.0, JobStatus::Succeeded, "{run:?}");
    let result: serde_json::Value = serde_json::from_str(run.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["settled"], 2, "{result}");

    let first = app.user(token, &users[0].id).await;
    assert_eq!(first.service.state, ServiceState::Active, "{first:?}");
    assert_eq!(
        first.service.number.as_deref(),
        Some(reserved[0].0.as_str())
    );
    assert_eq!(
        app.number(token, &reserved[0].0).await.status,
        NumberStatus::Assigned
    );
    let second = app.user(token, &users[1].id).await;
    assert_eq!(second.service.state, ServiceState::Failed, "{second:?}");
    assert!(second.service.detail.unwrap().contains("interrupted"));
    let released = app.number(token, &reserved[1].0).await;
    assert_eq!(released.status, NumberStatus::Available);
    assert!(released.user.is_none());
    // Nothing is left in flight, and nothing was flagged: the portal and Teams agree.
    assert_eq!(app.held_numbers(token).await.len(), 1);
    assert!(app.numbers(token, "conflict=true").await.is_empty());
}

/// Makes the reservations look left behind by a process that died minutes ago: their jobs
/// ended for good, nothing has happened to the users since.
async fn strand(app: &TestApp, reserved: &[(String, uuid::Uuid)], users: &[DirectoryUser]) {
    let jobs: Vec<tenant_connect::domain::ids::JobId> = reserved
        .iter()
        .map(|(_, job)| tenant_connect::domain::ids::JobId::from(*job))
        .collect();
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    app.db()
        .run(move |conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::{directory_users, jobs as job_table};
            let long_ago = tenant_connect::domain::stored::now() - chrono::Duration::minutes(10);
            diesel::update(job_table::table.filter(job_table::id.eq_any(&jobs)))
                .set((
                    job_table::status.eq(tenant_connect::db::jobs::StoredStatus(JobStatus::Failed)),
                    job_table::finished_at.eq(Some(long_ago)),
                ))
                .execute(conn)?;
            diesel::update(directory_users::table.filter(directory_users::id.eq_any(&ids)))
                .set(directory_users::service_updated_at.eq(Some(long_ago)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn reconciliation_leaves_a_disconnected_accounts_stranded_number_resting() {
    let mut t = with_numbers(&[]).await;
    t.stop_runner().await;
    let users = licensed_users(&t.app, t.token(), None, 1).await;
    let (app, token) = (&t.app, t.token());
    let (_, answer) = outcome(app.put_service(token, &users[0].id, None, None).await).await;
    let reserved = vec![(
        answer.user.service.number.unwrap(),
        answer.user.service.job_id.unwrap(),
    )];
    strand(app, &reserved, &users).await;
    // The admin disconnects the tenant: Teams can no longer be asked about the number.
    let response = app.delete("/api/v1/tenant-connection", Some(token)).await;
    assert!(response.status().is_success(), "{}", response.status());

    let starting = app
        .telephony_runner("restarted-process", Some(Duration::from_secs(3600)))
        .start();
    let run = eventually("the start-up reconciliation", || async move {
        app.job_rows_of(JobKind::Reconciliation)
            .await
            .into_iter()
            .find(|r| r.status.0.is_finished())
    })
    .await;
    starting.stop(Duration::from_secs(5)).await;
    assert_eq!(run.status.0, JobStatus::Succeeded, "{run:?}");

    let user = app.user(token, &users[0].id).await;
    assert_eq!(user.service.state, ServiceState::Failed, "{user:?}");
    assert!(user.service.detail.unwrap().contains("disconnected"));
    // Teams may hold it: the number rests instead of going straight back.
    let number = app.number(token, &reserved[0].0).await;
    assert_eq!(number.status, NumberStatus::Aging, "{number:?}");
    assert!(number.user.is_none());
    assert!(number.available_from.is_some());
}

/// Starts another API process on the first one's PostgreSQL database (and its DATA_DIR, so
/// that it shares the session-signing secret, as processes of one deployment do).
async fn second_process(first: &TestApp) -> String {
    let url = first.postgres_url().expect("on PostgreSQL");
    let data = first.data_dir.path().display().to_string();
    let web = first.data_dir.path().join("no-web").display().to_string();
    let mut args = vec![
        "tenant-connect",
        "--bind-addr",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--database-url",
        &url,
        "--database-pool-size",
        "4",
        "--web-dir",
        &web,
        "--ms-client-secret",
        TEST_CLIENT_SECRET,
    ];
    args.extend_from_slice(&QUICK);
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let app = Application::build(cli.config).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

#[tokio::test]
async fn two_api_processes_on_one_postgresql_give_distinct_numbers() {
    if std::env::var("TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("skipped: two processes share a database on PostgreSQL only");
        return;
    }
    let mut t = with_numbers(&[]).await;
    t.stop_runner().await;
    let other = second_process(&t.app).await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 50).await;

    // Every other request goes to the other process; all at once.
    let requests = users.iter().enumerate().map(|(i, user)| {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            other.clone()
        };
        let request = app
            .client
            .put(format!("{base}/api/v1/users/{}/phone-service", user.id))
            .bearer_auth(token)
            .json(&json!({}));
        async move { request.send().await.unwrap() }
    });
    let answers = join_all(requests).await;
    let mut given = HashMap::new();
    for response in answers {
        let (status, answer) = outcome(response).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let number = answer.user.service.number.unwrap();
        if let Some(before) = given.insert(number.clone(), answer.user.id.clone()) {
            panic!("{number} was given to {before} and {}", answer.user.id);
        }
    }
    assert_eq!(given.len(), 50);
    let reserved = app.numbers(token, "status=reserved").await;
    assert_eq!(reserved.len(), 50);
    assert_one_each(&reserved);
    assert_eq!(count_status(app, token, NumberStatus::Available).await, 50);
}

#[tokio::test]
async fn a_throttled_bulk_waits_and_still_gives_each_user_one_number() {
    let t = with_numbers(&[]).await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 6).await;
    // Teams answers the next four calls 429, asking for a second's pause each.
    app.sim_fault(json!({"endpoint": "teams", "status": 429, "retry_after": 1, "count": 4}))
        .await;
    let refs: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let accepted: BulkAccepted = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({ "users": refs }),
        )
        .await
        .json()
        .await
        .unwrap();
    let done = eventually("the throttled bulk job to finish", || async {
        let status = bulk_status(app, token, accepted.job_id).await;
        status.job.status.is_finished().then_some(status)
    })
    .await;
    assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    assert!(
        done.items
            .iter()
            .all(|i| i.outcome == shared::phone_service::BulkItemOutcome::Assigned),
        "{:?}",
        done.items
    );
    // The throttled calls were retried, not lost and not repeated: one number each.
    let assigned = app.numbers(token, "status=assigned").await;
    assert_eq!(assigned.len(), 6);
    assert_one_each(&assigned);
    let faults: serde_json::Value = app
        .client
        .get(app.url("/_microsoft/control/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A fault is removed once its count is spent: all four 429s were answered.
    assert_eq!(
        faults["faults"],
        json!([]),
        "every throttled answer was met"
    );
}

#[tokio::test]
async fn a_bulk_through_bursts_of_5xx_and_slow_answers_settles_everyone_once_as_teams_shows() {
    let t = with_numbers(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let users = licensed_users(app, token, None, 20).await;
    // Half of Teams' answers are 503 (until 15 were), some others slow.
    app.sim_fault(json!([
        {"endpoint": "teams", "status": 503, "fraction": 0.5, "count": 15},
        {"endpoint": "teams", "latency_ms": 40, "fraction": 0.3},
    ]))
    .await;
    let refs: Vec<&str> = users
        .iter()
        .map(|u| u.user_principal_name.as_str())
        .collect();
    let accepted: BulkAccepted = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({ "users": refs }),
        )
        .await
        .json()
        .await
        .unwrap();
    let done = eventually("the bulk job to finish through the faults", || async {
        let status = bulk_status(app, token, accepted.job_id).await;
        status.job.status.is_finished().then_some(status)
    })
    .await;
    assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    // Everyone ends with a number, or with a failure that says why; nobody is left waiting.
    for item in &done.items {
        match item.outcome {
            BulkItemOutcome::Assigned => assert!(item.number.is_some(), "{item:?}"),
            BulkItemOutcome::Failed => assert!(item.detail.is_some(), "{item:?}"),
            other => panic!("{} ended {other:?}", item.user),
        }
    }
    assert!(app.numbers(token, "status=reserved").await.is_empty());
    let assigned = app.numbers(token, "status=assigned").await;
    assert_one_each(&assigned);
    assert_eq!(
        assigned.len(),
        done.items
            .iter()
            .filter(|i| i.outcome == BulkItemOutcome::Assigned)
            .count()
    );

    // All fifteen 503s were served (a spent fault is removed; the slow one stays).
    let faults: serde_json::Value = app
        .client
        .get(app.url("/_microsoft/control/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !faults.to_string().contains("503"),
        "the 503 burst was not spent: {faults}"
    );

    // Teams, asked directly, shows exactly the portal's assignments of the inventory's numbers
    // (the tenant's own earlier numbers aside): none twice, none lost.
    app.sim_fault(json!([])).await;
    let teams: HashMap<String, String> = app
        .state
        .connections
        .client()
        .number_assignments(tenant, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.telephone_number.starts_with("+142555501"))
        .filter_map(|n| {
            n.assignment_target_id
                .map(|user| (n.telephone_number, user.to_ascii_lowercase()))
        })
        .collect();
    let portal: HashMap<String, String> = assigned
        .iter()
        .map(|n| (n.number.clone(), n.user.as_ref().unwrap().id.clone()))
        .collect();
    assert_eq!(teams, portal);
}
