//! The durable job queue: claims across runners, leases, retries with backoff, the periodic
//! connection health job, and `GET /api/v1/jobs/{id}`. The app's own runner is off
//! (`--job-workers 0`): each test runs the runners it needs, as separate processes would.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use shared::{
    jobs::{Job, JobKind, JobStatus},
    phone_service::BulkItemOutcome,
    tenant_connection::ConnectionState,
};
use tenant_connect::{
    db::{
        self,
        bulk_items::{BulkItemRow, StoredOutcome},
        jobs::JobRow,
        schema::jobs,
    },
    domain::{
        ids::{AccountId, JobId},
        stored,
    },
    jobs::{
        periodic, queue,
        runner::{Backoff, Runner, RunnerSettings},
        Echo,
    },
};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};

const BASE_DELAY: Duration = Duration::from_secs(1);

async fn spawn_without_runner() -> TestApp {
    spawn_app_with(&["--job-workers", "0"]).await
}

impl TestApp {
    /// A runner as another process would have, quick to poll and to retry.
    fn runner(&self, name: &str, concurrency: usize, health_slot: Option<Duration>) -> Runner {
        Runner::new(
            self.db().clone(),
            self.state.connections.clone(),
            RunnerSettings {
                process_id: name.to_owned(),
                concurrency,
                poll_interval: Duration::from_millis(20),
                lease: Duration::from_secs(3),
                backoff: Backoff {
                    base: BASE_DELAY,
                    max: Duration::from_secs(10),
                },
                health_slot,
                telephony: Default::default(),
            },
        )
    }

    async fn enqueue_echo(&self, account: Option<uuid::Uuid>, echo: Echo) -> JobId {
        self.db()
            .run(move |conn| queue::enqueue(conn, account.map(AccountId::from).as_ref(), &echo))
            .await
            .unwrap()
    }

    async fn job_row(&self, id: &JobId) -> JobRow {
        let id = id.clone();
        self.db()
            .run(move |conn| Ok(db::jobs::find(conn, &id)?))
            .await
            .unwrap()
            .unwrap()
    }

