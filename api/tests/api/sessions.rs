//! Sessions end on the server: signing out revokes the session, signing out everywhere
//! revokes every session of the person; API tokens can be given an expiry.

use reqwest::StatusCode;
use serde_json::json;
use shared::api_tokens::{ApiToken, CreatedApiToken};
use shared::paging::Page;

use crate::helpers::{assert_problem, spawn_app, PASSWORD};

#[tokio::test]
async fn signing_out_ends_that_session_on_the_server_only() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let laptop = a.token;
    let phone = app
        .login_ok("admin@contoso.example", PASSWORD)
        .await
        .access_token;

    let out = app
        .post("/api/v1/auth/logout", Some(&laptop), &json!({}))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    // The token is still signed and unexpired, but its session is over.
    let problem = assert_problem(
        app.get("/api/v1/me", Some(&laptop)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(problem.detail.contains("ended"), "{}", problem.detail);
    assert_problem(
        app.post("/api/v1/auth/logout", Some(&laptop), &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&phone)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_person() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let invited: shared::members::InvitedMember = app
        .post(
            "/api/v1/members",
            Some(&a.token),
            &json!({"email": "staff@contoso.example", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let staff = app
        .login_ok("staff@contoso.example", &invited.temporary_password)
        .await
        .access_token;
    let sessions = [
        a.token.clone(),
        app.login_ok("admin@contoso.example", PASSWORD)
            .await
            .access_token,
        app.login_ok("admin@contoso.example", PASSWORD)
            .await
            .access_token,
    ];

    let out = app
        .post(
            "/api/v1/auth/logout-everywhere",
            Some(&sessions[1]),
            &json!({}),
        )
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    for token in &sessions {
        assert_problem(
            app.get("/api/v1/me", Some(token)).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    // Someone else's session is not concerned, and signing in again works.
    assert_eq!(
        app.get("/api/v1/me", Some(&staff)).await.status(),
        StatusCode::OK
    );
    let fresh = app.login_ok("admin@contoso.example", PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh.access_token))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_signed_token_without_a_live_session_is_refused() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let me = app.login_ok("admin@contoso.example", PASSWORD).await.me;
    // Signed with the server's own key, naming a session that was never started.
    let made_up = app
        .state
        .sessions
        .issue(
            uuid::Uuid::new_v4(),
            me.id,
            me.account.id,
            chrono::Utc::now(),
        )
        .unwrap();
    assert_problem(
        app.get("/api/v1/me", Some(&made_up)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // A real session's id under another user's name is refused too.
    let claims = app.state.sessions.verify(&a.token).unwrap();
    let borrowed = app
        .state
        .sessions
        .issue(
            claims.sid,
            uuid::Uuid::new_v4(),
            me.account.id,
            chrono::Utc::now(),
        )
        .unwrap();
    assert_problem(
        app.get("/api/v1/me", Some(&borrowed)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn api_tokens_cannot_sign_out() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let created: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "CI", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    for path in ["/api/v1/auth/logout", "/api/v1/auth/logout-everywhere"] {
        assert_problem(
            app.post(path, Some(&created.secret), &json!({})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        app.post("/api/v1/auth/logout", None, &json!({})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn an_api_token_stops_working_at_its_expiry() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let expires_at = chrono::Utc::now() + chrono::Duration::days(30);
    let created: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "Quarterly audit", "role": "viewer", "expires_at": expires_at}),
        )
        .await
        .json()
        .await
        .unwrap();
    let kept = created.token.expires_at.unwrap();
    assert!((kept - expires_at).num_milliseconds().abs() < 1, "{kept}");
    let never: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "Forever", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(never.token.expires_at, None);
    let listed: Vec<ApiToken> = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items;
    let shown = listed.iter().find(|t| t.id == created.token.id).unwrap();
    assert_eq!(shown.expires_at, Some(kept));
    assert_eq!(
        app.get("/api/v1/me", Some(&created.secret)).await.status(),
        StatusCode::OK
    );

    // Time passes (the expiry is moved to the past, as a clock would).
    let id = created.token.id.to_string();
    app.db()
        .run(move |conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::api_tokens::dsl;
            diesel::update(dsl::api_tokens.filter(dsl::id.eq(id)))
                .set(dsl::expires_at.eq(Some(
                    chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1),
                )))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let problem = assert_problem(
        app.get("/api/v1/me", Some(&created.secret)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(problem.detail.contains("expired"), "{}", problem.detail);
    assert_eq!(
        app.get("/api/v1/me", Some(&never.secret)).await.status(),
        StatusCode::OK
    );

    // An expiry in the past is refused, and nothing is created.
    assert_problem(
        app.post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": "Late", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let listed: Vec<ApiToken> = app
        .get("/api/v1/api-tokens", Some(&a.token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 2);
}
