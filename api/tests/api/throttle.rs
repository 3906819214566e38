//! Sign-in cannot be flooded or guessed: failures are throttled per account and per client
//! address (in the database, so across processes), and password checks never hold a
//! database connection, so a flood of bogus sign-ins leaves signed-in requests prompt.

use std::time::{Duration, Instant};

use reqwest::{header, Response, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp, PASSWORD};

async fn login_from(app: &TestApp, email: &str, password: &str, address: &str) -> Response {
    app.request(reqwest::Method::POST, "/api/v1/auth/login", None)
        .header("X-Forwarded-For", address)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &Response) -> u64 {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", response.headers()))
}

/// Ends every block, as time passing would.
async fn let_blocks_expire(app: &TestApp) {
    app.db()
        .run(|conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::sign_in_throttle::dsl::*;
            diesel::update(sign_in_throttle)
                .set(blocked_until.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_accounts_failures_are_throttled_with_growing_delays() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;
    app.account("Fabrikam", "admin@fabrikam.example").await;

    for _ in 0..5 {
        assert_problem(
            app.login("admin@contoso.example", "not the password").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    // Blocked now, even with the right password (a right guess must look like a wrong one).
    let blocked = app.login("Admin@Contoso.Example", PASSWORD).await;
    let first_wait = retry_after(&blocked);
    assert!((25..=30).contains(&first_wait), "{first_wait}");
    let problem = assert_problem(blocked, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(problem.detail.contains("Too many failed sign-ins"));
    // Another account from the same address is not concerned.
    app.login_ok("admin@fabrikam.example", PASSWORD).await;

    // The next failure after the block blocks twice as long.
    let_blocks_expire(&app).await;
    assert_problem(
        app.login("admin@contoso.example", "still wrong").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let second_wait = retry_after(&app.login("admin@contoso.example", PASSWORD).await);
    assert!((55..=60).contains(&second_wait), "{second_wait}");

    // Once it passes, the right password works and the count starts again.
    let_blocks_expire(&app).await;
    app.login_ok("admin@contoso.example", PASSWORD).await;
    for _ in 0..4 {
        assert_eq!(
            app.login("admin@contoso.example", "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    app.login_ok("admin@contoso.example", PASSWORD).await;
}

#[tokio::test]
async fn unknown_emails_are_throttled_like_known_ones() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(
            app.login("nobody@contoso.example", "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_problem(
        app.login("nobody@contoso.example", "guess").await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn a_client_addresss_failures_are_throttled_across_accounts() {
    let app = spawn_app_with(&["--trusted-proxies", "1"]).await;
    app.account("Contoso", "admin@contoso.example").await;
    // Password spraying: one guess at each of twenty accounts.
    for n in 0..20 {
        assert_eq!(
            login_from(
                &app,
                &format!("user{n}@contoso.example"),
                "Summer2026!",
                "203.0.113.7"
            )
            .await
            .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = login_from(&app, "admin@contoso.example", PASSWORD, "203.0.113.7").await;
    assert!(retry_after(&blocked) >= 25);
    assert_problem(blocked, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // The address is what the proxy saw: what the client put further left is not trusted.
    assert_eq!(
        login_from(
            &app,
            "admin@contoso.example",
            PASSWORD,
            "198.51.100.1, 203.0.113.7"
        )
        .await
        .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Someone else, elsewhere, signs in.
    let other = login_from(&app, "admin@contoso.example", PASSWORD, "198.51.100.1").await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn guesses_sent_at_once_get_no_more_checks_than_one_after_another() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;
    let guesses: Vec<String> = (0..30).map(|n| format!("guess {n}")).collect();
    let answers = futures_util::future::join_all(
        guesses
            .iter()
            .map(|guess| app.login("admin@contoso.example", guess)),
    )
    .await;
    let count = |status| answers.iter().filter(|r| r.status() == status).count();
    assert_eq!(count(StatusCode::UNAUTHORIZED), 5, "checked");
    assert_eq!(
        count(StatusCode::TOO_MANY_REQUESTS),
        25,
        "refused unchecked"
    );
}

#[tokio::test]
async fn a_wrong_current_password_counts_as_a_failed_sign_in() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    for _ in 0..5 {
        assert_problem(
            app.post(
                "/api/v1/me/password",
                Some(&a.token),
                &json!({"current_password": "a guess", "new_password": "a brand new password"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&a.token),
            &json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
}

/// The flood of the security review: bogus sign-ins from many addresses (so the throttle
/// lets each through to a password check) while a signed-in person works. A small pool makes
/// the old failure plain: with a connection held through each hash, `GET /me` waited for
/// most of the fifty hashes (hundreds of milliseconds); now it waits for none (a few).
#[tokio::test]
async fn signed_in_requests_stay_prompt_during_a_flood_of_bogus_sign_ins() {
    let app = spawn_app_with(&["--trusted-proxies", "1", "--database-pool-size", "2"]).await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let me = || async {
        let started = Instant::now();
        let response = app.get("/api/v1/me", Some(&a.token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        started.elapsed()
    };
    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(me().await);
    }

    let flood = futures_util::future::join_all((0..50).map(|n| {
        let app = &app;
        async move {
            login_from(
                app,
                &format!("intruder{n}@contoso.example"),
                "bogus password",
                &format!("192.0.2.{n}"),
            )
            .await
            .status()
        }
    }));
    let work = async {
        // Let the flood take hold, then ask who I am, again and again, while it lasts.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut during = Vec::new();
        for _ in 0..10 {
            during.push(me().await);
        }
        during
    };
    let (statuses, during) = tokio::join!(flood, work);

    // Every bogus sign-in was checked and refused (or told the server is busy).
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED));
    let slowest = during.iter().max().copied().unwrap_or_default();
    assert!(
        slowest < Duration::from_millis(250),
        "GET /api/v1/me took {slowest:?} during the flood (idle: {idle:?}; during: {during:?})"
    );
}
