//! Fairness between accounts (issue #22 items 3 and 14): one account's bulk work does not keep
//! another account's single change waiting; an account has at most BULK_MAX_UNFINISHED bulk
//! jobs queued or running; and a bulk job counts a user that another change gave service as
//! `already_active`, never as its own `assigned`.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::{
    directory::{DirectoryUser, ServiceState},
    jobs::{JobKind, JobStatus},
    phone_service::{BulkAccepted, BulkItemOutcome, BulkStatus, PhoneServiceOutcome},
};
use tenant_connect::{
    db::jobs::StoredStatus,
    domain::ids::AccountId,
    jobs::runner::{Backoff, Runner, RunnerSettings},
};

use crate::{
    helpers::{assert_problem, TestAccount, TestApp},
    telephony_support::{eventually, licensed_users, spawn_telephony, Connected, FABRIKAM_ADMIN},
};

/// "Within a few seconds": generous, so that a slow CI machine does not fail it; the job it
/// measures waits minutes without fairness.
const STARTS_WITHIN: Duration = Duration::from_secs(5);

async fn start_bulk(app: &TestApp, token: &str, users: &[&str]) -> reqwest::Response {
    app.post(
        "/api/v1/phone-service/bulk",
        Some(token),
        &json!({ "users": users }),
    )
    .await
}

