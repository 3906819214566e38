use reqwest::StatusCode;
use shared::{
    auth::{LoginResponse, Me, PrincipalKind},
    role::Role,
};

use crate::helpers::{assert_problem, spawn_app, PASSWORD};

#[tokio::test]
async fn an_admin_signs_in_and_sees_their_account() {
    let app = spawn_app().await;
    app.account("Contoso Telephony", "admin@contoso.example")
        .await;

    // Email is matched whatever its case or surrounding spaces.
    let session = app.login_ok(" Admin@Contoso.Example ", PASSWORD).await;
    assert_eq!(session.token_type, "Bearer");
    assert_eq!(session.expires_in, 3600);
    let me: Me = app
        .get("/api/v1/me", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.email, "admin@contoso.example");
    assert_eq!(me.role, Role::Admin);
    assert_eq!(me.kind, PrincipalKind::User);
    assert_eq!(me.account.name, "Contoso Telephony");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;

    let wrong = assert_problem(
        app.login("admin@contoso.example", "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody@contoso.example", "not the password")
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong.detail, unknown.detail);
    assert_eq!(wrong.title, unknown.title);
}

#[tokio::test]
async fn requests_without_valid_credentials_are_refused() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;

    let missing = app.get("/api/v1/me", None).await;
    assert_eq!(
        missing
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    assert_problem(missing, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Forged: the right claims signed with another key.
    let forged = tenant_connect::domain::session::SessionKeys::new(
        b"some other secret, 32+ bytes long",
        600,
    )
    .issue(
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        chrono::Utc::now(),
    )
    .unwrap();
    // Tampered: a genuine token with one character of its signature changed (not the last:
    // its low bits are padding, and 'A' for 'B' there can decode to the same signature).
    let mut tampered = a.token.clone().into_bytes();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        forged.as_str(),
        tampered.as_str(),
        "garbage",
        "tc_not_a_real_token",
    ] {
        assert_problem(
            app.get("/api/v1/me", Some(bad)).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    let basic = app
        .request(reqwest::Method::GET, "/api/v1/me", None)
        .header("authorization", format!("Basic {}", a.token))
        .send()
        .await
        .unwrap();
    assert_problem(basic, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;
    let session = app.login_ok("admin@contoso.example", PASSWORD).await;
    // Genuine in every way but its age: the same session, user and account.
    let claims = app.state.sessions.verify(&session.access_token).unwrap();
    let issue = |at| {
        app.state
            .sessions
            .issue(claims.sid, claims.sub, claims.acc, at)
            .unwrap()
    };
    let fresh = issue(chrono::Utc::now());
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh)).await.status(),
        StatusCode::OK
    );
    let expired = issue(chrono::Utc::now() - chrono::Duration::hours(2));
    let problem = assert_problem(
        app.get("/api/v1/me", Some(&expired)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(problem.detail.contains("expired"), "{}", problem.detail);
}

#[tokio::test]
async fn changing_your_password_ends_older_sessions() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    // No pause: a session from the same second as the change ends too.

    let wrong_current = app
        .post(
            "/api/v1/me/password",
            Some(&a.token),
            &serde_json::json!({"current_password": "wrong", "new_password": "a brand new password"}),
        )
        .await;
    assert_problem(
        wrong_current,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let too_short = app
        .post(
            "/api/v1/me/password",
            Some(&a.token),
            &serde_json::json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_problem(too_short, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    // Neither changed anything.
    app.login_ok("admin@contoso.example", PASSWORD).await;

    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&a.token),
            &serde_json::json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let fresh: LoginResponse = changed.json().await.unwrap();

    assert_eq!(
        app.get("/api/v1/me", Some(&fresh.access_token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.get("/api/v1/me", Some(&a.token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.login("admin@contoso.example", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.login_ok("admin@contoso.example", "a brand new password")
        .await;
}
