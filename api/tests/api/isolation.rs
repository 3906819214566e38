//! No data of one account is visible to, or changeable by, another: a resource of another
//! account answers 404, exactly as one that does not exist.

use reqwest::StatusCode;
use serde_json::json;
use shared::paging::Page;
use shared::{
    api_tokens::CreatedApiToken,
    members::{InvitedMember, Member},
    role::Role,
};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn another_accounts_members_and_tokens_are_invisible_and_untouchable() {
    let app = spawn_app().await;
    let contoso = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let fabrikam = app.account("Fabrikam", "admin@fabrikam.example").await;

    let staff: InvitedMember = app
        .post(
            "/api/v1/members",
            Some(&contoso.token),
            &json!({"email": "staff@contoso.example", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token: CreatedApiToken = app
        .post(
            "/api/v1/api-tokens",
            Some(&contoso.token),
            &json!({"name": "Contoso CRM", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();

    // Fabrikam sees only Fabrikam.
    let seen: Vec<Member> = app
        .get("/api/v1/members", Some(&fabrikam.token))
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].email, "admin@fabrikam.example");
    let tokens = app
        .get("/api/v1/api-tokens", Some(&fabrikam.token))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(tokens, r#"{"items":[]}"#);

    // Fabrikam's admin cannot change, remove or revoke Contoso's things: 404, as if absent.
    let member = format!("/api/v1/members/{}", staff.member.id);
    let absent = format!("/api/v1/members/{}", uuid::Uuid::new_v4());
    let foreign = assert_problem(
        app.patch(&member, Some(&fabrikam.token), &json!({"role": "admin"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let missing = assert_problem(
        app.patch(&absent, Some(&fabrikam.token), &json!({"role": "admin"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(foreign.detail, missing.detail);
    assert_problem(
        app.delete(&member, Some(&fabrikam.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(
            &format!("/api/v1/api-tokens/{}", token.token.id),
            Some(&fabrikam.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Contoso's data is unchanged, and its token still works, in its own account only.
    let contoso_members: Vec<Member> = app
        .get("/api/v1/members", Some(&contoso.token))
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(contoso_members.len(), 2);
    assert_eq!(contoso_members[1].role, Role::Staff);
    let via_token: Vec<Member> = app
        .get("/api/v1/members", Some(&token.secret))
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items;
    assert_eq!(via_token.len(), 2);
    assert!(via_token
        .iter()
        .all(|m| m.email.ends_with("@contoso.example")));
}
