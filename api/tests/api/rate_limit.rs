//! The request rate limit (issue 22, item 4): each principal's writes are counted in the
//! database, so every process on it counts alike; past the limit a request answers 429
//! problem+json with `Retry-After` and does nothing.

use reqwest::{Response, StatusCode};
use serde_json::json;
use shared::{api_tokens::ApiToken, paging::Page};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};

const FIVE_WRITES: [&str; 2] = ["--rate-limit-writes-per-minute", "5"];

async fn create_token(app: &TestApp, token: &str, name: &str) -> Response {
    app.post(
        "/api/v1/api-tokens",
        Some(token),
        &json!({"name": name, "role": "viewer"}),
    )
    .await
}

async fn token_count(app: &TestApp, token: &str) -> usize {
    app.get("/api/v1/api-tokens", Some(token))
        .await
        .json::<Page<ApiToken>>()
        .await
        .unwrap()
        .items
        .len()
}

/// Checks a refusal: 429 problem+json, `Retry-After` within the minute.
async fn assert_throttled(response: Response) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let problem =
        assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(problem.detail.contains("5 writes a minute"), "{problem:?}");
}

#[tokio::test]
async fn writes_past_the_limit_answer_429_and_change_nothing_in_any_process() {
    let app = spawn_app_with(&FIVE_WRITES).await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    // A second server process on the same database.
    let other = app.restarted(&FIVE_WRITES).await;

    for n in 0..3 {
        let created = create_token(&app, &a.token, &format!("t{n}")).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    for n in 3..5 {
        let created = create_token(&other, &a.token, &format!("t{n}")).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    // The sixth write, on either process, is refused and creates nothing.
    assert_throttled(create_token(&app, &a.token, "t5").await).await;
    assert_throttled(create_token(&other, &a.token, "t6").await).await;
    // Even a write that would have failed anyway is refused first.
    assert_throttled(create_token(&other, &a.token, "").await).await;
    // Reads are not limited by default.
    assert_eq!(token_count(&app, &a.token).await, 5);
    assert_eq!(token_count(&other, &a.token).await, 5);
}

#[tokio::test]
async fn each_principal_has_its_own_count_and_reads_can_be_limited_too() {
    let app = spawn_app_with(&[
        "--rate-limit-writes-per-minute",
        "5",
        "--rate-limit-reads-per-minute",
        "3",
    ])
    .await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    for _ in 0..5 {
        let created = create_token(&app, &a.token, "t").await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    assert_throttled(create_token(&app, &a.token, "t").await).await;
    // Another principal still writes.
    assert_eq!(
        create_token(&app, &b.token, "t").await.status(),
        StatusCode::CREATED
    );
    // Reads, when limited, are counted apart from writes.
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/me", Some(&b.token)).await.status(),
            StatusCode::OK
        );
    }
    let refused = app.get("/api/v1/me", Some(&b.token)).await;
    assert!(refused.headers().contains_key("retry-after"));
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(problem.detail.contains("3 reads a minute"), "{problem:?}");
}

/// A window that is over starts again at the next request, on both databases (the upsert's
/// two branches are written once for both backends).
#[tokio::test]
async fn a_window_that_is_over_starts_again_at_the_next_request() {
    let app = crate::helpers::spawn_app().await;
    let t0 = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let minute = chrono::Duration::seconds(60);
    let counts = app
        .db()
        .run(move |conn| {
            use tenant_connect::db::rate_limits::hit;
            let at = |s| t0 + chrono::Duration::seconds(s);
            Ok::<_, tenant_connect::error::ApiError>(vec![
                hit(conn, "writes:test", at(0), at(0) - minute)?,
                hit(conn, "writes:test", at(30), at(30) - minute)?,
                hit(conn, "writes:other", at(30), at(30) - minute)?,
                // The first window (from t0) is over at t0 + 60 s.
                hit(conn, "writes:test", at(60), at(60) - minute)?,
                hit(conn, "writes:test", at(61), at(61) - minute)?,
            ])
        })
        .await
        .unwrap();
    let seen: Vec<(i32, i64)> = counts
        .iter()
        .map(|c| (c.hits, (c.window_started_at - t0).num_seconds()))
        .collect();
    assert_eq!(seen, [(1, 0), (2, 0), (1, 30), (1, 60), (2, 60)]);
}
