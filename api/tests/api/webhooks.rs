//! Webhooks: an admin registers an endpoint and receives signed deliveries (checked by the
//! Standard Webhooks reference verifier, not by our code), retried with backoff, re-sent on
//! demand, delivered at least once across a restart; bad URLs refused (in live mode, every
//! address inside the network); only admins, and only their own account's.
//!
//! Receivers are small HTTP servers inside each test, on 127.0.0.1 (allowed in simulated mode).

use std::{
    collections::{HashMap, VecDeque},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::{
    paging::Page,
    webhooks::{CreatedWebhookEndpoint, DeliveryStatus, WebhookDelivery, WebhookEndpoint},
};
use tenant_connect::{
    db::{self, schema::webhook_endpoints},
    domain::{
        ids::AccountId,
        ledger::{self, Actor, Entry, LedgerKind},
    },
    jobs::webhook_delivery::{Dispatcher, DispatcherHandle, DispatcherSettings},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    connect_flow::CONTOSO_ADMIN,
    helpers::{assert_problem, spawn_app_with, workspace_root, TestAccount, TestApp},
    telephony_support::{eventually, licensed_users, Connected},
};

/// Deliveries retried quickly (three attempts: 100 ms, then 200 ms apart), looked for often.
const QUICK_WEBHOOKS: [&str; 4] = [
    "--webhook-retry-schedule",
    "100ms,200ms",
    "--webhook-poll-ms",
    "20",
];

// ---------------------------------------------------------------------------------------------
// A receiver: a minimal HTTP/1.1 server that records each request and answers as told.

#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Read the request, then never answer (the sender's process dies meanwhile).
    Hang,
}

#[derive(Debug, Clone)]
struct Captured {
    at: Instant,
    headers: HashMap<String, String>,
    body: String,
}

