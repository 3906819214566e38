//! Faults and recovery (issue #11): a bulk job of 200 users through Microsoft throttling,
//! server errors and hangs; the server killed (`kill -9`) in the middle of one and started
//! again; PostgreSQL restarted under load; admin consent revoked in the middle of one.
//!
//! What is asserted is what a person would notice: each user ends with a number of their own
//! or a failure that says why; no number is given twice or lost (every loaded number is still
//! in the inventory, each held one by exactly one user); Teams' own `numberAssignments` (read
//! as the app) agree with the portal; the connection's state; the job's account of who is left.

use std::{
    collections::{HashMap, HashSet},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use actix_web::{App, HttpServer};
use diesel::prelude::*;
use futures_util::future::join_all;
use ms_simulator::{RegisteredApp, Simulator, SimulatorConfig, TenantSeed, DEFAULT_PERMISSIONS};
use reqwest::{header, Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::{
    directory::{DirectoryUser, ServiceState},
    jobs::{JobKind, JobStatus},
    numbers::{NumberStatus, PhoneNumber},
    phone_service::{BulkAccepted, BulkItem, BulkItemOutcome, BulkStatus},
    tenant_connection::{CheckKey, ConnectionState, VerificationOutcome},
};
use tenant_connect::{cli::Cli, domain::accounts, startup::Application};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{spawn_app_with, workspace_root, TestApp, PASSWORD, TEST_CLIENT_SECRET},
    telephony_support::{licensed_users, Connected, QUICK},
};

/// Numbers loaded for every bulk test: +14255550100 to +14255550349.
const FIRST_NUMBER: &str = "+14255550100";
const LOADED: usize = 250;
/// Users in every bulk job (the figure).
const USERS: usize = 200;
/// The app's client id as registered with the separate simulators below.
const CLIENT_ID: &str = "3c0f6a9e-2b1d-4e7a-8c5f-9d0e1a2b3c4d";

fn loaded_numbers() -> HashSet<String> {
    (100..100 + LOADED)
        .map(|n| format!("+1425555{n:04}"))
        .collect()
}

/// Polls `probe` until it answers `Some`, at most `limit` (longer than the shared WAIT: these
/// jobs are 200 users through faults).
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn bulk_status(app: &TestApp, token: &str, id: uuid::Uuid) -> BulkStatus {
    app.json_ok(&format!("/api/v1/phone-service/bulk/{id}"), token)
        .await
}

async fn start_bulk(app: &TestApp, token: &str, users: &[DirectoryUser]) -> uuid::Uuid {
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let response = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({ "users": ids }),
        )
        .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let accepted: BulkAccepted = serde_json::from_str(&body).unwrap();
    assert_eq!(accepted.users as usize, users.len());
    accepted.job_id
}

async fn bulk_progress_at_least(
    app: &TestApp,
    token: &str,
    id: uuid::Uuid,
    done: u64,
) -> BulkStatus {
    wait_for(
        &format!("the bulk job to do {done} users"),
        Duration::from_secs(60),
        || async move {
            let status = bulk_status(app, token, id).await;
            (status.job.progress.done >= done || status.job.status.is_finished()).then_some(status)
        },
    )
    .await
}

async fn finished_bulk(app: &TestApp, token: &str, id: uuid::Uuid, limit: Duration) -> BulkStatus {
    wait_for("the bulk job to finish", limit, || async move {
        let status = bulk_status(app, token, id).await;
        status.job.status.is_finished().then_some(status)
    })
    .await
}

