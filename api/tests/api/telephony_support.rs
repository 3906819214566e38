//! What the telephony tests share: an app whose own runner is off (each test runs a quick
//! runner of its own, as another process would), a tenant connected through the simulator,
//! the users synced, number blocks, and waiting (with a deadline) for the background work.

use std::{future::Future, sync::Arc, time::Duration};

use diesel::prelude::*;
use reqwest::{header, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use shared::{
    api_tokens::CreatedApiToken,
    directory::DirectoryUser,
    jobs::{Job, JobKind, JobStatus},
    numbers::{LoadedNumbers, NumberStatus, PhoneNumber},
    paging::Page,
    tenant_connection::VerificationOutcome,
};
use tenant_connect::{
    db::{self, jobs::JobRow, schema::jobs},
    jobs::runner::{Backoff, Runner, RunnerHandle, RunnerSettings},
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{spawn_app_with, TestAccount, TestApp},
};

pub const FABRIKAM_ADMIN: &str = "admin@fabrikam.onmicrosoft.com";

/// How long any background work may take before a test gives up on it.
pub const WAIT: Duration = Duration::from_secs(30);

/// The app's own runner is off; Teams operations are polled quickly; nothing is scheduled.
pub const QUICK: [&str; 8] = [
    "--job-workers",
    "0",
    "--operation-poll-ms",
    "20",
    "--user-sync-interval-seconds",
    "0",
    "--reconcile-interval-seconds",
    "0",
];

pub async fn spawn_telephony(extra: &[&str]) -> TestApp {
    let mut args: Vec<&str> = QUICK.to_vec();
    args.extend_from_slice(extra);
    spawn_app_with(&args).await
}

/// Polls `probe` until it answers `Some`, at most [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A contoso account connected to the simulated Contoso tenant, its users synced, with a
/// runner working its jobs.
pub struct Connected {
    pub app: TestApp,
    pub admin: TestAccount,
    pub tenant: String,
    pub runner: Option<RunnerHandle>,
}

impl Connected {
    pub async fn new(extra: &[&str]) -> Connected {
        let app = spawn_telephony(extra).await;
        let admin = app
            .account("Contoso Telephony", "admin@contoso.example")
            .await;
        let tenant = app
            .connect_tenant(&admin.token, "Contoso", CONTOSO_ADMIN)
            .await;
        let runner = Some(app.start_runner("test-runner"));
        let job = app.sync_users(&admin.token).await;
        assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
        Connected {
            app,
            admin,
            tenant,
            runner,
        }
    }

    pub fn token(&self) -> &str {
        &self.admin.token
    }

    pub async fn stop_runner(&mut self) {
        if let Some(runner) = self.runner.take() {
            runner.stop(Duration::from_secs(5)).await;
        }
    }

    pub fn start_runner(&mut self) {
        if self.runner.is_none() {
            self.runner = Some(self.app.start_runner("test-runner-again"));
        }
    }
}

impl TestApp {
    /// A runner as another process would have: quick to poll, quick to retry, scheduling
    /// nothing of its own (`health_slot` None).
    pub fn telephony_runner(&self, name: &str, health_slot: Option<Duration>) -> Runner {
        Runner::new(
            self.db().clone(),
            self.state.connections.clone(),
            RunnerSettings {
                process_id: name.to_owned(),
                concurrency: 8,
                poll_interval: Duration::from_millis(20),
                lease: Duration::from_secs(10),
                backoff: Backoff {
                    base: Duration::from_millis(200),
                    max: Duration::from_secs(2),
                },
                health_slot,
                telephony: Arc::new(self.state.config.telephony()),
            },
        )
    }

    pub fn start_runner(&self, name: &str) -> RunnerHandle {
        self.telephony_runner(name, None).start()
    }

    /// Steps 1 to 4 for `tenant_name` by its Global Administrator `admin_upn`: the tenant id.
    pub async fn connect_tenant(&self, token: &str, tenant_name: &str, admin_upn: &str) -> String {
        let attempt = self.start_setup(token).await;
        let (status, location, _) = self.answer_consent(&attempt, admin_upn, "accept").await;
        assert_eq!(status, StatusCode::FOUND);
        let landed = self
            .callback(&location.unwrap(), Some(&attempt.cookie))
            .await;
        assert_eq!(landed, "/tenant-connection?consent=granted");
        let tenant = self.sim_tenant(tenant_name).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.sim_assign_role(&tenant, true).await;
        let report = self.verify(token).await;
        assert_eq!(report.outcome, VerificationOutcome::Passed, "{report:?}");
        tenant
    }

    pub async fn json_ok<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let response = self.get(path, Some(token)).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    pub async fn job(&self, token: &str, id: uuid::Uuid) -> Job {
        self.json_ok(&format!("/api/v1/jobs/{id}"), token).await
    }

    /// Waits (through the API) until the job is finished.
    pub async fn finished_job(&self, token: &str, id: uuid::Uuid) -> Job {
        eventually(&format!("job {id} to finish"), || async move {
            let job = self.job(token, id).await;
            job.status.is_finished().then_some(job)
        })
        .await
    }

    pub async fn start_sync(&self, token: &str) -> Job {
        let response = self
            .post("/api/v1/users/sync", Some(token), &json!({}))
            .await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// "Sync now", followed to its end (a runner must be running).
    pub async fn sync_users(&self, token: &str) -> Job {
        let job = self.start_sync(token).await;
        assert_eq!(job.kind, JobKind::UserSync);
        self.finished_job(token, job.id).await
    }

    /// Every item of a paged list, following `next` to the end.
    pub async fn all_pages<T: DeserializeOwned>(&self, first: &str, token: &str) -> Vec<T> {
        let mut items = Vec::new();
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(path) = next {
            let page: Page<T> = self.json_ok(&path, token).await;
            items.extend(page.items);
            next = page.next;
            pages += 1;
            assert!(pages < 1000, "the pages never end");
        }
        items
    }

    pub async fn users(&self, token: &str, query: &str) -> Vec<DirectoryUser> {
        self.all_pages(&format!("/api/v1/users?limit=500&{query}"), token)
            .await
    }

    pub async fn user(&self, token: &str, id: &str) -> DirectoryUser {
        self.json_ok(&format!("/api/v1/users/{id}"), token).await
    }

    pub async fn numbers(&self, token: &str, query: &str) -> Vec<PhoneNumber> {
        self.all_pages(&format!("/api/v1/numbers?limit=500&{query}"), token)
            .await
    }

    pub async fn number(&self, token: &str, number: &str) -> PhoneNumber {
        let digits = number.trim_start_matches('+');
        let found: Vec<PhoneNumber> = self
            .numbers(token, &format!("q={digits}"))
            .await
            .into_iter()
            .filter(|n| n.number == number)
            .collect();
        assert_eq!(found.len(), 1, "{number} is in the inventory once");
        found.into_iter().next().unwrap()
    }

    /// The numbers the portal holds for users (reserved or assigned).
    pub async fn held_numbers(&self, token: &str) -> Vec<PhoneNumber> {
        let mut held = self.numbers(token, "status=reserved").await;
        held.extend(self.numbers(token, "status=assigned").await);
        held
    }

    pub async fn load_numbers(&self, token: &str, body: Value) -> Response {
        self.post("/api/v1/number-blocks", Some(token), &body).await
    }

    pub async fn load_range(&self, token: &str, start: &str, count: u32) -> LoadedNumbers {
        let response = self
            .load_numbers(
                token,
                json!({"start": start, "count": count, "label": "Seattle"}),
            )
            .await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    pub async fn load_csv(&self, token: &str, query: &str, csv: &str) -> Response {
        self.request(
            reqwest::Method::POST,
            &format!("/api/v1/number-blocks{query}"),
            Some(token),
        )
        .header(header::CONTENT_TYPE, "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
    }

    /// An API token of the account with this role (`viewer`, `staff`, `admin`).
    pub async fn token_with_role(&self, admin_token: &str, role: &str) -> String {
        let response = self
            .post(
                "/api/v1/api-tokens",
                Some(admin_token),
                &json!({"name": format!("A {role}"), "role": role}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: CreatedApiToken = response.json().await.unwrap();
        created.secret
    }

    pub async fn put_service(
        &self,
        token: &str,
        user: &str,
        number: Option<&str>,
        key: Option<&str>,
    ) -> Response {
        let body = match number {
            Some(number) => json!({ "number": number }),
            None => json!({}),
        };
        let mut request = self
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/users/{user}/phone-service"),
                Some(token),
            )
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn delete_service(&self, token: &str, user: &str) -> Response {
        self.delete(&format!("/api/v1/users/{user}/phone-service"), Some(token))
            .await
    }

    /// Waits until the user's service is settled (neither pending nor removing).
    pub async fn settled_user(&self, token: &str, id: &str) -> DirectoryUser {
        eventually(&format!("{id}'s phone service to settle"), || async move {
            let user = self.user(token, id).await;
            (!user.service.state.is_in_flight()).then_some(user)
        })
        .await
    }

    /// The simulator's control API: a change an admin makes in Entra or Teams.
    pub async fn sim_control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(&format!("/_microsoft/control/{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Teams assigns `number` to `user` out of band of the portal (Teams PowerShell).
    pub async fn sim_assign_number(&self, tenant: &str, number: &str, user: &str) {
        let (status, body) = self
            .sim_control(
                reqwest::Method::POST,
                &format!("tenants/{tenant}/number-assignments"),
                Some(json!({"telephoneNumber": number, "userId": user})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    pub async fn sim_unassign_number(&self, tenant: &str, number: &str) {
        let encoded = number.replace('+', "%2B");
        let (status, body) = self
            .sim_control(
                reqwest::Method::DELETE,
                &format!("tenants/{tenant}/number-assignments/{encoded}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }

    /// Every job of `kind` in the database (system jobs too).
    pub async fn job_rows_of(&self, kind: JobKind) -> Vec<JobRow> {
        self.db()
            .run(move |conn| {
                Ok(jobs::table
                    .filter(jobs::kind.eq(db::jobs::StoredKind(kind)))
                    .select(JobRow::as_select())
                    .load(conn)?)
            })
            .await
            .unwrap()
    }
}

/// Licensed users of the directory, without phone service, in the country given (the US, the
/// country of the numbers most tests load, when `None`: Teams gives a user only numbers of
/// their usage location's country), enabled, and without a Teams number already.
pub async fn licensed_users(
    app: &TestApp,
    token: &str,
    country: Option<&str>,
    count: usize,
) -> Vec<DirectoryUser> {
    let country = country.unwrap_or("US");
    let query = format!("licensed=true&service=none&usage_location={country}");
    let users: Vec<DirectoryUser> = app
        .users(token, &query)
        .await
        .into_iter()
        .filter(|u| u.account_enabled && u.teams_numbers.is_empty())
        .take(count)
        .collect();
    assert_eq!(users.len(), count, "the tenant has {count} such users");
    users
}

/// How many numbers of each status, from the list (not from capacity).
pub async fn count_status(app: &TestApp, token: &str, status: NumberStatus) -> usize {
    app.numbers(token, &format!("status={}", status.as_str()))
        .await
        .len()
}