impl Captured {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Clone)]
struct Receiver {
    port: u16,
    captured: Arc<Mutex<Vec<Captured>>>,
    /// Answers to give, in order; then `otherwise`.
    script: Arc<Mutex<VecDeque<Answer>>>,
    otherwise: Arc<Mutex<Answer>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            port: listener.local_addr().unwrap().port(),
            captured: Arc::default(),
            script: Arc::default(),
            otherwise: Arc::new(Mutex::new(Answer::Status(200))),
        };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move { serving.serve(socket).await });
            }
        });
        receiver
    }

    async fn serve(&self, socket: tokio::net::TcpStream) {
        let mut reader = BufReader::new(socket);
        let mut line = String::new();
        // The request line, then headers up to the blank line.
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        self.captured.lock().unwrap().push(Captured {
            at: Instant::now(),
            headers,
            body: String::from_utf8(body).unwrap(),
        });
        let answer = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(*self.otherwise.lock().unwrap());
        match answer {
            Answer::Status(code) => {
                let response = format!(
                    "HTTP/1.1 {code} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let mut socket = reader.into_inner();
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
            Answer::Hang => {
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
        }
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/hooks/tenant-connect?token=receiver-own",
            self.port
        )
    }

    fn then(&self, answers: &[Answer]) {
        self.script.lock().unwrap().extend(answers.iter().copied());
    }

    fn always(&self, answer: Answer) {
        *self.otherwise.lock().unwrap() = answer;
    }

    fn received(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize) -> Vec<Captured> {
        eventually(&format!("{count} request(s) at the receiver"), || async {
            let got = self.received();
            (got.len() >= count).then_some(got)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers over the API.

async fn create_endpoint(app: &TestApp, token: &str, body: Value) -> CreatedWebhookEndpoint {
    let response = app
        .post("/api/v1/webhook-endpoints", Some(token), &body)
        .await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn endpoint_for(
    app: &TestApp,
    token: &str,
    url: &str,
    types: &[&str],
) -> CreatedWebhookEndpoint {
    create_endpoint(
        app,
        token,
        json!({"url": url, "event_types": types, "description": "CRM sync"}),
    )
    .await
}

async fn json_ok<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str, token: &str) -> T {
    let response = app.get(path, Some(token)).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn deliveries(app: &TestApp, token: &str, query: &str) -> Vec<WebhookDelivery> {
    let page: Page<WebhookDelivery> =
        json_ok(app, &format!("/api/v1/webhook-deliveries?{query}"), token).await;
    page.items
}

async fn delivery(app: &TestApp, token: &str, id: &str) -> WebhookDelivery {
    json_ok(app, &format!("/api/v1/webhook-deliveries/{id}"), token).await
}

/// Waits until the delivery reaches `status`.
async fn delivery_in(
    app: &TestApp,
    token: &str,
    id: &str,
    status: DeliveryStatus,
) -> WebhookDelivery {
    eventually(
        &format!("delivery {id} to be {}", status.as_str()),
        || async {
            let d = delivery(app, token, id).await;
            (d.status == status).then_some(d)
        },
    )
    .await
}

/// The account's only delivery, once there is one.
async fn only_delivery(app: &TestApp, token: &str) -> WebhookDelivery {
    let found = eventually("a delivery", || async {
        let all = deliveries(app, token, "").await;
        (!all.is_empty()).then_some(all)
    })
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().unwrap()
}

/// An event of the account, recorded as the portal records every event: in the ledger, which
/// queues it in the outbox in the same transaction.
async fn record_event(app: &TestApp, account: uuid::Uuid, kind: LedgerKind) -> uuid::Uuid {
    app.db()
        .run(move |conn| {
            let account = AccountId::from(account);
            let actor = Actor::system("Webhook test");
            db::transaction(conn, |conn| {
                ledger::record(
                    conn,
                    Entry {
                        user_id: Some("user-1"),
                        number: Some("+14255550100"),
                        ..Entry::new(&account, kind, &actor, "Something happened.".to_owned())
                    },
                )
            })
        })
        .await
        .unwrap()
}

/// A dispatcher as another server process would run it: quick to poll and to retry.
fn dispatcher(app: &TestApp, name: &str, lease: Duration) -> Dispatcher {
    let settings = DispatcherSettings {
        process_id: name.to_owned(),
        workers: 4,
        poll_interval: Duration::from_millis(20),
        lease,
        ..app.state.config.webhook_delivery()
    };
    Dispatcher::new(app.db().clone(), app.state.webhooks.clone(), settings).unwrap()
}

fn start_dispatcher(app: &TestApp, name: &str) -> DispatcherHandle {
    dispatcher(app, name, Duration::from_secs(30)).start()
}

/// What the Standard Webhooks reference library (PyPI `standardwebhooks`) says of a request.
fn verify_independently(secret: &str, request: &Captured) -> (bool, String) {
    let root = workspace_root();
    let python: PathBuf = root.join(".tools/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `scripts/ensure-tools.sh test` to install the independent \
         Standard Webhooks verifier (PyPI standardwebhooks)",
        python.display()
    );
    let input = json!({
        "secret": secret,
        "headers": {
            "webhook-id": request.header("webhook-id"),
            "webhook-timestamp": request.header("webhook-timestamp"),
            "webhook-signature": request.header("webhook-signature"),
        },
        "body": request.body,
    });
    let mut child = std::process::Command::new(&python)
        .arg(root.join("scripts/verify_standard_webhook.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.to_string().as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "the verifier did not run: {said}"
    );
    (output.status.success(), said)
}

async fn count_endpoint_rows(app: &TestApp) -> i64 {
    app.db()
        .run(|conn| Ok(webhook_endpoints::table.count().get_result::<i64>(conn)?))
        .await
        .unwrap()
}

async fn account_with_receiver(extra: &[&str]) -> (TestApp, TestAccount, Receiver) {
    let mut args = QUICK_WEBHOOKS.to_vec();
    args.extend_from_slice(extra);
    let app = spawn_app_with(&args).await;
    let admin = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    (app, admin, Receiver::start().await)
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_admin_registers_an_endpoint_and_receives_phone_service_enabled() {
    let t = Connected::new(&QUICK_WEBHOOKS).await;
    let (app, token) = (&t.app, t.token());
    app.load_range(token, "+14255550100", 20).await;
    let receiver = Receiver::start().await;

    // The secret is in the creation answer, and nowhere else.
    let created = endpoint_for(app, token, &receiver.url(), &["phone_service.enabled"]).await;
    let secret = created.secret.clone();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let raw_key = secret.trim_start_matches("whsec_").to_owned();
    let id = created.endpoint.id;
    assert_eq!(created.endpoint.url, receiver.url());
    assert!(created.endpoint.enabled);
    for path in [
        format!("/api/v1/webhook-endpoints/{id}"),
        "/api/v1/webhook-endpoints".to_owned(),
    ] {
        let text = app.get(&path, Some(token)).await.text().await.unwrap();
        assert!(text.contains(&id.to_string()), "{text}");
        assert!(
            !text.contains(&raw_key) && !text.contains("whsec_"),
            "{path}: {text}"
        );
    }
    let one: WebhookEndpoint =
        json_ok(app, &format!("/api/v1/webhook-endpoints/{id}"), token).await;
    assert_eq!(one, created.endpoint);
    let sealed: String = app
        .db()
        .run(move |conn| {
            Ok(webhook_endpoints::table
                .find(id.to_string())
                .select(webhook_endpoints::secret_sealed)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert!(
        !sealed.contains(&raw_key) && !sealed.contains("whsec_"),
        "{sealed}"
    );
    // The audit log (every role reads it) names the change and the host, without the secret or
    // the path and query, which may carry the receiver's own token.
    let audit = app
        .get(
            "/api/v1/audit-events?type=webhooks.endpoint_created",
            Some(token),
        )
        .await;
    let audit = audit.text().await.unwrap();
    assert!(audit.contains("http://127.0.0.1:"), "{audit}");
    assert!(
        !audit.contains(&raw_key)
            && !audit.contains("receiver-own")
            && !audit.contains("/hooks/tenant-connect"),
        "{audit}"
    );

    // A staff member gives a user phone service: the integrator hears of it.
    let user = &licensed_users(app, token, Some("US"), 1).await[0];
    let response = app.put_service(token, &user.id, None, None).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.settled_user(token, &user.id).await;
    let got = receiver.wait_for(1).await;
    let request = &got[0];
    let event: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(event["type"], "phone_service.enabled", "{event}");
    assert_eq!(event["data"]["user_id"], user.id.as_str(), "{event}");
    assert!(event["data"]["number"]
        .as_str()
        .unwrap()
        .starts_with("+1425555"));
    assert!(event["timestamp"].as_str().is_some());
    assert_eq!(request.header("content-type"), "application/json");
    assert!(request.header("webhook-id").starts_with("msg_"));
    let sent_at: i64 = request.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    assert!(request.header("webhook-signature").starts_with("v1,"));
    let (accepted, said) = verify_independently(&secret, request);
    assert!(accepted, "{said}");

    // The history shows it delivered, at the first attempt.
    let d = delivery_in(
        app,
        token,
        request.header("webhook-id"),
        DeliveryStatus::Delivered,
    )
    .await;
    assert_eq!(d.endpoint_id, id);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.last_status_code, Some(200));
    assert_eq!(d.payload, event);
    assert_eq!(d.history.len(), 1);
    assert_eq!(d.history[0].status_code, Some(200));
    assert!(d.delivered_at.is_some());
    // Only the subscribed event type was sent.
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn deliveries_pass_the_reference_verifier_and_tampering_does_not() {
    let (app, admin, receiver) = account_with_receiver(&["--job-workers", "0"]).await;
    let token = &admin.token;
    let created = endpoint_for(
        &app,
        token,
        &receiver.url(),
        &["tenant_connection.connected"],
    )
    .await;
    // A real event: the admin connects the tenant.
    app.connect_tenant(token, "Contoso", CONTOSO_ADMIN).await;
    let request = receiver.wait_for(1).await.remove(0);
    let event: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(event["type"], "tenant_connection.connected");

    let (accepted, said) = verify_independently(&created.secret, &request);
    assert!(accepted, "{said}");
    let tampered_body = Captured {
        body: request.body.replacen("connected", "c0nnected", 1),
        ..request.clone()
    };
    let mut tampered_id = request.clone();
    tampered_id
        .headers
        .insert("webhook-id".into(), "msg_someone_else".into());
    let other = endpoint_for(&app, token, &receiver.url(), &["bulk_job.finished"]).await;
    for (what, secret, request) in [
        ("a changed body", &created.secret, &tampered_body),
        ("a changed id", &created.secret, &tampered_id),
        ("another endpoint's secret", &other.secret, &request),
    ] {
        let (accepted, said) = verify_independently(secret, request);
        assert!(!accepted, "{what} was accepted: {said}");
        assert!(said.starts_with("rejected"), "{said}");
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_under_the_same_id() {
    let (app, admin, receiver) = account_with_receiver(&[]).await;
    let token = &admin.token;
    endpoint_for(&app, token, &receiver.url(), &["phone_service.enabled"]).await;
    receiver.then(&[Answer::Status(500), Answer::Status(500)]);
    record_event(&app, admin.account_id, LedgerKind::PhoneServiceEnabled).await;

    let got = receiver.wait_for(3).await;
    let id = got[0].header("webhook-id").to_owned();
    assert!(got.iter().all(|r| r.header("webhook-id") == id), "{got:?}");
    assert!(got.iter().all(|r| r.body == got[0].body));
    // 100 ms, then 200 ms (the schedule), at least.
    assert!(
        got[1].at - got[0].at >= Duration::from_millis(100),
        "{:?}",
        got[1].at - got[0].at
    );
    assert!(
        got[2].at - got[1].at >= Duration::from_millis(200),
        "{:?}",
        got[2].at - got[1].at
    );

    let d = delivery_in(&app, token, &id, DeliveryStatus::Delivered).await;
    assert_eq!(d.attempts, 3);
    let codes: Vec<Option<u16>> = d.history.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(200)]);
    assert!(
        d.history[0].error.as_deref().unwrap().contains("500"),
        "{d:?}"
    );
    assert!(d.history[2].error.is_none());
    assert!(d
        .history
        .windows(2)
        .all(|w| w[0].attempted_at <= w[1].attempted_at));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "nothing more is sent once delivered"
    );
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_ends_failed_and_a_resend_delivers_it() {
    let (app, admin, receiver) = account_with_receiver(&[]).await;
    let token = &admin.token;
    endpoint_for(&app, token, &receiver.url(), &["bulk_job.finished"]).await;
    receiver.always(Answer::Status(503));
    record_event(&app, admin.account_id, LedgerKind::BulkJobFinished).await;

    let first = only_delivery(&app, token).await;
    let failed = delivery_in(&app, token, &first.id, DeliveryStatus::Failed).await;
    assert_eq!(failed.attempts, 3);
    assert_eq!(failed.history.len(), 3);
    assert_eq!(failed.last_status_code, Some(503));
    assert!(
        failed.last_error.as_deref().unwrap().contains("503"),
        "{failed:?}"
    );
    assert!(failed.next_attempt_at.is_none());
    let listed = deliveries(&app, token, "status=failed").await;
    assert_eq!(listed.len(), 1);
    assert!(deliveries(&app, token, "status=pending").await.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "a failed delivery is not tried again by itself"
    );

    // The integrator fixes their side; the admin re-sends it: the same message.
    receiver.always(Answer::Status(204));
    let response = app
        .post(
            &format!("/api/v1/webhook-deliveries/{}/resend", first.id),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let resent: WebhookDelivery = response.json().await.unwrap();
    assert_eq!(resent.id, first.id);
    let delivered = delivery_in(&app, token, &first.id, DeliveryStatus::Delivered).await;
    assert_eq!(delivered.attempts, 1, "a re-send starts a fresh round");
    assert_eq!(
        delivered.history.len(),
        4,
        "the history keeps every attempt"
    );
    assert_eq!(delivered.last_status_code, Some(204));
    assert!(delivered.last_error.is_none());
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|r| r.header("webhook-id") == first.id));
}

#[tokio::test]
async fn an_event_committed_while_no_process_delivers_is_delivered_after_a_restart() {
    let (app, admin, receiver) = account_with_receiver(&["--webhook-workers", "0"]).await;
    let token = &admin.token;
    let created = endpoint_for(&app, token, &receiver.url(), &["phone_service.disabled"]).await;
    record_event(&app, admin.account_id, LedgerKind::PhoneServiceDisabled).await;
    let waiting = only_delivery(&app, token).await;
    assert_eq!(waiting.status, DeliveryStatus::Pending);
    assert_eq!(waiting.attempts, 0);
    assert!(waiting.next_attempt_at.is_some());
    // Already waiting: nothing to re-send.
    let again = app
        .post(
            &format!("/api/v1/webhook-deliveries/{}/resend", waiting.id),
            Some(token),
            &json!({}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "delivery_pending").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());

    // The server restarts on the same database (and DATA_DIR: the same JWT secret), with its
    // dispatcher on: the event goes out, signed with the secret sealed before the restart.
    let restarted = app.restarted(&QUICK_WEBHOOKS).await;
    let request = receiver.wait_for(1).await.remove(0);
    assert_eq!(request.header("webhook-id"), waiting.id);
    let (accepted, said) = verify_independently(&created.secret, &request);
    assert!(accepted, "{said}");
    let d = delivery_in(&restarted, token, &waiting.id, DeliveryStatus::Delivered).await;
    assert_eq!(d.attempts, 1);
}

#[tokio::test]
async fn a_delivery_whose_process_dies_mid_attempt_is_delivered_by_another() {
    let (app, admin, receiver) = account_with_receiver(&["--webhook-workers", "0"]).await;
    let token = &admin.token;
    endpoint_for(&app, token, &receiver.url(), &["numbers.low_stock"]).await;
    receiver.then(&[Answer::Hang]);
    record_event(&app, admin.account_id, LedgerKind::NumbersLowStock).await;

    // A process claims it, sends it, and dies before the answer.
    let dying = dispatcher(&app, "dying-process", Duration::from_millis(400)).start();
    let first = receiver.wait_for(1).await.remove(0);
    dying.abort();
    // Another process tries again once the first one's claim has run out.
    let other = start_dispatcher(&app, "other-process");
    let second = receiver.wait_for(2).await.remove(1);
    assert_eq!(second.header("webhook-id"), first.header("webhook-id"));
    assert_eq!(second.body, first.body);
    let d = delivery_in(
        &app,
        token,
        first.header("webhook-id"),
        DeliveryStatus::Delivered,
    )
    .await;
    other.stop(Duration::from_secs(5)).await;
    assert_eq!(d.attempts, 2);
    assert_eq!(d.history.len(), 2, "{d:?}");
    assert!(
        d.history[0].error.as_deref().unwrap().contains("stopped"),
        "{d:?}"
    );
    assert_eq!(d.history[1].status_code, Some(200));
}

#[tokio::test]
async fn a_new_jwt_secret_makes_endpoint_secrets_unreadable_until_rotated() {
    let (app, admin, receiver) = account_with_receiver(&["--webhook-workers", "0"]).await;
    let token = &admin.token;
    let created = endpoint_for(&app, token, &receiver.url(), &["phone_service.failed"]).await;
    record_event(&app, admin.account_id, LedgerKind::PhoneServiceFailed).await;

    let restarted = app
        .restarted(&[
            "--jwt-secret",
            "a brand new server secret, at least 32 characters",
            "--webhook-retry-schedule",
            "100ms",
            "--webhook-poll-ms",
            "20",
        ])
        .await;
    let session = restarted
        .login_ok(&admin.admin_email, crate::helpers::PASSWORD)
        .await;
    let token = &session.access_token;
    let pending = only_delivery(&restarted, token).await;
    let failed = delivery_in(&restarted, token, &pending.id, DeliveryStatus::Failed).await;
    let error = failed.last_error.clone().unwrap();
    assert!(
        error.contains("JWT_SECRET") && error.contains("Rotate"),
        "{error}"
    );
    assert_eq!(
        failed.history.len(),
        1,
        "not retried: a retry cannot fare better"
    );
    assert!(receiver.received().is_empty());

    // The admin rotates the secret, gives it to the integrator, and re-sends.
    let response = restarted
        .post(
            &format!(
                "/api/v1/webhook-endpoints/{}/rotate-secret",
                created.endpoint.id
            ),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: CreatedWebhookEndpoint = response.json().await.unwrap();
    assert_ne!(rotated.secret, created.secret);
    assert!(rotated.secret.starts_with("whsec_"));
    let response = restarted
        .post(
            &format!("/api/v1/webhook-deliveries/{}/resend", pending.id),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let request = receiver.wait_for(1).await.remove(0);
    assert!(verify_independently(&rotated.secret, &request).0);
    assert!(
        !verify_independently(&created.secret, &request).0,
        "the old secret no longer signs"
    );
}

#[tokio::test]
async fn bad_endpoints_are_refused_and_change_nothing() {
    let (app, admin, receiver) = account_with_receiver(&[]).await;
    let token = &admin.token;
    let long_url = format!("https://hooks.example.com/{}", "a".repeat(2100));
    for (body, status, code) in [
        (
            json!({"url": "http://hooks.example.com/in", "event_types": ["phone_service.enabled"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "http://10.0.0.5/in", "event_types": ["phone_service.enabled"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "ftp://hooks.example.com/in", "event_types": ["phone_service.enabled"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "https://user:pw@hooks.example.com/", "event_types": ["phone_service.enabled"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "not a url", "event_types": ["phone_service.enabled"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "https://hooks.example.com/in", "event_types": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "https://hooks.example.com/in", "event_types": ["phone_service.exploded"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "https://hooks.example.com/in"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": "https://hooks.example.com/in", "event_types": ["bulk_job.finished"], "secret": "whsec_mine"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"url": long_url, "event_types": ["phone_service.enabled"]}),
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        ),
        (
            json!({"url": "https://hooks.example.com/in", "event_types": ["bulk_job.finished"], "description": "x".repeat(201)}),
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        ),
        (
            json!({"url": "https://hooks.example.com/in", "event_types": ["bulk_job.finished"], "description": "two\nlines"}),
            StatusCode::BAD_REQUEST,
            "out_of_bounds",
        ),
    ] {
        let response = app
            .post("/api/v1/webhook-endpoints", Some(token), &body)
            .await;
        let problem = assert_problem(response, status, code).await;
        assert!(!problem.detail.is_empty(), "{body}");
    }
    assert_eq!(count_endpoint_rows(&app).await, 0);
    let listed: Page<WebhookEndpoint> = json_ok(&app, "/api/v1/webhook-endpoints", token).await;
    assert!(listed.items.is_empty());
    let audit = app
        .get(
            "/api/v1/audit-events?type=webhooks.endpoint_created",
            Some(token),
        )
        .await;
    assert!(!audit.text().await.unwrap().contains("hooks.example.com"));

    // Simulated mode takes plain http to this machine (the demo receiver, a test's), and
    // https anywhere (nothing is resolved in simulated mode).
    let ok = endpoint_for(&app, token, &receiver.url(), &["phone_service.enabled"]).await;
    endpoint_for(
        &app,
        token,
        "http://localhost:9/x",
        &["phone_service.enabled"],
    )
    .await;
    endpoint_for(
        &app,
        token,
        "https://hooks.example.com/in",
        &["phone_service.enabled"],
    )
    .await;

    // A change to a bad URL, or to no events, is refused and changes nothing.
    let path = format!("/api/v1/webhook-endpoints/{}", ok.endpoint.id);
    for (body, status) in [
        (
            json!({"url": "http://hooks.example.com/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"event_types": []}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"enabled": "yes"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"description": "y".repeat(201)}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let response = app.patch(&path, Some(token), &body).await;
        assert_eq!(response.status(), status, "{body}");
    }
    let unchanged: WebhookEndpoint = json_ok(&app, &path, token).await;
    assert_eq!(unchanged, ok.endpoint);
    // A good change is made, and audited.
    let response = app
        .patch(
            &path,
            Some(token),
            &json!({"event_types": ["bulk_job.finished"], "enabled": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed: WebhookEndpoint = response.json().await.unwrap();
    assert!(!changed.enabled);
    assert_eq!(changed.url, ok.endpoint.url);
    let audit = app
        .get(
            "/api/v1/audit-events?type=webhooks.endpoint_updated",
            Some(token),
        )
        .await;
    assert!(audit.text().await.unwrap().contains("disabled it"));
    // Deleted: gone, and audited.
    assert_eq!(
        app.delete(&path, Some(token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get(&path, Some(token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(count_endpoint_rows(&app).await, 2);
}

#[tokio::test]
async fn live_mode_refuses_endpoints_inside_the_network() {
    let app = spawn_app_with(&["--microsoft-mode", "live", "--ms-client-id", "live-app-id"]).await;
    let admin = app.account("Northwind", "it@northwind.example").await;
    for url in [
        "http://hooks.example.com/in",
        "http://127.0.0.1:8080/_demo/webhook-receiver",
        "https://127.0.0.1/in",
        "https://localhost/in",
        "https://10.1.2.3/in",
        "https://172.16.0.1/in",
        "https://192.168.1.20/in",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/in",
        "https://[::1]/in",
        "https://[fe80::1]/in",
        "https://[fd00::1]/in",
        "https://[::ffff:10.0.0.1]/in",
        // Issue 22, item 12: IPv4-translated, local-use NAT64, NAT64 of a private address,
        // discard-only, documentation.
        "https://[::ffff:0:a00:1]/in",
        "https://[64:ff9b:1::808:808]/in",
        "https://[64:ff9b::a9fe:a9fe]/in",
        "https://[100::1]/in",
        "https://[3fff::1]/in",
        "https://224.0.0.1/in",
        "https://no-such-host.invalid/in",
    ] {
        let response = app
            .post(
                "/api/v1/webhook-endpoints",
                Some(&admin.token),
                &json!({"url": url, "event_types": ["phone_service.enabled"]}),
            )
            .await;
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert!(problem.detail.contains("webhook URL"), "{url}: {problem:?}");
    }
    assert_eq!(count_endpoint_rows(&app).await, 0);
    // No demo receiver in live mode.
    let demo = app.get("/_demo/webhook-receiver", None).await;
    assert_ne!(demo.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_only_their_own_accounts() {
    let (app, admin, receiver) = account_with_receiver(&[]).await;
    let token = &admin.token;
    let created = endpoint_for(&app, token, &receiver.url(), &["phone_service.enabled"]).await;
    receiver.always(Answer::Status(500));
    record_event(&app, admin.account_id, LedgerKind::PhoneServiceEnabled).await;
    let failed = only_delivery(&app, token).await;
    let failed = delivery_in(&app, token, &failed.id, DeliveryStatus::Failed).await;
    let endpoint = format!("/api/v1/webhook-endpoints/{}", created.endpoint.id);
    let the_delivery = format!("/api/v1/webhook-deliveries/{}", failed.id);
    let attempts = |method: reqwest::Method, path: &str| (method, path.to_owned());
    let all = [
        attempts(reqwest::Method::GET, "/api/v1/webhook-endpoints"),
        attempts(reqwest::Method::POST, "/api/v1/webhook-endpoints"),
        attempts(reqwest::Method::GET, &endpoint),
        attempts(reqwest::Method::PATCH, &endpoint),
        attempts(reqwest::Method::DELETE, &endpoint),
        attempts(reqwest::Method::POST, &format!("{endpoint}/rotate-secret")),
        attempts(reqwest::Method::GET, "/api/v1/webhook-deliveries"),
        attempts(reqwest::Method::GET, &the_delivery),
        attempts(reqwest::Method::POST, &format!("{the_delivery}/resend")),
    ];
    let body = json!({"url": "https://hooks.example.com/x", "event_types": ["bulk_job.finished"]});
    let send = |token: String, (method, path): (reqwest::Method, String)| {
        let request = app.request(method.clone(), &path, Some(&token));
        let request = if method == reqwest::Method::POST || method == reqwest::Method::PATCH {
            request.json(&body)
        } else {
            request
        };
        async move { (method, path, request.send().await.unwrap()) }
    };

    // Staff and viewers (API tokens here) are refused everything.
    for role in ["staff", "viewer"] {
        let role_token = app.token_with_role(token, role).await;
        for attempt in all.clone() {
            let (method, path, response) = send(role_token.clone(), attempt).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{role}: {method} {path}"
            );
        }
    }
    // An admin's API token may.
    let admin_token = app.token_with_role(token, "admin").await;
    let listed: Page<WebhookEndpoint> =
        json_ok(&app, "/api/v1/webhook-endpoints", &admin_token).await;
    assert_eq!(listed.items.len(), 1);

    // Another account's admin: 404 for each of them, and nothing changes.
    let other = app.account("Fabrikam", "admin@fabrikam.example").await;
    let lists = ["/api/v1/webhook-endpoints", "/api/v1/webhook-deliveries"];
    for attempt in all
        .iter()
        .filter(|(_, p)| !lists.contains(&p.as_str()))
        .cloned()
    {
        let (method, path, response) = send(other.token.clone(), attempt).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let theirs: Page<WebhookEndpoint> =
        json_ok(&app, "/api/v1/webhook-endpoints", &other.token).await;
    assert!(theirs.items.is_empty());
    let filtered = deliveries(
        &app,
        &other.token,
        &format!("endpoint={}", created.endpoint.id),
    )
    .await;
    assert!(filtered.is_empty());
    assert!(deliveries(&app, &other.token, "").await.is_empty());
    let still: WebhookEndpoint = json_ok(&app, &endpoint, token).await;
    assert_eq!(still, created.endpoint);
    let same = delivery(&app, token, &failed.id).await;
    assert_eq!(same.status, DeliveryStatus::Failed);
    assert_eq!(same.attempts, failed.attempts);
    assert_eq!(receiver.received().len(), 3);
    // Events of the other account never reach this account's endpoints.
    record_event(&app, other.account_id, LedgerKind::PhoneServiceEnabled).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(deliveries(&app, token, "").await.len(), 1);
}

#[tokio::test]
async fn the_demo_receiver_shows_what_arrived_escaped() {
    let (app, admin, _) = account_with_receiver(&[]).await;
    let token = &admin.token;
    let demo = app.url("/_demo/webhook-receiver");
    endpoint_for(&app, token, &demo, &["phone_service.enabled"]).await;
    let empty = app.get("/_demo/webhook-receiver", None).await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert!(empty
        .text()
        .await
        .unwrap()
        .contains("Nothing has arrived yet"));
    // The web app tells the receiver from its own page (every other path) by the marker.
    let head = |path: &str| app.client.head(app.url(path)).send();
    let marked = head("/_demo/webhook-receiver").await.unwrap();
    assert_eq!(marked.status(), StatusCode::OK);
    assert_eq!(marked.headers()["x-demo-webhook-receiver"], "1");
    let other = head("/_demo/elsewhere").await.unwrap();
    assert!(other.headers().get("x-demo-webhook-receiver").is_none());

    // An event whose text would be markup if it were not escaped.
    app.db()
        .run({
            let account = AccountId::from(admin.account_id);
            move |conn| {
                let actor = Actor::system("<script>alert('x')</script>");
                ledger::record(
                    conn,
                    Entry::new(
                        &account,
                        LedgerKind::PhoneServiceEnabled,
                        &actor,
                        "<b>bold</b>".into(),
                    ),
                )
            }
        })
        .await
        .unwrap();
    let d = only_delivery(&app, token).await;
    delivery_in(&app, token, &d.id, DeliveryStatus::Delivered).await;
    let page = app.get("/_demo/webhook-receiver", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("phone_service.enabled"));
    assert!(html.contains(&d.id));
    assert!(html.contains("webhook-signature"));
    assert!(
        !html.contains("<script>") && !html.contains("<b>bold"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("style="));
}
