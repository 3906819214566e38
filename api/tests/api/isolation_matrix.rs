//! Every operation the OpenAPI document lists (read from the running server), tried by each
//! principal of account A (admin, staff, viewer, API token) against account B's resources:
//! never B's data, never a change to B, never a 5xx. And the role rules for every write: a
//! viewer changes nothing; only admins manage members, tokens, webhooks, billing settings, load
//! numbers or disconnect.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::{
    api_tokens::CreatedApiToken, members::InvitedMember, paging::Page, phone_service::BulkAccepted,
    webhooks::WebhookDelivery,
};

use crate::{
    helpers::TestApp,
    telephony_support::{licensed_users, Connected},
};

/// What one of A's principals is.
struct Caller {
    role: &'static str,
    token: String,
}

/// B's resources, by the path template that names them.
struct Victim {
    ids: BTreeMap<&'static str, String>,
    /// Text that only B's data contains.
    markers: Vec<String>,
}

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, Some(token)).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// B (Contoso): connected, numbers, a member, a token, a user with service, a bulk job, a
/// webhook endpoint with a delivery waiting.
async fn victim(t: &Connected) -> Victim {
    let (app, token) = (&t.app, t.token());
    app.load_range(token, "+14255550100", 10).await;
    let users = licensed_users(app, token, Some("US"), 2).await;
    let member: InvitedMember = app
        .post(
            "/api/v1/members",
            Some(token),
            &json!({"email": "staff@contoso.example", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let api_token: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(token),
            &json!({"name": "Contoso CRM", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let endpoint: Value = app
        .post(
            "/api/v1/webhook-endpoints",
            Some(token),
            &json!({
                "url": "http://127.0.0.1:9/contoso-hooks",
                "event_types": ["phone_service.enabled"],
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let profile: Value = app
        .post(
            "/api/v1/voice-profiles",
            Some(token),
            &json!({"name": "Contoso voice", "is_default": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app.put_service(token, &users[0].id, None, None).await;
    let outcome: Value = response.json().await.unwrap();
    let job = outcome["user"]["service"]["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let active = app.settled_user(token, &users[0].id).await;
    let bulk: BulkAccepted = app
        .post(
            "/api/v1/phone-service/bulk",
            Some(token),
            &json!({"users": [users[1].id]}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.finished_job(token, bulk.job_id).await;
    let deliveries: Page<WebhookDelivery> = app.json_ok("/api/v1/webhook-deliveries", token).await;
    let delivery = deliveries
        .items
        .first()
        .expect("a delivery waits")
        .id
        .clone();
    let ids = BTreeMap::from([
        ("/api/v1/members/{id}", member.member.id.to_string()),
        ("/api/v1/api-tokens/{id}", api_token.token.id.to_string()),
        ("/api/v1/jobs/{id}", job),
        ("/api/v1/users/{id}", users[0].id.clone()),
        ("/api/v1/users/{id}/phone-service", users[0].id.clone()),
        (
            "/api/v1/phone-service/bulk/{job_id}",
            bulk.job_id.to_string(),
        ),
        (
            "/api/v1/phone-service/bulk/{job_id}/rollback",
            bulk.job_id.to_string(),
        ),
        (
            "/api/v1/webhook-endpoints/{id}",
            endpoint["endpoint"]["id"].as_str().unwrap().to_owned(),
        ),
        (
            "/api/v1/webhook-endpoints/{id}/rotate-secret",
            endpoint["endpoint"]["id"].as_str().unwrap().to_owned(),
        ),
        ("/api/v1/webhook-deliveries/{id}", delivery.clone()),
        ("/api/v1/webhook-deliveries/{id}/resend", delivery.clone()),
        (
            "/api/v1/voice-profiles/{id}",
            profile["id"].as_str().unwrap().to_owned(),
        ),
    ]);
    let markers = vec![
        users[0].id.clone(),
        users[0].user_principal_name.clone(),
        users[1].user_principal_name.clone(),
        active.service.number.unwrap(),
        "staff@contoso.example".to_owned(),
        "Contoso CRM".to_owned(),
        "contoso-hooks".to_owned(),
        delivery,
        t.tenant.clone(),
        "admin@contoso.example".to_owned(),
        "Contoso voice".to_owned(),
    ];
    Victim { ids, markers }
}

/// What B's admin sees of B: compared before and after A's attempts.
async fn snapshot(app: &TestApp, token: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/members",
        "/api/v1/api-tokens",
        "/api/v1/users?limit=500",
        "/api/v1/numbers?limit=500",
        "/api/v1/number-blocks",
        "/api/v1/webhook-endpoints",
        "/api/v1/webhook-deliveries",
        "/api/v1/billing/settings",
        "/api/v1/audit-events?limit=500",
        "/api/v1/voice-profiles",
    ] {
        seen.push(json_of(app, path, token).await);
    }
    let connection = json_of(app, "/api/v1/tenant-connection", token).await;
    seen.push(connection["state"].clone());
    seen
}

/// A body the operation would accept, so that a refusal is the authorization's, not the
/// body's.
fn body_for(method: &Method, template: &str) -> Option<Value> {
    let body = match (method.as_str(), template) {
        ("POST", "/api/v1/api-tokens") => json!({"name": "Northwind CRM", "role": "viewer"}),
        ("PUT", "/api/v1/billing/settings") => json!({"rule": "pro_rata"}),
        ("POST", "/api/v1/members") => json!({"email": "new@northwind.example", "role": "viewer"}),
        ("PATCH", "/api/v1/members/{id}") => json!({"role": "viewer"}),
        ("POST", "/api/v1/number-blocks") => json!({"start": "+14255559000", "count": 1}),
        ("POST", "/api/v1/phone-service/bulk") => json!({"users": ["someone@northwind.example"]}),
        ("PUT", "/api/v1/users/{id}/phone-service") => json!({}),
        ("POST", "/api/v1/webhook-endpoints") => json!({
            "url": "http://127.0.0.1:9/northwind",
            "event_types": ["phone_service.enabled"],
        }),
        ("PATCH", "/api/v1/webhook-endpoints/{id}") => json!({"enabled": false}),
        ("POST", "/api/v1/voice-profiles") => json!({"name": "Northwind voice"}),
        ("PATCH", "/api/v1/voice-profiles/{id}") => json!({"name": "Taken over"}),
        _ => return None,
    };
    Some(body)
}

/// Operations a caller runs on their own session: not about any account's resources.
const SELF_SERVICE: [&str; 4] = [
    "/api/v1/auth/login",
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-everywhere",
    "/api/v1/me/password",
];

/// Writes only an admin may make (the product's role rules).
fn admin_only(method: &Method, template: &str) -> bool {
    let admin_paths = [
        "/api/v1/api-tokens",
        "/api/v1/members",
        "/api/v1/number-blocks",
        "/api/v1/webhook-endpoints",
        "/api/v1/billing/settings",
        "/api/v1/voice-profiles",
    ];
    (method == Method::DELETE && template == "/api/v1/tenant-connection")
        || admin_paths.iter().any(|p| template.starts_with(p))
}

/// Writes any member may make: the connection steps (the product lets every member start
/// them; Microsoft decides who can consent).
fn any_member(template: &str) -> bool {
    template.starts_with("/api/v1/tenant-connection/")
}

async fn send(
    app: &TestApp,
    caller: &Caller,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, String) {
    let mut request = app.request(method.clone(), path, Some(&caller.token));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn no_principal_of_one_account_reads_or_changes_anothers_resources_by_any_operation() {
    // B's webhook deliveries stay waiting (no worker), so B's state holds still.
    let t = Connected::new(&["--webhook-workers", "0"]).await;
    let app = &t.app;
    let b = victim(&t).await;
    let before = snapshot(app, t.token()).await;

    let northwind = app.account("Northwind", "admin@northwind.example").await;
    let mut callers = vec![Caller {
        role: "admin",
        token: northwind.token.clone(),
    }];
    for role in ["staff", "viewer"] {
        let invited: InvitedMember = app
            .post(
                "/api/v1/members",
                Some(&northwind.token),
                &json!({"email": format!("{role}@northwind.example"), "role": role}),
            )
            .await
            .json()
            .await
            .unwrap();
        let session = app
            .login_ok(
                &format!("{role}@northwind.example"),
                &invited.temporary_password,
            )
            .await;
        callers.push(Caller {
            role,
            token: session.access_token,
        });
    }
    callers.push(Caller {
        role: "api token",
        token: app.token_with_role(&northwind.token, "admin").await,
    });

    let document: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut tried = 0;
    for (template, operations) in paths {
        if !template.starts_with("/api/v1/") || SELF_SERVICE.contains(&template.as_str()) {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let names_a_resource = template.contains('{');
            let path = if names_a_resource {
                let id = b.ids.get(template.as_str()).unwrap_or_else(|| {
                    panic!("{template}: which of B's resources does it name? add it to victim()")
                });
                template.replace("{id}", id).replace("{job_id}", id)
            } else {
                template.clone()
            };
            let body = body_for(&method, template);
            for caller in &callers {
                let what = format!("{} {method} {path}", caller.role);
                // Writes that name no resource act on the caller's own account: only the role
                // rules are theirs to check.
                if !names_a_resource && method != Method::GET {
                    if caller.role == "viewer" && !any_member(template) {
                        let (status, text) = send(app, caller, &method, &path, body.as_ref()).await;
                        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {text}");
                    }
                    if caller.role == "staff" && admin_only(&method, template) {
                        let (status, text) = send(app, caller, &method, &path, body.as_ref()).await;
                        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {text}");
                    }
                    continue;
                }
                let (status, text) = send(app, caller, &method, &path, body.as_ref()).await;
                tried += 1;
                assert!(!status.is_server_error(), "{what}: {status} {text}");
                if names_a_resource {
                    assert!(
                        matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                        "{what}: B's resource answered {status}: {text}"
                    );
                }
                for marker in &b.markers {
                    assert!(
                        !text.contains(marker.as_str()),
                        "{what} showed B's {marker}: {text}"
                    );
                }
            }
        }
    }
    assert!(
        tried >= 100,
        "only {tried} attempts: did the document load?"
    );

    // B is as it was.
    let after = snapshot(app, t.token()).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }
}
