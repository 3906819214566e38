use reqwest::StatusCode;
use serde_json::json;
use shared::paging::Page;
use shared::{
    api_tokens::{ApiToken, CreatedApiToken},
    audit::AuditEvent,
    auth::{Me, PrincipalKind},
    members::InvitedMember,
    role::Role,
};

use crate::helpers::{assert_problem, spawn_app, TestApp};

#[tokio::test]
async fn an_integrator_uses_a_token_until_it_is_revoked() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;

    let response = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "Billing export", "role": "viewer"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: CreatedApiToken = response.json().await.unwrap();
    assert!(created.secret.starts_with("tc_"));
    assert!(created.secret.starts_with(&created.token.prefix));

    let me: Me = app
        .get("/api/v1/me", Some(&created.secret))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.kind, PrincipalKind::ApiToken);
    assert_eq!(me.role, Role::Viewer);
    assert_eq!(me.email, "Billing export");
    assert_eq!(me.account.name, "Contoso");

    // The list never shows the secret again, and records the use.
    let listed = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&created.secret));
    let listed = serde_json::from_str::<Page<ApiToken>>(&listed)
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());

    // A viewer token cannot do an admin's work.
    assert_problem(
        app.post(
            "/api/v1/members",
            Some(&created.secret),
            &json!({"email": "x@contoso.example", "role": "admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Nor change a password: that is for people.
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&created.secret),
            &json!({"current_password": "x", "new_password": "y"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let revoked = app
        .delete(
            &format!("/api/v1/api-tokens/{}", created.token.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let problem = assert_problem(
        app.get("/api/v1/me", Some(&created.secret)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(problem.detail.contains("revoked"));
    let listed: Vec<ApiToken> = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items;
    assert!(listed[0].revoked_at.is_some());
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let created: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "CI", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let db = app.db().clone();
    let (hashes, passwords) = db
        .run(|conn| {
            let account = created_account(conn);
            let tokens = tenant_connect::db::api_tokens::list(conn, &account)?;
            let users = tenant_connect::db::users::list(conn, &account)?;
            Ok((
                tokens.into_iter().map(|t| t.token_hash).collect::<Vec<_>>(),
                users
                    .into_iter()
                    .map(|u| u.password_hash)
                    .collect::<Vec<_>>(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].contains(&created.secret[3..]));
    assert!(passwords
        .iter()
        .all(|p| p.starts_with("$argon2id$") && !p.contains(crate::helpers::PASSWORD)));
}

fn created_account(conn: &mut tenant_connect::db::DbConn) -> String {
    tenant_connect::db::accounts::find_by_name(conn, "Contoso")
        .ok()
        .flatten()
        .map(|a| a.id)
        .unwrap_or_default()
}

#[tokio::test]
async fn only_admins_manage_tokens_and_bad_requests_change_nothing() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let staff: shared::members::InvitedMember = app
        .post(
            "/api/v1/members",
            Some(&a.token),
            &json!({"email": "staff@contoso.example", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let staff_token = app
        .login_ok("staff@contoso.example", &staff.temporary_password)
        .await
        .access_token;
    assert_problem(
        app.get("/api/v1/api-tokens", Some(&staff_token)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/api-tokens",
            Some(&staff_token),
            &json!({"name": "x", "role": "admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "  ", "role": "admin"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "x", "role": "owner"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.delete(
            &format!("/api/v1/api-tokens/{}", uuid::Uuid::new_v4()),
            Some(&a.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let listed: Vec<ApiToken> = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items;
    assert!(listed.is_empty());
}

/// A leaked admin token must not be able to take the account over: no new tokens, no new
/// people (whose one-time password it would receive), no removing or demoting the admins.
#[tokio::test]
async fn an_admin_api_token_cannot_manage_members_or_tokens() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let admin_token: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "Automation", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = Some(admin_token.secret.as_str());
    let me: Me = app.get("/api/v1/me", token).await.json().await.unwrap();
    assert_eq!(me.role, Role::Admin);
    let admin_id = app
        .login_ok("admin@contoso.example", crate::helpers::PASSWORD)
        .await
        .me
        .id;

    let refused = [
        app.post(
            "/api/v1/api-tokens",
            token,
            &json!({"name": "Another", "role": "admin"}),
        )
        .await,
        app.get("/api/v1/api-tokens", token).await,
        app.delete(
            &format!("/api/v1/api-tokens/{}", admin_token.token.id),
            token,
        )
        .await,
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": "mallory@contoso.example", "role": "admin"}),
        )
        .await,
        app.patch(
            &format!("/api/v1/members/{admin_id}"),
            token,
            &json!({"role": "viewer"}),
        )
        .await,
        app.delete(&format!("/api/v1/members/{admin_id}"), token)
            .await,
    ];
    for response in refused {
        let problem = assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert!(problem.detail.contains("API token"), "{}", problem.detail);
    }

    // Nothing changed; reading the members stays allowed, as documented.
    let members: Vec<shared::members::Member> = app
        .get("/api/v1/members", token)
        .await
        .json::<Page<shared::members::Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, Role::Admin);
    let tokens: Vec<ApiToken> = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items;
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].revoked_at.is_none());
    assert_eq!(
        app.get("/api/v1/tenant-connection", token).await.status(),
        StatusCode::OK
    );
}

async fn load(app: &TestApp, token: &str, start: &str) -> reqwest::Response {
    app.post(
        "/api/v1/number-blocks",
        Some(token),
        &json!({"start": start, "count": 1}),
    )
    .await
}

async fn listed(app: &TestApp, token: &str) -> Vec<ApiToken> {
    app.get("/api/v1/api-tokens", Some(token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items
}

/// Issue 22, item 5: a token acts with at most its creator's current role, and is revoked (with
/// a ledger event) when its creator is removed; the list shows who created each token.
#[tokio::test]
async fn a_token_never_outranks_its_creator_and_is_revoked_with_them() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let second: InvitedMember = app
        .post(
            "/api/v1/members",
            Some(&a.token),
            &json!({"email": "second@contoso.example", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let second_session = app
        .login_ok("second@contoso.example", &second.temporary_password)
        .await;
    let created: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&second_session.access_token),
            &json!({"name": "Number loader", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        load(&app, &created.secret, "+14255559000").await.status(),
        StatusCode::CREATED
    );

    // The list shows the creator, to every admin.
    let creator = listed(&app, &a.token).await[0].created_by.clone().unwrap();
    assert_eq!(
        (creator.id, creator.email.as_str()),
        (second_session.me.id, "second@contoso.example")
    );

    // Demoted to viewer: their admin token acts as a viewer.
    let demote = app
        .patch(
            &format!("/api/v1/members/{}", second.member.id),
            Some(&a.token),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(demote.status(), StatusCode::OK);
    assert_problem(
        load(&app, &created.secret, "+14255559001").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let me: Me = app
        .get("/api/v1/me", Some(&created.secret))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.role, Role::Viewer);

    // Removed: the token is revoked, in the ledger, and refused.
    let removed = app
        .delete(
            &format!("/api/v1/members/{}", second.member.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/me", Some(&created.secret)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        load(&app, &created.secret, "+14255559002").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let token = &listed(&app, &a.token).await[0];
    assert!(token.revoked_at.is_some());
    assert_eq!(
        token.created_by.as_ref().map(|c| c.email.as_str()),
        Some("second@contoso.example"),
        "the creator is still shown once removed"
    );
    let events: Vec<AuditEvent> = app
        .get("/api/v1/audit-events?limit=500", Some(&a.token))
        .await
        .json::<Page<AuditEvent>>()
        .await
        .unwrap()
        .items;
    let revoked: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "api_tokens.revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "{events:?}");
    assert!(revoked[0].summary.contains("Number loader"));
    assert!(revoked[0]
        .summary
        .contains("second@contoso.example was removed"));
    assert_eq!(revoked[0].actor.name, "admin@contoso.example");
}