/// The simulator's fault list now.
async fn faults_left(app: &TestApp, control: &str) -> Value {
    app.client
        .get(format!("{control}/faults"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["faults"]
        .clone()
}

/// Teams' own record, read as the app: number -> user, for the loaded numbers.
async fn teams_assignments(app: &TestApp, tenant: &str) -> HashMap<String, String> {
    let loaded = loaded_numbers();
    let all = app
        .state
        .connections
        .client()
        .number_assignments(tenant, None)
        .await
        .unwrap();
    let mut teams = HashMap::new();
    for n in all {
        if !loaded.contains(&n.telephone_number) {
            continue;
        }
        if let Some(user) = n.assignment_target_id {
            let before = teams.insert(n.telephone_number.clone(), user.to_ascii_lowercase());
            assert!(before.is_none(), "Teams lists {} twice", n.telephone_number);
        }
    }
    teams
}

/// The whole inventory, checked: every loaded number is there once (none lost), each
/// reserved or assigned number has its user and no user holds two. Answers number -> user
/// for the assigned and the reserved numbers.
struct Inventory {
    assigned: HashMap<String, String>,
    reserved: HashMap<String, String>,
    available: usize,
    aging: usize,
}

async fn inventory(app: &TestApp, token: &str) -> Inventory {
    let all: Vec<PhoneNumber> = app.numbers(token, "").await;
    let listed: HashSet<&str> = all.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(listed.len(), all.len(), "a number is listed twice");
    let loaded = loaded_numbers();
    assert_eq!(
        listed,
        loaded.iter().map(String::as_str).collect::<HashSet<_>>(),
        "every loaded number is in the inventory, and nothing else"
    );
    let mut inventory = Inventory {
        assigned: HashMap::new(),
        reserved: HashMap::new(),
        available: 0,
        aging: 0,
    };
    let mut holders = HashSet::new();
    for n in all {
        let holder = n.user.as_ref().map(|u| u.id.clone());
        match n.status {
            NumberStatus::Available => {
                assert!(holder.is_none(), "{n:?}");
                inventory.available += 1;
            }
            NumberStatus::Aging => {
                assert!(holder.is_none(), "{n:?}");
                inventory.aging += 1;
            }
            NumberStatus::Assigned | NumberStatus::Reserved => {
                let holder = holder.unwrap_or_else(|| panic!("{} has no user", n.number));
                assert!(holders.insert(holder.clone()), "{holder} holds two numbers");
                let into = if n.status == NumberStatus::Assigned {
                    &mut inventory.assigned
                } else {
                    &mut inventory.reserved
                };
                into.insert(n.number.clone(), holder);
            }
        }
    }
    assert_eq!(
        inventory.available + inventory.aging + inventory.assigned.len() + inventory.reserved.len(),
        LOADED
    );
    inventory
}

/// Each user of the job as the portal shows them now, by id.
async fn portal_users(app: &TestApp, token: &str) -> HashMap<String, DirectoryUser> {
    app.users(token, "")
        .await
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect()
}

/// Every item ended: assigned with a number of its own (the user active with it), or failed
/// with a reason. Answers the assigned items' number -> user.
fn assert_each_user_ended(
    items: &[BulkItem],
    users: &HashMap<String, DirectoryUser>,
) -> HashMap<String, String> {
    let mut given = HashMap::new();
    for item in items {
        match item.outcome {
            BulkItemOutcome::Assigned => {
                let number = item
                    .number
                    .clone()
                    .expect("an assigned item has its number");
                let user = &users[&item.user];
                assert_eq!(user.service.state, ServiceState::Active, "{user:?}");
                assert_eq!(user.service.number.as_ref(), Some(&number), "{user:?}");
                let before = given.insert(number.clone(), item.user.clone());
                assert!(before.is_none(), "{number} was given twice");
            }
            BulkItemOutcome::Failed => {
                let detail = item.detail.as_deref().unwrap_or_default();
                assert!(detail.len() > 20, "a failure says why: {item:?}");
            }
            other => panic!("{} ended {other:?}: {item:?}", item.user),
        }
    }
    given
}

/// Creates licensed US users in the simulated tenant (as an Entra admin would).
async fn add_licensed_users(app: &TestApp, control: &str, tenant: &str, count: usize) {
    let creates = (0..count).map(|i| {
        let request = app
            .client
            .post(format!("{control}/tenants/{tenant}/users"))
            .json(&json!({
                "userPrincipalName": format!("faulty.user{i:03}@contoso.onmicrosoft.com"),
                "displayName": format!("Faulty User {i:03}"),
                "usageLocation": "US",
                "teamsPhoneLicense": true,
            }));
        async move { request.send().await.unwrap().status() }
    });
    for status in join_all(creates).await {
        assert_eq!(status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn a_bulk_of_200_users_through_a_429_storm_5xx_bursts_and_hangs_gives_each_one_number() {
    let t = Connected::new(&[]).await;
    let (app, token, tenant) = (&t.app, t.token(), t.tenant.as_str());
    let control = app.url("/_microsoft/control");
    // Contoso's seeded directory has fewer than 200 licensed users without a number.
    add_licensed_users(app, &control, tenant, USERS).await;
    assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    app.load_range(token, FIRST_NUMBER, LOADED as u32).await;
    let users = licensed_users(app, token, None, USERS).await;

    // A storm first: Teams answers the next 40 calls 429, each asking for a second's pause.
    app.sim_fault(json!({"endpoint": "teams", "status": 429, "retry_after": 1, "count": 40}))
        .await;
    let job = start_bulk(app, token, &users).await;
    bulk_progress_at_least(app, token, job, 60).await;
    assert_eq!(
        faults_left(app, &control).await,
        json!([]),
        "the storm was met"
    );
    // Then a burst of server errors: 48 in a row (more than the client retries one call),
    // and a fifth of the calls after them, 30 times.
    app.sim_fault(json!([
        {"endpoint": "teams", "status": 503, "count": 48},
        {"endpoint": "teams", "status": 500, "fraction": 0.2, "count": 30},
    ]))
    .await;
    bulk_progress_at_least(app, token, job, 120).await;
    assert_eq!(
        faults_left(app, &control).await,
        json!([]),
        "the burst was met"
    );
    // Then two calls that never answer, and slow answers.
    app.sim_fault(json!([
        {"endpoint": "teams", "hang": true, "count": 2},
        {"endpoint": "teams", "latency_ms": 30, "fraction": 0.3},
    ]))
    .await;
    let done = finished_bulk(app, token, job, Duration::from_secs(120)).await;
    let left = faults_left(app, &control).await;
    assert!(
        !left.to_string().contains("hang"),
        "both hanging calls were made: {left}"
    );
    app.sim_fault(json!([])).await;
    eprintln!(
        "bulk through faults: {} attempt(s), result {:?}",
        done.job.attempts, done.job.result
    );

    // The job finished, every user with a number of their own.
    assert_eq!(done.job.status, JobStatus::Succeeded, "{:?}", done.job);
    assert_eq!(
        (done.job.progress.done, done.job.progress.total),
        (USERS as u64, Some(USERS as u64))
    );
    assert_eq!(done.items.len(), USERS);
    let now = portal_users(app, token).await;
    let given = assert_each_user_ended(&done.items, &now);
    assert_eq!(
        given.len(),
        USERS,
        "transient faults fail nobody: {:?}",
        done.items
    );
    let result = done.job.result.unwrap();
    assert_eq!(result["assigned"], USERS);
    assert_eq!(result["failed"], 0);

    // No number given twice, none lost, nothing left reserved; Teams shows the same.
    let stock = inventory(app, token).await;
    assert!(stock.reserved.is_empty(), "{:?}", stock.reserved);
    assert_eq!(stock.assigned, given);
    assert_eq!(stock.available, LOADED - USERS);
    assert_eq!(teams_assignments(app, tenant).await, given);
}

// ---------------------------------------------------------------------------------------------
// A simulator of its own (not the one mounted in the portal), so that it outlives a portal
// process, and the portal in `live` mode pointed at it, as at Microsoft.

struct OwnSimulator {
    base: String,
    client: reqwest::Client,
}

impl OwnSimulator {
    fn control(&self) -> String {
        format!("{}/_microsoft/control", self.base)
    }

    async fn tenant_id(&self, name: &str) -> String {
        let tenants: Vec<Value> = self
            .client
            .get(format!("{}/tenants", self.control()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tenants.into_iter().find(|t| t["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn put(&self, path: &str, body: Value) {
        let response = self
            .client
            .put(format!("{}/{path}", self.control()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
}

/// Binds the simulator's port first (the portal must know it), then starts the portal on the
/// test's database with `extra` settings, then the simulator with the portal's redirect URIs.
/// `token_lifetime` under the client's five-minute refresh margin makes the portal ask for a
/// token for every call, so a revoked consent is seen at once.
async fn portal_with_own_simulator(
    extra: &[&str],
    token_lifetime: Duration,
    operation_delay: Duration,
) -> (TestApp, OwnSimulator) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (login, graph) = (
        format!("{base}/_microsoft/login"),
        format!("{base}/_microsoft/graph"),
    );
    let mut args: Vec<&str> = QUICK.to_vec();
    args.extend_from_slice(&[
        "--microsoft-mode",
        "live",
        "--ms-client-id",
        CLIENT_ID,
        "--ms-login-url",
        &login,
        "--ms-graph-url",
        &graph,
    ]);
    args.extend_from_slice(extra);
    let app = spawn_app_with(&args).await;
    let config = SimulatorConfig {
        app: RegisteredApp {
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(TEST_CLIENT_SECRET),
            display_name: "Tenant Connect".to_owned(),
            redirect_uris: vec![
                app.url("/api/v1/tenant-connection/sign-in-callback"),
                app.url("/api/v1/tenant-connection/consent-callback"),
            ],
            permissions: DEFAULT_PERMISSIONS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
        },
        tenants: vec![TenantSeed {
            name: "Contoso".to_owned(),
            domain: "contoso.onmicrosoft.com".to_owned(),
            // Enough licensed US users (the country of the numbers) for a bulk of 200.
            users: 1000,
        }],
        operation_delay,
        token_lifetime,
    };
    let sim = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap()
        .unwrap();
    let server = HttpServer::new(move || {
        let sim = sim.clone();
        App::new().configure(move |c| sim.configure(c))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let sim = OwnSimulator {
        base,
        client: app.client.clone(),
    };
    (app, sim)
}

/// Steps 1 to 4 against the separate simulator: the tenant id.
async fn connect(app: &TestApp, sim: &OwnSimulator, token: &str) -> String {
    let attempt = app.start_setup(token).await;
    let (status, location, _) = app.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
    assert_eq!(status, StatusCode::FOUND);
    let landed = app
        .callback(&location.unwrap(), Some(&attempt.cookie))
        .await;
    assert_eq!(landed, "/tenant-connection?consent=granted");
    let tenant = sim.tenant_id("Contoso").await;
    sim.put(
        &format!("tenants/{tenant}/directory-role"),
        json!({"assigned": true}),
    )
    .await;
    let report = app.verify(token).await;
    assert_eq!(report.outcome, VerificationOutcome::Passed, "{report:?}");
    tenant
}

fn database_url(app: &TestApp) -> String {
    app.postgres_url()
        .unwrap_or_else(|| format!("sqlite://{}", app.data_dir.path().join("test.db").display()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `tenant-connect` binary as a process of its own on the test app's database and
/// DATA_DIR (so sessions stay valid), in live mode against the separate simulator, working
/// jobs. Its log goes to target/test-logs (searched for secrets like the others).
struct PortalProcess {
    child: Child,
    base: String,
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_portal_process(app: &TestApp, sim: &OwnSimulator, name: &str) -> PortalProcess {
    let port = free_port();
    let logs = workspace_root().join("target/test-logs");
    std::fs::create_dir_all(&logs).unwrap();
    let backend = std::env::var("TEST_BACKEND").unwrap_or_else(|_| "sqlite".to_owned());
    let log: PathBuf = logs.join(format!(
        "api-{backend}-{}-{name}-{port}.log",
        std::process::id()
    ));
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let settings = [
        ("BIND_ADDR", format!("127.0.0.1:{port}")),
        ("DATA_DIR", app.data_dir.path().display().to_string()),
        ("DATABASE_URL", database_url(app)),
        ("DATABASE_POOL_SIZE", "4".to_owned()),
        (
            "WEB_DIR",
            app.data_dir.path().join("no-web").display().to_string(),
        ),
        ("MICROSOFT_MODE", "live".to_owned()),
        ("MS_CLIENT_ID", CLIENT_ID.to_owned()),
        ("MS_CLIENT_SECRET", TEST_CLIENT_SECRET.to_owned()),
        ("MS_LOGIN_URL", format!("{}/_microsoft/login", sim.base)),
        ("MS_GRAPH_URL", format!("{}/_microsoft/graph", sim.base)),
        ("JOB_WORKERS", "2".to_owned()),
        // The restarted server takes the dead one's job up when its lease has run out.
        ("JOB_LEASE_SECONDS", "20".to_owned()),
        ("BULK_CONCURRENCY", "8".to_owned()),
        ("OPERATION_POLL_MS", "20".to_owned()),
        ("USER_SYNC_INTERVAL_SECONDS", "0".to_owned()),
        ("RECONCILE_INTERVAL_SECONDS", "0".to_owned()),
        ("HEALTH_INTERVAL_SECONDS", "3600".to_owned()),
        ("WEBHOOK_WORKERS", "0".to_owned()),
        ("RUST_LOG", "info,tenant_connect=debug".to_owned()),
        ("NO_COLOR", "1".to_owned()),
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenant-connect"));
    for unset in ["JWT_SECRET", "PUBLIC_URL", "DEMO_SEED", "METRICS_ADDR"] {
        command.env_remove(unset);
    }
    let child = command
        .envs(settings)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    let portal = PortalProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let ready = format!("{}/readyz", portal.base);
    wait_for(
        &format!("{name} to answer (log: {})", log.display()),
        Duration::from_secs(30),
        || async {
            let answer = app.client.get(&ready).send().await;
            answer
                .is_ok_and(|r| r.status() == StatusCode::OK)
                .then_some(())
        },
    )
    .await;
    portal
}

#[tokio::test]
async fn a_server_killed_in_a_bulk_job_resumes_it_after_a_restart_and_gives_each_user_one_number() {
    let (app, sim) =
        portal_with_own_simulator(&[], Duration::from_secs(3599), Duration::from_millis(100)).await;
    let admin = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let token = admin.token.as_str();
    let tenant = connect(&app, &sim, token).await;
    // The users synced and the numbers loaded by this process, which runs no jobs itself.
    let syncing = app.start_runner("sync-runner");
    assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    syncing.stop(Duration::from_secs(5)).await;
    app.load_range(token, FIRST_NUMBER, LOADED as u32).await;
    let users = licensed_users(&app, token, None, USERS).await;
    let ids: HashSet<String> = users.iter().map(|u| u.id.clone()).collect();

    // The server process works the bulk job; it is killed (SIGKILL) a third of the way.
    let mut first = start_portal_process(&app, &sim, "first").await;
    let job = start_bulk(&app, token, &users).await;
    bulk_progress_at_least(&app, token, job, 70).await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    // What a person sees with the server gone (read through this other process): the job
    // still running, and exactly the users not yet done listed as left.
    let at_kill = bulk_status(&app, token, job).await;
    assert_eq!(at_kill.job.status, JobStatus::Running, "{:?}", at_kill.job);
    assert!(at_kill.job.progress.done < USERS as u64, "killed too late");
    let left: HashSet<String> = at_kill
        .items
        .iter()
        .filter(|i| i.outcome == BulkItemOutcome::Queued)
        .map(|i| i.user.clone())
        .collect();
    let now = portal_users(&app, token).await;
    let not_done: HashSet<String> = ids
        .iter()
        .filter(|id| now[*id].service.state != ServiceState::Active)
        .cloned()
        .collect();
    assert_eq!(left, not_done, "the job lists exactly the users not done");
    for item in at_kill
        .items
        .iter()
        .filter(|i| i.outcome != BulkItemOutcome::Queued)
    {
        assert_eq!(item.outcome, BulkItemOutcome::Assigned, "{item:?}");
    }
    // Some were caught mid-way: a number reserved for them, Teams perhaps asked already.
    let in_flight: HashSet<String> = left
        .iter()
        .filter(|id| now[*id].service.state == ServiceState::Pending)
        .cloned()
        .collect();
    assert!(!in_flight.is_empty(), "the kill caught nobody mid-way");
    eprintln!(
        "killed with {} users done, {} left, {} of them mid-way",
        USERS - left.len(),
        left.len(),
        in_flight.len()
    );
    let stock = inventory(&app, token).await;
    assert_eq!(
        stock.reserved.values().cloned().collect::<HashSet<_>>(),
        in_flight,
        "each user caught mid-way holds one reserved number"
    );

    // The server starts again: its start-up reconciliation runs, and once the dead process's
    // lease on the job runs out, the job is taken up again and finishes.
    let second = start_portal_process(&app, &sim, "second").await;
    let done = finished_bulk(&app, token, job, Duration::from_secs(90)).await;
    assert_eq!(done.job.status, JobStatus::Succeeded, "{:?}", done.job);
    assert_eq!(done.job.attempts, 2, "resumed once: {:?}", done.job);
    assert_eq!(done.job.progress.done, USERS as u64);
    let now = portal_users(&app, token).await;
    let given = assert_each_user_ended(&done.items, &now);
    assert_eq!(given.len(), USERS, "{:?}", done.items);
    // The users caught mid-way kept the number reserved for them.
    for id in &in_flight {
        let held = stock.reserved.iter().find(|(_, u)| *u == id).unwrap().0;
        assert_eq!(given.get(held), Some(id), "{id} kept {held}");
    }

    let stock = inventory(&app, token).await;
    assert!(stock.reserved.is_empty(), "{:?}", stock.reserved);
    assert_eq!(stock.assigned, given);
    assert_eq!(stock.available, LOADED - USERS);
    assert_eq!(teams_assignments(&app, &tenant).await, given);
    let reconciled = wait_for(
        "the restarted server's reconciliation",
        Duration::from_secs(30),
        || async {
            app.job_rows_of(JobKind::Reconciliation)
                .await
                .into_iter()
                .find(|r| r.status.0.is_finished())
        },
    )
    .await;
    assert_eq!(reconciled.status.0, JobStatus::Succeeded, "{reconciled:?}");
    assert!(app.numbers(token, "conflict=true").await.is_empty());
    drop(second);
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn consent_revoked_in_a_bulk_job_fails_the_rest_clearly_and_loses_nothing() {
    // Short tokens: the portal asks for one per call, so it learns of the revocation at once
    // (with Microsoft's usual hour-long tokens it learns at the next token or health check).
    let (app, sim) = portal_with_own_simulator(
        &["--bulk-concurrency", "8"],
        Duration::from_secs(120),
        Duration::from_millis(150),
    )
    .await;
    let admin = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let token = admin.token.as_str();
    let tenant = connect(&app, &sim, token).await;
    let runner = app.start_runner("consent-runner");
    assert_eq!(app.sync_users(token).await.status, JobStatus::Succeeded);
    app.load_range(token, FIRST_NUMBER, LOADED as u32).await;
    let users = licensed_users(&app, token, None, USERS).await;

    let job = start_bulk(&app, token, &users).await;
    bulk_progress_at_least(&app, token, job, 60).await;
    // The tenant's admin removes the app's consent in Entra ID.
    sim.put(
        &format!("tenants/{tenant}/consent"),
        json!({"granted": false}),
    )
    .await;
    let done = finished_bulk(&app, token, job, Duration::from_secs(60)).await;
    runner.stop(Duration::from_secs(5)).await;

    // The job finished: the users done before keep their numbers, the rest failed saying why.
    assert_eq!(done.job.status, JobStatus::Succeeded, "{:?}", done.job);
    let now = portal_users(&app, token).await;
    let given = assert_each_user_ended(&done.items, &now);
    assert!(given.len() >= 60 && given.len() < USERS, "{}", given.len());
    let result = done.job.result.clone().unwrap();
    assert_eq!(result["assigned"], given.len());
    assert_eq!(result["failed"], USERS - given.len());
    let mut held = HashMap::new();
    for item in done
        .items
        .iter()
        .filter(|i| i.outcome == BulkItemOutcome::Failed)
    {
        let detail = item.detail.as_deref().unwrap();
        assert!(detail.contains("admin consent"), "{item:?}");
        let user = &now[&item.user];
        match user.service.state {
            // Not sent, or refused before Teams was asked: nothing held.
            ServiceState::None | ServiceState::Failed => {
                assert_eq!(user.service.number, None, "{user:?}");
            }
            // Teams was asked before consent went: the number stays with the user until the
            // portal can ask Teams again, and the item says so.
            ServiceState::Pending => {
                let number = user.service.number.clone().unwrap();
                assert!(detail.contains("stays reserved"), "{item:?}");
                assert_eq!(item.number.as_ref(), Some(&number));
                held.insert(number, item.user.clone());
            }
            other => panic!("{} is {other:?} after a failure: {item:?}", item.user),
        }
    }

    eprintln!(
        "consent revoked: {} assigned, {} failed, {} held for reconciliation",
        given.len(),
        USERS - given.len(),
        held.len()
    );
    // The connection shows the problem, with what to fix.
    let connection = app.connection(token).await;
    assert_eq!(connection.state, ConnectionState::NeedsAttention);
    let report = connection.last_verification.unwrap();
    let consent = report
        .checks
        .iter()
        .find(|c| c.key == CheckKey::ConsentPresent)
        .unwrap();
    assert!(!consent.passed, "{report:?}");
    // Nothing lost: every number is available, or held by exactly the users above.
    let stock = inventory(&app, token).await;
    assert_eq!(stock.assigned, given);
    assert_eq!(stock.reserved, held);
    assert_eq!(stock.aging, 0);

    // The admin grants consent again (and the role, which went with the app's service
    // principal); once the held reservations are old enough to be nobody's any more,
    // reconciliation settles them with Teams' own record.
    sim.put(
        &format!("tenants/{tenant}/consent"),
        json!({"granted": true}),
    )
    .await;
    sim.put(
        &format!("tenants/{tenant}/directory-role"),
        json!({"assigned": true}),
    )
    .await;
    assert_eq!(app.verify(token).await.outcome, VerificationOutcome::Passed);
    age_service_changes(&app, held.values().cloned().collect()).await;
    // Teams finishes what it accepted before the consent went (150 ms here). Reconciliation
    // rightly leaves a still-running operation to its next round, and the test got here
    // within those 150 ms of the last one in about one run in six.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let reconciler = app
        .telephony_runner("reconciling-process", Some(Duration::from_secs(3600)))
        .start();
    let run = wait_for("the reconciliation", Duration::from_secs(30), || async {
        app.job_rows_of(JobKind::Reconciliation)
            .await
            .into_iter()
            .find(|r| r.status.0.is_finished())
    })
    .await;
    reconciler.stop(Duration::from_secs(5)).await;
    assert_eq!(run.status.0, JobStatus::Succeeded, "{run:?}");
    let settled: Value = serde_json::from_str(run.result.as_deref().unwrap()).unwrap();
    assert_eq!(settled["settled"], held.len(), "{settled}");

    let stock = inventory(&app, token).await;
    assert!(stock.reserved.is_empty(), "{:?}", stock.reserved);
    let teams = teams_assignments(&app, &tenant).await;
    assert_eq!(stock.assigned, teams, "the portal and Teams agree");
    for (number, user) in &held {
        let state = app.user(token, user).await.service;
        if teams.get(number) == Some(user) {
            assert_eq!(state.state, ServiceState::Active, "{state:?}");
        } else {
            assert_eq!(state.state, ServiceState::Failed, "{state:?}");
        }
    }
    assert!(app.numbers(token, "conflict=true").await.is_empty());
}

/// Makes the users' pending changes minutes old (reconciliation leaves younger ones to the
/// request or job that made them).
async fn age_service_changes(app: &TestApp, ids: Vec<String>) {
    app.db()
        .run(move |conn| {
            use tenant_connect::db::schema::directory_users;
            let long_ago = tenant_connect::domain::stored::now() - chrono::Duration::minutes(10);
            diesel::update(directory_users::table.filter(directory_users::id.eq_any(&ids)))
                .set(directory_users::service_updated_at.eq(Some(long_ago)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL restarted under load: a private cluster (never the machine's shared one).

/// A PostgreSQL cluster of this test's own, in a temporary directory, run as `postgres`.
struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivateCluster {
    fn create() -> PrivateCluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries in /usr/lib/postgresql/*/bin")
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
            .max()
            .expect("initdb and pg_ctl in /usr/lib/postgresql/*/bin");
        let dir = tempfile::tempdir().unwrap();
        let cluster = PrivateCluster {
            dir,
            bin,
            port: free_port(),
        };
        cluster.as_postgres(&["chown", "postgres", &cluster.path()], true);
        let initdb = cluster.bin.join("initdb").display().to_string();
        cluster.as_postgres(
            &[
                &initdb,
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
            false,
        );
        cluster.start();
        cluster
    }

    fn path(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs a command as the `postgres` user (PostgreSQL refuses to run as root), or as is
    /// when `plain`.
    fn as_postgres(&self, argv: &[&str], plain: bool) {
        let as_root = std::env::var("USER").as_deref() == Ok("root")
            || std::fs::metadata("/proc/self")
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
                .unwrap_or(false);
        let mut command = if plain || !as_root {
            let mut c = Command::new(argv[0]);
            c.args(&argv[1..]);
            c
        } else {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).args(argv);
            c
        };
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{argv:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let data = self.data();
        let mut argv = vec![pg_ctl.as_str(), "-D", data.as_str()];
        argv.extend_from_slice(args);
        self.as_postgres(&argv, false);
    }

    fn start(&self) {
        let log = self.dir.path().join("server.log").display().to_string();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.path()
        );
        self.pg_ctl(&["-w", "-l", &log, "-o", &options, "start"]);
    }

    /// Stops at once, as a crash would: open transactions are lost, clients cut off.
    fn stop_immediately(&self) {
        self.pg_ctl(&["-w", "-m", "immediate", "stop"]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let data = self.data();
        let _ = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                &pg_ctl,
                "-D",
                &data,
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = Command::new(&pg_ctl)
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

/// One request of the load and how it was answered.
#[derive(Debug, Clone)]
struct Answer {
    /// `load <first number>` for a block of 20 numbers, or the GET path.
    what: String,
    status: u16,
    problem_code: Option<String>,
    problem_json: bool,
    /// While the database was down (sent after the stop and answered before the start).
    during_outage: bool,
    millis: u128,
}

#[tokio::test]
async fn postgresql_restarted_under_load_answers_503_meanwhile_and_recovers_without_partial_writes()
{
    if std::env::var("TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("skipped: runs in the PostgreSQL pass (TEST_BACKEND=postgres)");
        return;
    }
    let cluster = PrivateCluster::create();
    {
        let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE tenant_connect")
            .execute(&mut conn)
            .unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().display().to_string();
    let web = data.path().join("no-web").display().to_string();
    let url = cluster.url("tenant_connect");
    let mut args = vec![
        "tenant-connect",
        "--bind-addr",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir,
        "--database-url",
        &url,
        "--database-pool-size",
        "4",
        "--web-dir",
        &web,
        "--ms-client-secret",
        TEST_CLIENT_SECRET,
        // The clients load a block after another, far more than the default loads per hour.
        "--number-loads-per-window",
        "1000000",
    ];
    args.extend_from_slice(&QUICK);
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let built = Application::build(cli.config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", built.port());
    let db = built.state().db.clone();
    tokio::spawn(built.run_until_stopped());
    db.run(|conn| {
        accounts::create(
            conn,
            "Contoso Telephony",
            "admin@contoso.example",
            Some(&SecretString::from(PASSWORD)),
        )
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@contoso.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();

    // The load: four clients, each loading blocks of 20 numbers (one transaction of many rows)
    // and reading the inventory, one request after another, until told to stop.
    let outage = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0)); // 0 before, 1 down, 2 after
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let next_block = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let clients = (0..4).map(|_| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (outage, stop, next_block) = (outage.clone(), stop.clone(), next_block.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut read = false;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                read = !read;
                let (what, request) = if read {
                    let path = "/api/v1/numbers?limit=50".to_owned();
                    let request = client.request(Method::GET, format!("{base}{path}"));
                    (path, request)
                } else {
                    let block = next_block.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let first = format!("+1206555{:04}", 1000 + block * 20);
                    let body =
                        json!({"start": first, "count": 20, "label": format!("Load {block}")});
                    let request = client
                        .request(Method::POST, format!("{base}/api/v1/number-blocks"))
                        .json(&body);
                    (format!("load {first}"), request)
                };
                let before = outage.load(std::sync::atomic::Ordering::SeqCst);
                let started = std::time::Instant::now();
                let response = request
                    .bearer_auth(&token)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("the server answers every request, database or not");
                let millis = started.elapsed().as_millis();
                let after = outage.load(std::sync::atomic::Ordering::SeqCst);
                let status = response.status().as_u16();
                let problem_json = response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v == "application/problem+json");
                let body: Value = response.json().await.unwrap_or(Value::Null);
                answers.push(Answer {
                    what,
                    status,
                    problem_code: body["code"].as_str().map(str::to_owned),
                    problem_json,
                    during_outage: before == 1 && after == 1,
                    millis,
                });
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            answers
        })
    });
    let clients: Vec<_> = clients.collect();
    let probe = |path: &'static str| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };

    // Some blocks load while the database is up.
    wait_for("blocks to load", Duration::from_secs(30), || async {
        (next_block.load(std::sync::atomic::Ordering::Relaxed) >= 8).then_some(())
    })
    .await;
    cluster.stop_immediately();
    outage.store(1, std::sync::atomic::Ordering::SeqCst);
    // While it is down: the process is alive, not ready, and every request that needs the
    // database answers 503 problem+json, soon.
    let alive = probe("/healthz").await;
    assert_eq!(alive.status(), StatusCode::OK);
    let ready = probe("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let me = probe("/api/v1/me").await;
    crate::helpers::assert_problem(me, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let down_since = next_block.load(std::sync::atomic::Ordering::Relaxed);
    wait_for(
        "writes to be tried during the outage",
        Duration::from_secs(30),
        || async {
            (next_block.load(std::sync::atomic::Ordering::Relaxed) >= down_since + 8).then_some(())
        },
    )
    .await;
    cluster.start();
    outage.store(2, std::sync::atomic::Ordering::SeqCst);

    // It recovers on its own: no restart of the server.
    wait_for(
        "the server to use the database again",
        Duration::from_secs(30),
        || async {
            let ready = probe("/readyz").await.status() == StatusCode::OK;
            let numbers = probe("/api/v1/numbers?limit=1").await.status() == StatusCode::OK;
            (ready && numbers).then_some(())
        },
    )
    .await;
    let recovered_from = next_block.load(std::sync::atomic::Ordering::Relaxed);
    wait_for("blocks to load again", Duration::from_secs(30), || async {
        (next_block.load(std::sync::atomic::Ordering::Relaxed) >= recovered_from + 8).then_some(())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers: Vec<Answer> = join_all(clients)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();

    // Every answer was a success or a 503 problem+json: never a 500, never a dropped request.
    for a in &answers {
        let fine = matches!(a.status, 200 | 201)
            || (a.status == 503
                && a.problem_json
                && a.problem_code.as_deref() == Some("unavailable"));
        assert!(fine, "{a:?}");
    }
    let during: Vec<&Answer> = answers.iter().filter(|a| a.during_outage).collect();
    assert!(
        during.iter().any(|a| a.what.starts_with("load")),
        "no write was tried while the database was down"
    );
    for a in &during {
        assert_eq!(a.status, 503, "{a:?}");
        // Told at once, not after the pool's wait for a connection that cannot come.
        assert!(a.millis < 5000, "{a:?}");
    }
    // Blocks loaded before the stop and after the recovery (those in flight at either moment
    // aside).
    let loaded = answers.iter().filter(|a| a.status == 201).count();
    assert!(loaded >= 12, "{loaded} blocks loaded");
    eprintln!(
        "postgres restart: {} requests, {} answered 503 while it was down ({} writes), {} blocks loaded, slowest 503 {} ms",
        answers.len(),
        during.len(),
        during.iter().filter(|a| a.what.starts_with("load")).count(),
        loaded,
        answers.iter().filter(|a| a.status == 503).map(|a| a.millis).max().unwrap_or(0)
    );

    // No partial writes: each block is in the inventory whole or not at all; a block the
    // server confirmed is there; one it answered 503 to is not, unless its commit landed just
    // as the connection broke, and then whole.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for a in answers.iter().filter(|a| a.what.starts_with("load ")) {
        let first = a.what.trim_start_matches("load ").to_owned();
        let from: u32 = first.trim_start_matches("+1206555").parse().unwrap();
        let block: Vec<String> = (from..from + 20)
            .map(|n| format!("+1206555{n:04}"))
            .collect();
        let count = db
            .run(move |conn| {
                use tenant_connect::db::schema::phone_numbers;
                Ok(phone_numbers::table
                    .filter(phone_numbers::number.eq_any(&block))
                    .count()
                    .get_result::<i64>(conn)?)
            })
            .await
            .unwrap();
        let count = usize::try_from(count).unwrap();
        assert!(
            count == 0 || count == 20,
            "{a:?}: {count} of its 20 numbers"
        );
        if a.status == 201 {
            assert_eq!(count, 20, "{a:?}");
        }
        counts.insert(first, count);
    }
    assert!(counts.values().any(|c| *c == 0), "every write succeeded");
}