    async fn job_rows(&self, kind: JobKind) -> Vec<JobRow> {
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

    /// Makes a job look like a process claimed it and crashed: running, leased until `until`.
    async fn crash_with(&self, id: &JobId, until: chrono::NaiveDateTime) {
        self.crash_on_attempt(id, 1, until).await;
    }

    async fn crash_on_attempt(&self, id: &JobId, attempt: i32, until: chrono::NaiveDateTime) {
        let id = id.clone();
        self.db()
            .run(move |conn| {
                diesel::update(jobs::table.find(&id))
                    .set((
                        jobs::status.eq(db::jobs::StoredStatus(JobStatus::Running)),
                        jobs::attempts.eq(attempt),
                        jobs::leased_by.eq("crashed-process"),
                        jobs::lease_until.eq(until),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }

    async fn get_job(&self, id: &JobId, token: &str) -> reqwest::Response {
        self.get(&format!("/api/v1/jobs/{id}"), Some(token)).await
    }

    /// Waits until every job of `kind` is finished (at most 30 s).
    async fn wait_until_finished(&self, kind: JobKind, count: usize) -> Vec<JobRow> {
        for _ in 0..600 {
            let rows = self.job_rows(kind).await;
            if rows.len() >= count && rows.iter().all(|r| r.status.0.is_finished()) {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the {kind:?} jobs did not finish");
    }
}

fn echo(message: &str) -> Echo {
    Echo {
        message: message.to_owned(),
        ..Echo::default()
    }
}

#[tokio::test]
async fn two_runners_run_every_job_of_one_queue_once() {
    let app = spawn_without_runner().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    const N: usize = 16;
    for i in 0..N {
        let job = Echo {
            steps: 1,
            step_ms: 40,
            ..echo(&format!("job {i}"))
        };
        app.enqueue_echo(Some(a.account_id), job).await;
    }

    let one = app.runner("runner-one", 2, None).start();
    let two = app.runner("runner-two", 2, None).start();
    let rows = app.wait_until_finished(JobKind::Echo, N).await;
    one.stop(Duration::from_secs(5)).await;
    two.stop(Duration::from_secs(5)).await;

    assert_eq!(rows.len(), N);
    let mut ran_by = std::collections::HashMap::<String, usize>::new();
    for row in &rows {
        // Every claim counts an attempt: one attempt each is one run each.
        assert_eq!(row.status.0, JobStatus::Succeeded, "{row:?}");
        assert_eq!(row.attempts, 1, "{row:?}");
        let result: serde_json::Value =
            serde_json::from_str(row.result.as_deref().unwrap()).unwrap();
        let runner = result["ran_by"].as_str().unwrap().to_owned();
        assert_eq!(row.leased_by.as_deref(), Some(runner.as_str()));
        *ran_by.entry(runner).or_default() += 1;
    }
    assert_eq!(ran_by.values().sum::<usize>(), N);
    assert!(
        ran_by.contains_key("runner-one") && ran_by.contains_key("runner-two"),
        "both runners took a share: {ran_by:?}"
    );
}

#[tokio::test]
async fn a_job_whose_process_crashed_is_picked_up_when_its_lease_ends() {
    let app = spawn_without_runner().await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let tenant = app.sim_tenant("Contoso").await;
    let tid = tenant["id"].as_str().unwrap();
    app.grant_consent(&a.token).await;
    app.sim_assign_role(tid, true).await;
    app.verify(&a.token).await;
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );

    // The role is removed; the health check that should notice is due.
    app.sim_assign_role(tid, false).await;
    app.state
        .connections
        .make_health_checks_due()
        .await
        .unwrap();
    let now = stored::now();
    app.db()
        .run(move |conn| periodic::schedule_connection_health(conn, now, Duration::from_secs(30)))
        .await
        .unwrap();
    let id = app.job_rows(JobKind::ConnectionHealth).await[0].id.clone();

    // A process claimed it and died. While its lease lasts, nobody else takes the job.
    let runner = app.runner("survivor", 1, None);
    app.crash_with(&id, stored::now() + chrono::Duration::hours(1))
        .await;
    assert_eq!(runner.run_next().await.unwrap(), None);
    assert_eq!(
        app.connection(&a.token).await.state,
        ConnectionState::Connected
    );

    // Once the lease has ended, it is claimed again and runs.
    app.crash_with(&id, stored::now() - chrono::Duration::seconds(1))
        .await;
    assert_eq!(runner.run_next().await.unwrap(), Some(id.clone()));
    let row = app.job_row(&id).await;
    assert_eq!(row.status.0, JobStatus::Succeeded);
    assert_eq!(row.attempts, 2);
    assert_eq!(row.leased_by.as_deref(), Some("survivor"));
    assert_eq!(row.result.as_deref(), Some(r#"{"checked":1}"#));
    let connection = app.connection(&a.token).await;
    assert_eq!(connection.state, ConnectionState::NeedsAttention);
    assert_eq!(connection.history[0].actor, "Connection health check");
}

impl TestApp {
    /// A bulk job (never run here: its input is not read before it fails) with two users: one
    /// done, one still queued.
    async fn bulk_job_with_a_user_left(&self, payload: &str) -> JobId {
        let now = stored::now();
        let row = JobRow::queued(
            JobKind::BulkPhoneService,
            None,
            payload.to_owned(),
            3,
            now,
            now,
        );
        let id = row.id.clone();
        let items = [(1, BulkItemOutcome::Assigned), (2, BulkItemOutcome::Queued)].map(
            |(position, outcome)| BulkItemRow {
                job_id: id.clone(),
                position,
                user_ref: format!("user{position}@example.com"),
                user_id: None,
                outcome: StoredOutcome(outcome),
                number: None,
                detail: None,
            },
        );
        self.db()
            .run(move |conn| {
                db::jobs::insert(conn, &row)?;
                Ok(db::bulk_items::insert(conn, &items)?)
            })
            .await
            .unwrap();
        id
    }

    /// The bulk job's lines: position, outcome and detail.
    async fn bulk_lines(&self, id: &JobId) -> Vec<(i32, BulkItemOutcome, Option<String>)> {
        let job = id.clone();
        self.db()
            .run(move |conn| Ok(db::bulk_items::of_job(conn, &job)?))
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.position, i.outcome.0, i.detail))
            .collect()
    }
}

#[tokio::test]
async fn a_job_abandoned_on_its_last_attempt_fails() {
    let app = spawn_without_runner().await;
    let echo = app.enqueue_echo(None, echo("never finished")).await;
    let bulk = app.bulk_job_with_a_user_left("{}").await;
    for id in [&echo, &bulk] {
        app.crash_on_attempt(id, 3, stored::now() - chrono::Duration::seconds(1))
            .await;
    }
    // Not claimed again: no attempt is left.
    let runner = app.runner("sweeper", 1, None);
    assert_eq!(runner.run_next().await.unwrap(), None);
    // The runner's sweep fails them, saying why.
    let started = runner.start();
    let mut rows = app.wait_until_finished(JobKind::Echo, 1).await;
    rows.extend(app.wait_until_finished(JobKind::BulkPhoneService, 1).await);
    started.stop(Duration::from_secs(5)).await;
    for row in &rows {
        assert_eq!(row.status.0, JobStatus::Failed);
        assert_eq!(row.attempts, 3);
        assert!(
            row.last_error.as_deref().unwrap().contains("stopped"),
            "{:?}",
            row.last_error
        );
        assert!(row.finished_at.is_some());
    }
    // The bulk's queued user got an outcome in the same sweep (its kind's `abandoned`); the
    // user done is left as it was.
    let lines = app.bulk_lines(&bulk).await;
    assert_eq!(lines[0], (1, BulkItemOutcome::Assigned, None));
    assert_eq!(lines[1].1, BulkItemOutcome::Failed, "{lines:?}");
    assert!(
        lines[1]
            .2
            .as_deref()
            .is_some_and(|d| d.contains("the server running the job stopped")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_bulk_whose_last_attempt_fails_gives_its_queued_users_an_outcome() {
    let app = spawn_without_runner().await;
    // An input no attempt can read: the first attempt is the last.
    let bulk = app.bulk_job_with_a_user_left("not json").await;
    let runner = app.runner("runner", 1, None);
    assert_eq!(runner.run_next().await.unwrap(), Some(bulk.clone()));
    let row = app.job_row(&bulk).await;
    assert_eq!(row.status.0, JobStatus::Failed);
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("input is not valid"),
        "{:?}",
        row.last_error
    );
    let lines = app.bulk_lines(&bulk).await;
    assert_eq!(lines[0], (1, BulkItemOutcome::Assigned, None));
    assert_eq!(lines[1].1, BulkItemOutcome::Failed, "{lines:?}");
    assert!(
        lines[1]
            .2
            .as_deref()
            .is_some_and(|d| d.contains("last attempt failed")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_failing_job_backs_off_then_fails_with_its_error() {
    let app = spawn_without_runner().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let id = app
        .enqueue_echo(
            Some(a.account_id),
            Echo {
                fail: true,
                ..echo("Microsoft said no")
            },
        )
        .await;
    let runner = app.runner("runner", 1, None);

    let mut delays = vec![];
    for attempt in 1..=2 {
        assert_eq!(runner.run_next().await.unwrap(), Some(id.clone()));
        let row = app.job_row(&id).await;
        assert_eq!(row.status.0, JobStatus::Queued, "{row:?}");
        assert_eq!(row.attempts, attempt);
        assert_eq!(row.last_error.as_deref(), Some("Microsoft said no"));
        assert_eq!(row.lease_until, None);
        // Retried after a delay, not at once.
        let delay = row.run_after - row.updated_at;
        delays.push(delay);
        assert_eq!(runner.run_next().await.unwrap(), None);
        tokio::time::sleep(delay.to_std().unwrap() + Duration::from_millis(20)).await;
    }
    let base = chrono::Duration::from_std(BASE_DELAY).unwrap();
    assert_eq!(delays, [base, base * 2], "the delay doubles");

    // The last attempt fails the job for good, with its error.
    assert_eq!(runner.run_next().await.unwrap(), Some(id.clone()));
    let row = app.job_row(&id).await;
    assert_eq!(row.status.0, JobStatus::Failed);
    assert_eq!(row.attempts, 3);
    assert_eq!(row.max_attempts, 3);
    assert_eq!(row.last_error.as_deref(), Some("Microsoft said no"));
    assert!(row.finished_at.is_some());
    assert_eq!(runner.run_next().await.unwrap(), None);

    let job: Job = app.get_job(&id, &a.token).await.json().await.unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some("Microsoft said no"));
    assert_eq!(job.result, None);
}

#[tokio::test]
async fn an_account_sees_its_jobs_progress_and_nobody_elses() {
    let app = spawn_without_runner().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    let id = app
        .enqueue_echo(
            Some(a.account_id),
            Echo {
                steps: 4,
                step_ms: 400,
                ..echo("all done")
            },
        )
        .await;

    let response = app.get_job(&id, &a.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let queued: Job = response.json().await.unwrap();
    assert_eq!(queued.id, id.uuid());
    assert_eq!(queued.kind, JobKind::Echo);
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!((queued.attempts, queued.max_attempts), (0, 3));
    assert_eq!(
        (
            queued.progress.done,
            queued.progress.total,
            queued.progress.percent
        ),
        (0, None, None)
    );

    // Halfway through, the account sees how far it has come.
    let runner = app.runner("runner", 1, None).start();
    let mut seen_running = false;
    for _ in 0..200 {
        let job: Job = app.get_job(&id, &a.token).await.json().await.unwrap();
        if job.status == JobStatus::Running && (1..4).contains(&job.progress.done) {
            assert_eq!(job.progress.total, Some(4));
            assert_eq!(
                job.progress.percent,
                Some(u8::try_from(job.progress.done * 25).unwrap())
            );
            assert_eq!(job.attempts, 1);
            seen_running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(seen_running, "the job's progress was never seen");
    app.wait_until_finished(JobKind::Echo, 1).await;
    runner.stop(Duration::from_secs(5)).await;

    let done: Job = app.get_job(&id, &a.token).await.json().await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(
        (
            done.progress.done,
            done.progress.total,
            done.progress.percent
        ),
        (4, Some(4), Some(100))
    );
    assert_eq!(done.result.unwrap()["message"], "all done");
    assert!(done.finished_at.is_some());
    assert_eq!(done.last_error, None);

    // Another account's job, and a system job, answer exactly as an unknown id does.
    let unknown = assert_problem(
        app.get_job(&JobId::from(uuid::Uuid::new_v4()), &b.token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let others = assert_problem(
        app.get_job(&id, &b.token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(others.detail, unknown.detail);
    let now = stored::now();
    app.db()
        .run(move |conn| periodic::schedule_connection_health(conn, now, Duration::from_secs(30)))
        .await
        .unwrap();
    let system = app.job_rows(JobKind::ConnectionHealth).await[0].id.clone();
    let system = assert_problem(
        app.get_job(&system, &a.token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(system.detail, unknown.detail);

    assert_problem(
        app.get(&format!("/api/v1/jobs/{id}"), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn the_periodic_health_job_is_enqueued_and_run_once_by_two_processes() {
    let app = spawn_without_runner().await;

    // Two processes schedule the same slot at the same moment: one job. (A slot of days ago,
    // so that it is not the one the runners below schedule.)
    let now = stored::now() - chrono::Duration::days(10);
    let every = Duration::from_secs(30);
    let schedule = || {
        app.db()
            .run(move |conn| periodic::schedule_connection_health(conn, now, every))
    };
    let (one, two) = tokio::join!(schedule(), schedule());
    assert_eq!(
        [one.unwrap(), two.unwrap()].iter().filter(|e| **e).count(),
        1
    );
    let rows = app.job_rows(JobKind::ConnectionHealth).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].dedupe_key.as_deref(),
        Some(periodic::connection_health_key(now, every).as_str())
    );
    assert_eq!(rows[0].account_id, None);

    // Two runners that schedule it themselves (slots of an hour): one more job, run once.
    let hour = Duration::from_secs(3600);
    let first_slot = periodic::connection_health_key(stored::now(), hour);
    let one = app.runner("runner-one", 2, Some(hour)).start();
    let two = app.runner("runner-two", 2, Some(hour)).start();
    let rows = app.wait_until_finished(JobKind::ConnectionHealth, 2).await;
    // Give both a few more polls to schedule it again, had they a mind to.
    tokio::time::sleep(Duration::from_millis(200)).await;
    one.stop(Duration::from_secs(5)).await;
    two.stop(Duration::from_secs(5)).await;
    let last_slot = periodic::connection_health_key(stored::now(), hour);
    let slots = if first_slot == last_slot { 1 } else { 2 };
    let rows_after = app.job_rows(JobKind::ConnectionHealth).await;
    assert_eq!(rows_after.len(), 1 + slots, "{rows_after:?}");
    for row in rows.iter().chain(&rows_after) {
        assert_eq!(row.status.0, JobStatus::Succeeded, "{row:?}");
        assert_eq!(row.attempts, 1, "{row:?}");
        assert_eq!(row.result.as_deref(), Some(r#"{"checked":0}"#));
    }
}

#[tokio::test]
async fn a_stopped_runner_puts_its_unfinished_job_back_for_another_process() {
    let app = spawn_without_runner().await;
    let id = app
        .enqueue_echo(
            None,
            Echo {
                steps: 20,
                step_ms: 250,
                ..echo("long")
            },
        )
        .await;
    let leaving = app.runner("leaving", 1, None).start();
    for _ in 0..200 {
        if app.job_row(&id).await.status.0 == JobStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    leaving.stop(Duration::from_millis(100)).await;
    let row = app.job_row(&id).await;
    assert_eq!(row.status.0, JobStatus::Queued, "{row:?}");
    assert_eq!(row.lease_until, None);
    assert!(row.run_after <= stored::now());

    let staying = app.runner("staying", 1, None);
    assert_eq!(staying.run_next().await.unwrap(), Some(id.clone()));
    let row = app.job_row(&id).await;
    assert_eq!(row.status.0, JobStatus::Succeeded);
    assert_eq!(row.attempts, 2);
    assert_eq!(row.leased_by.as_deref(), Some("staying"));
}