async fn bulk_started(app: &TestApp, token: &str, users: &[&str]) -> BulkAccepted {
    let response = start_bulk(app, token, users).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn bulk_status(app: &TestApp, token: &str, id: uuid::Uuid) -> BulkStatus {
    app.json_ok(&format!("/api/v1/phone-service/bulk/{id}"), token)
        .await
}

async fn finished_bulk(app: &TestApp, token: &str, id: uuid::Uuid) -> BulkStatus {
    eventually("the bulk job to finish", || async move {
        let status = bulk_status(app, token, id).await;
        status.job.status.is_finished().then_some(status)
    })
    .await
}

/// `PUT /users/{id}/phone-service`: the user as it stands, with the job following the change.
async fn single_change(app: &TestApp, token: &str, user: &str) -> DirectoryUser {
    let response = app.put_service(token, user, None, None).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let outcome: PhoneServiceOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(outcome.user.service.state, ServiceState::Pending);
    outcome.user
}

/// The account's jobs of `kind` with this status, read from the database.
async fn count_jobs(
    app: &TestApp,
    account: &TestAccount,
    kind: JobKind,
    status: JobStatus,
) -> usize {
    let account = AccountId::from(account.account_id);
    app.job_rows_of(kind)
        .await
        .into_iter()
        .filter(|row| row.account_id.as_ref() == Some(&account))
        .filter(|row| row.status == StoredStatus(status))
        .count()
}

/// The user's number, once they have service.
async fn active_number(app: &TestApp, token: &str, user: &str) -> Option<String> {
    let now = app.user(token, user).await;
    assert_eq!(now.service.state, ServiceState::Active, "{now:?}");
    now.service.number
}

#[tokio::test]
async fn a_single_change_starts_within_seconds_while_another_account_has_ten_thousand_users_queued()
{
    // Teams takes 200 ms per change (the tests' SIM_OPERATION_DELAY_MS): a bulk of 5,000
    // users holds its worker for minutes.
    let app = spawn_telephony(&["--bulk-max-unfinished", "2"]).await;
    // Account A: a tenant of 12,000 users, 10,000 numbers. Account B: Fabrikam.
    let (status, body) = app
        .sim_control(
            Method::POST,
            "tenants",
            Some(json!({"name": "Heavy Bulk", "users": 12_000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let a = app.account("Heavy Bulk", "admin@heavy.example").await;
    app.connect_tenant(&a.token, "Heavy Bulk", "admin@heavybulk.onmicrosoft.com")
        .await;
    let b = app.account("Single Change", "admin@single.example").await;
    app.connect_tenant(&b.token, "Fabrikam", FABRIKAM_ADMIN)
        .await;
    let setup = app.start_runner("setup");
    for token in [&a.token, &b.token] {
        let synced = app.sync_users(token).await;
        assert_eq!(synced.status, JobStatus::Succeeded, "{synced:?}");
    }
    setup.stop(Duration::from_secs(5)).await;
    app.load_range(&a.token, "+12065550000", 10_000).await;
    app.load_range(&b.token, "+14255550100", 10).await;

    // A queues two bulks of 5,000 users (10,000 in all), then 60 single changes of its own.
    let everyone = app.users(&a.token, "").await;
    let singles: Vec<&DirectoryUser> = everyone
        .iter()
        .filter(|u| u.licensed && u.account_enabled && u.teams_numbers.is_empty())
        // The numbers are US ones: Teams gives a user only numbers of their usage location.
        .filter(|u| u.usage_location.as_deref() == Some("US"))
        .take(60)
        .collect();
    assert_eq!(singles.len(), 60);
    let in_bulk: Vec<&str> = everyone
        .iter()
        .filter(|u| !singles.iter().any(|s| s.id == u.id))
        .map(|u| u.id.as_str())
        .take(10_000)
        .collect();
    assert_eq!(in_bulk.len(), 10_000);
    for half in in_bulk.chunks(5_000) {
        bulk_started(&app, &a.token, half).await;
    }
    for user in &singles {
        single_change(&app, &a.token, &user.id).await;
    }

    // Two workers, as a small deployment has: FIFO would give both to A's bulks.
    let runner = Runner::new(
        app.db().clone(),
        app.state.connections.clone(),
        RunnerSettings {
            process_id: "fair-runner".to_owned(),
            concurrency: 2,
            poll_interval: Duration::from_millis(20),
            lease: Duration::from_secs(10),
            backoff: Backoff {
                base: Duration::from_millis(200),
                max: Duration::from_secs(2),
            },
            health_slot: None,
            telephony: std::sync::Arc::new(app.state.config.telephony()),
        },
    )
    .start();
    eventually("A's first bulk to start", || async {
        (count_jobs(&app, &a, JobKind::BulkPhoneService, JobStatus::Running).await >= 1)
            .then_some(())
    })
    .await;

    // B asks for one change: its job is claimed within seconds, ahead of A's backlog.
    let b_user = licensed_users(&app, &b.token, None, 1).await.remove(0);
    let asked = tokio::time::Instant::now();
    let pending = single_change(&app, &b.token, &b_user.id).await;
    let b_job = pending.service.job_id.unwrap();
    let claimed = loop {
        let job = app.job(&b.token, b_job).await;
        if job.attempts >= 1 {
            break asked.elapsed();
        }
        assert!(
            asked.elapsed() < STARTS_WITHIN,
            "B's single change waited more than {STARTS_WITHIN:?} behind A's work: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // It overtook A's queue: most of A's single changes and its second bulk still wait.
    let a_singles_left = count_jobs(&app, &a, JobKind::PhoneServiceChange, JobStatus::Queued).await;
    assert!(
        a_singles_left >= 30,
        "B waited {claimed:?}, behind {} of A's single changes",
        60 - a_singles_left
    );
    assert_eq!(
        count_jobs(&app, &a, JobKind::BulkPhoneService, JobStatus::Queued).await,
        1,
        "A's second bulk waits: a bulk never takes a runner's last free worker"
    );
    let settled = app.settled_user(&b.token, &b_user.id).await;
    assert_eq!(settled.service.state, ServiceState::Active, "{settled:?}");
    runner.stop(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_second_bulk_of_an_account_is_refused_naming_the_unfinished_one() {
    let mut t = Connected::new(&[]).await;
    t.app.load_range(t.token(), "+14255550100", 20).await;
    // Nothing runs the jobs for now: the first bulk stays queued.
    t.stop_runner().await;
    let (app, token) = (&t.app, t.token());
    let users = licensed_users(app, token, None, 4).await;
    let first = bulk_started(app, token, &[users[0].id.as_str(), users[1].id.as_str()]).await;

    let problem = assert_problem(
        start_bulk(app, token, &[users[2].id.as_str()]).await,
        StatusCode::CONFLICT,
        "bulk_job_unfinished",
    )
    .await;
    assert!(
        problem.detail.contains(&first.job_id.to_string()),
        "the problem names the unfinished job: {problem:?}"
    );
    // Nothing was started.
    assert_eq!(app.job_rows_of(JobKind::BulkPhoneService).await.len(), 1);

    // Another account is not held back by this one's bulk.
    let other = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    app.connect_tenant(&other.token, "Fabrikam", FABRIKAM_ADMIN)
        .await;
    let _runner = app.start_runner("runner-again");
    let synced = app.sync_users(&other.token).await;
    assert_eq!(synced.status, JobStatus::Succeeded, "{synced:?}");
    app.load_range(&other.token, "+14255550300", 5).await;
    let theirs = licensed_users(app, &other.token, None, 1).await;
    bulk_started(app, &other.token, &[theirs[0].id.as_str()]).await;

    // Once the first has finished, the account may start the next.
    let done = finished_bulk(app, token, first.job_id).await;
    assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    let next = bulk_started(app, token, &[users[2].id.as_str()]).await;
    let done = finished_bulk(app, token, next.job_id).await;
    assert_eq!(done.items[0].outcome, BulkItemOutcome::Assigned, "{done:?}");
}

#[tokio::test]
async fn a_bulk_counts_a_user_another_change_gave_service_as_already_active() {
    let mut t = Connected::new(&["--bulk-max-unfinished", "2"]).await;
    t.app.load_range(t.token(), "+14255550100", 20).await;
    let users = licensed_users(&t.app, t.token(), None, 4).await;
    let [u0, u1, u2, u3] = [&users[0].id, &users[1].id, &users[2].id, &users[3].id];

    // A single change of u0, then two overlapping bulks: both name u1; the second names u0.
    // They are queued first and then run at once; Teams takes 200 ms per change, so each bulk
    // finds the other changes of its users in flight.
    t.stop_runner().await;
    single_change(&t.app, t.token(), u0).await;
    let x = bulk_started(&t.app, t.token(), &[u1.as_str(), u2.as_str()]).await;
    let y = bulk_started(&t.app, t.token(), &[u0.as_str(), u1.as_str(), u3.as_str()]).await;
    t.start_runner();
    let (app, token) = (&t.app, t.token());
    let [x, y] = <[BulkStatus; 2]>::try_from(
        join_all([x.job_id, y.job_id].map(|id| finished_bulk(app, token, id))).await,
    )
    .unwrap();
    for done in [&x, &y] {
        assert_eq!(done.job.status, JobStatus::Succeeded, "{done:?}");
    }
    let outcome = |done: &BulkStatus, user: &str| {
        let item = done
            .items
            .iter()
            .find(|i| i.user_id.as_deref() == Some(user))
            .unwrap_or_else(|| panic!("{user} in {done:?}"))
            .clone();
        (item.outcome, item.number)
    };

    // u0 got service from the single change: the bulk says so, with that number.
    assert_eq!(
        outcome(&y, u0),
        (
            BulkItemOutcome::AlreadyActive,
            active_number(app, token, u0).await
        )
    );
    // u1 was given service once, by one of the bulks; the other says it already had it.
    let mut u1_outcomes = [outcome(&x, u1).0, outcome(&y, u1).0];
    u1_outcomes.sort_by_key(|o| o.as_str());
    assert_eq!(
        u1_outcomes,
        [BulkItemOutcome::AlreadyActive, BulkItemOutcome::Assigned]
    );
    assert_eq!(outcome(&x, u1).1, active_number(app, token, u1).await);
    assert_eq!(outcome(&y, u1).1, active_number(app, token, u1).await);
    assert_eq!(outcome(&x, u2).0, BulkItemOutcome::Assigned);
    assert_eq!(outcome(&y, u3).0, BulkItemOutcome::Assigned);

    // The jobs' results and ledger summaries count each user once as assigned.
    let counts = |done: &BulkStatus| {
        let result = done.job.result.clone().unwrap();
        (
            result["assigned"].as_u64().unwrap(),
            result["already_active"].as_u64().unwrap(),
            result["failed"].as_u64().unwrap(),
        )
    };
    let (xa, xo, xf) = counts(&x);
    let (ya, yo, yf) = counts(&y);
    assert_eq!((xa + ya, xo + yo, xf + yf), (3, 2, 0), "{x:?} {y:?}");
    assert_eq!(app.numbers(token, "status=assigned").await.len(), 4);
}
