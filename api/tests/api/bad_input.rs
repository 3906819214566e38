//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::StatusCode;
use serde_json::json;
use shared::members::Member;
use shared::paging::Page;

use crate::helpers::{assert_problem, spawn_app, PASSWORD};

#[tokio::test]
async fn malformed_unknown_mistyped_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let token = Some(a.token.as_str());

    assert_problem(
        app.post_raw("/api/v1/members", token, "{\"email\": ").await,
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    assert_problem(
        app.post_raw("/api/v1/members", token, "not json").await,
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": "x@contoso.example", "role": "staff", "is_owner": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": 42, "role": "staff"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": "x@contoso.example"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": "not an email", "role": "staff"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let huge =
        json!({"email": format!("{}@contoso.example", "a".repeat(100_000)), "role": "staff"});
    assert_problem(
        app.post("/api/v1/members", token, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let form = app
        .request(reqwest::Method::POST, "/api/v1/members", token)
        .header("content-type", "text/plain")
        .body("email=x")
        .send()
        .await
        .unwrap();
    assert_problem(
        form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        app.patch(
            "/api/v1/members/not-a-uuid",
            token,
            &json!({"role": "staff"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let members: Vec<Member> = app
        .get("/api/v1/members", token)
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(members.len(), 1);
}

#[tokio::test]
async fn sql_metacharacters_are_just_characters() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let nasty = [
        "admin@contoso.example' OR '1'='1",
        "' OR 1=1; --",
        "admin@contoso.example\"; DROP TABLE users; --",
        "%",
        "_@_._",
    ];
    for email in nasty {
        assert_problem(
            app.login(email, "' OR '1'='1").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        let invite = app
            .post(
                "/api/v1/members",
                Some(&a.token),
                &json!({"email": email, "role": "staff"}),
            )
            .await;
        assert_problem(invite, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    // A name full of metacharacters is stored and returned verbatim.
    let name = "Robert'); DROP TABLE api_tokens;-- %_\\";
    let created: shared::api_tokens::CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&a.token),
            &json!({"name": name, "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created.token.name, name);
    let members: Vec<Member> = app
        .get("/api/v1/members", Some(&a.token))
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(members.len(), 1);
    app.login_ok("admin@contoso.example", PASSWORD).await;
}

#[tokio::test]
async fn unknown_api_paths_and_methods_get_problems_not_the_web_app() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v2/members", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// Every field that reaches the database, argon2 or Microsoft has a bound on its length and
/// characters; beyond it, a clear 400 and nothing changed.
#[tokio::test]
async fn fields_out_of_bounds_are_refused_with_400_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let token = Some(a.token.as_str());
    let long_email = format!("{}@contoso.example", "a".repeat(250));
    let nul_email = "admin\u{0}@contoso.example";

    let refused = [
        // Sign-in: before the throttle, the database and argon2.
        app.login(&long_email, PASSWORD).await,
        app.login(nul_email, PASSWORD).await,
        app.login("admin@contoso.example", &"p".repeat(257)).await,
        // Members.
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": long_email, "role": "staff"}),
        )
        .await,
        app.post(
            "/api/v1/members",
            token,
            &json!({"email": "new\u{0}@contoso.example", "role": "staff"}),
        )
        .await,
        // API tokens.
        app.post(
            "/api/v1/api-tokens",
            token,
            &json!({"name": "n".repeat(101), "role": "viewer"}),
        )
        .await,
        app.post(
            "/api/v1/api-tokens",
            token,
            &json!({"name": "two\nlines", "role": "viewer"}),
        )
        .await,
        // Your own password.
        app.post(
            "/api/v1/me/password",
            token,
            &json!({"current_password": PASSWORD, "new_password": "n".repeat(257)}),
        )
        .await,
        app.post(
            "/api/v1/me/password",
            token,
            &json!({"current_password": "c".repeat(257), "new_password": "a brand new password"}),
        )
        .await,
    ];
    for response in refused {
        let problem = assert_problem(response, StatusCode::BAD_REQUEST, "out_of_bounds").await;
        assert!(
            problem.detail.contains("at most") || problem.detail.contains("control"),
            "{}",
            problem.detail
        );
    }

    // Nothing changed: one member, no token, the password as it was, and no failure
    // counted against the account (five wrong ones would block it).
    let members: Vec<Member> = app
        .get("/api/v1/members", token)
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(members.len(), 1);
    let tokens: Vec<shared::api_tokens::ApiToken> = app
        .get("/api/v1/api-tokens", token)
        .await
        .json::<Page<shared::api_tokens::ApiToken>>()
        .await
        .unwrap()
        .items;
    assert!(tokens.is_empty());
    for _ in 0..6 {
        assert_eq!(
            app.login("admin@contoso.example", &"p".repeat(257))
                .await
                .status(),
            StatusCode::BAD_REQUEST
        );
    }
    app.login_ok("admin@contoso.example", PASSWORD).await;
    // Right at the bounds, all is well.
    let at_bound = app
        .post(
            "/api/v1/api-tokens",
            token,
            &json!({"name": "n".repeat(100), "role": "viewer"}),
        )
        .await;
    assert_eq!(at_bound.status(), StatusCode::CREATED);
}
