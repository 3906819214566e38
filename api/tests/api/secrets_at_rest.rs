//! No secret is kept in clear in the database: after a person signs in, changes their password,
//! mints an API token, uses it, and registers a webhook endpoint, every byte of the SQLite
//! database (its file and its write-ahead log) is searched for each secret they handled. This
//! reads the storage itself, whatever table or column a future change might write a secret to.

use reqwest::StatusCode;
use serde_json::json;
use shared::{api_tokens::CreatedApiToken, webhooks::CreatedWebhookEndpoint};

use crate::helpers::{spawn_app, TestApp, PASSWORD, TEST_CLIENT_SECRET};

/// The database's bytes: the file and, in WAL mode, the log not yet written back to it.
fn stored_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["test.db", "test.db-wal"] {
        if let Ok(mut more) = std::fs::read(app.data_dir.path().join(name)) {
            bytes.append(&mut more);
        }
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn no_secret_a_person_or_integrator_handled_is_stored_in_clear() {
    if std::env::var("TEST_BACKEND").as_deref() == Ok("postgres") {
        eprintln!("skipped: reads the SQLite file (the same code writes both databases)");
        return;
    }
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;

    let new_password = "another long password of the admin";
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&a.token),
            &json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let session: serde_json::Value = changed.json().await.unwrap();
    let session = session["access_token"].as_str().unwrap().to_owned();

    let created = app
        .post(
            "/api/v1/api-tokens",
            Some(&session),
            &json!({"name": "Billing export", "role": "admin"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let token: CreatedApiToken = created.json().await.unwrap();
    // The token works: it was stored in some form.
    let me = app.get("/api/v1/me", Some(&token.secret)).await;
    assert_eq!(me.status(), StatusCode::OK);

    let created = app
        .post(
            "/api/v1/webhook-endpoints",
            Some(&token.secret),
            &json!({"url": "https://hooks.example.com/in", "event_types": ["phone_service.enabled"]}),
        )
        .await;
    let status = created.status();
    let text = created.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let endpoint: CreatedWebhookEndpoint = serde_json::from_str(&text).unwrap();

    let stored = stored_bytes(&app);
    // The search sees what was written: the account, the member and the endpoint's URL.
    for written in ["Contoso", "admin@contoso.example", "hooks.example.com"] {
        assert!(
            holds(&stored, written),
            "{written} is not in the database's bytes"
        );
    }
    let webhook_key = endpoint.secret.trim_start_matches("whsec_");
    let secrets = [
        ("the first password", PASSWORD),
        ("the new password", new_password),
        ("the API token", token.secret.as_str()),
        (
            "the API token's random part",
            &token.secret[token.token.prefix.len()..],
        ),
        ("the webhook secret", endpoint.secret.as_str()),
        ("the webhook signing key", webhook_key),
        ("the session token", session.as_str()),
        ("the first session token", a.token.as_str()),
        ("the Microsoft client secret", TEST_CLIENT_SECRET),
    ];
    for (what, secret) in secrets {
        assert!(
            !holds(&stored, secret),
            "{what} is in the database in clear"
        );
    }
}
