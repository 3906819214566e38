use reqwest::StatusCode;
use serde_json::json;
use shared::paging::Page;
use shared::{
    members::{InvitedMember, Member},
    role::Role,
};

use crate::helpers::{assert_problem, spawn_app, TestApp};

async fn invite(app: &TestApp, token: &str, email: &str, role: &str) -> InvitedMember {
    let response = app
        .post(
            "/api/v1/members",
            Some(token),
            &json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn members(app: &TestApp, token: &str) -> Vec<Member> {
    app.get("/api/v1/members", Some(token))
        .await
        .json::<Page<Member>>()
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn an_admin_invites_a_member_who_signs_in_with_the_one_time_password() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;

    let invited = invite(&app, &a.token, "Staff@Contoso.Example", "staff").await;
    assert_eq!(invited.member.email, "staff@contoso.example");
    assert_eq!(invited.member.role, Role::Staff);
    assert!(invited.temporary_password.len() >= 12);

    let session = app
        .login_ok("staff@contoso.example", &invited.temporary_password)
        .await;
    assert_eq!(session.me.role, Role::Staff);
    assert_eq!(session.me.account.name, "Contoso");

    let listed = members(&app, &a.token).await;
    let emails: Vec<_> = listed.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, ["admin@contoso.example", "staff@contoso.example"]);

    // The same email again is a conflict, and adds nobody.
    let again = app
        .post(
            "/api/v1/members",
            Some(&a.token),
            &json!({"email": "staff@contoso.example", "role": "viewer"}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "email_taken").await;
    assert_eq!(members(&app, &a.token).await.len(), 2);
}

#[tokio::test]
async fn only_admins_manage_members() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let staff = invite(&app, &a.token, "staff@contoso.example", "staff").await;
    let viewer = invite(&app, &a.token, "viewer@contoso.example", "viewer").await;

    for (email, password) in [
        ("staff@contoso.example", &staff.temporary_password),
        ("viewer@contoso.example", &viewer.temporary_password),
    ] {
        let token = app.login_ok(email, password).await.access_token;
        // Everyone may see who is in the account...
        assert_eq!(members(&app, &token).await.len(), 3);
        // ...but not change it.
        let invite = app
            .post(
                "/api/v1/members",
                Some(&token),
                &json!({"email": "x@contoso.example", "role": "admin"}),
            )
            .await;
        assert_problem(invite, StatusCode::FORBIDDEN, "forbidden").await;
        let promote = app
            .patch(
                &format!("/api/v1/members/{}", staff.member.id),
                Some(&token),
                &json!({"role": "admin"}),
            )
            .await;
        assert_problem(promote, StatusCode::FORBIDDEN, "forbidden").await;
        let remove = app
            .delete(
                &format!("/api/v1/members/{}", viewer.member.id),
                Some(&token),
            )
            .await;
        assert_problem(remove, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let roles: Vec<_> = members(&app, &a.token)
        .await
        .iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles, [Role::Admin, Role::Staff, Role::Viewer]);
}

#[tokio::test]
async fn roles_change_at_once_and_removed_members_lose_access() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let staff = invite(&app, &a.token, "staff@contoso.example", "staff").await;
    let staff_token = app
        .login_ok("staff@contoso.example", &staff.temporary_password)
        .await
        .access_token;

    let promoted: Member = app
        .patch(
            &format!("/api/v1/members/{}", staff.member.id),
            Some(&a.token),
            &json!({"role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    // Their existing session acts with the new role.
    let me: shared::auth::Me = app
        .get("/api/v1/me", Some(&staff_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.role, Role::Admin);

    let removed = app
        .delete(
            &format!("/api/v1/members/{}", staff.member.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/me", Some(&staff_token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.delete(
            &format!("/api/v1/members/{}", staff.member.id),
            Some(&a.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_last_admin_can_be_neither_removed_nor_demoted() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let me = app
        .login_ok(&a.admin_email, crate::helpers::PASSWORD)
        .await
        .me;

    assert_problem(
        app.delete(&format!("/api/v1/members/{}", me.id), Some(&a.token))
            .await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("/api/v1/members/{}", me.id),
            Some(&a.token),
            &json!({"role": "viewer"}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    let listed = members(&app, &a.token).await;
    assert_eq!((listed.len(), listed[0].role), (1, Role::Admin));

    // With a second admin, one may step down.
    invite(&app, &a.token, "second@contoso.example", "admin").await;
    let demoted = app
        .patch(
            &format!("/api/v1/members/{}", me.id),
            Some(&a.token),
            &json!({"role": "staff"}),
        )
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_admins_removing_each_other_at_once_leave_one_admin() {
    let app = spawn_app().await;
    let a = app.account("Contoso", "admin@contoso.example").await;
    let first = app
        .login_ok(&a.admin_email, crate::helpers::PASSWORD)
        .await
        .me;
    let second = invite(&app, &a.token, "second@contoso.example", "admin").await;
    let second_token = app
        .login_ok("second@contoso.example", &second.temporary_password)
        .await
        .access_token;

    let (remove_second, remove_first) = (
        format!("/api/v1/members/{}", second.member.id),
        format!("/api/v1/members/{}", first.id),
    );
    let (one, two) = tokio::join!(
        app.delete(&remove_second, Some(&a.token)),
        app.delete(&remove_first, Some(&second_token)),
    );
    let statuses = [one.status(), two.status()];
    assert!(statuses.contains(&StatusCode::NO_CONTENT), "{statuses:?}");

    let db = app.db().clone();
    let account = first.account.id.to_string();
    let admins = db
        .run(move |conn| Ok(tenant_connect::db::users::count_admins(conn, &account)?))
        .await
        .unwrap();
    assert_eq!(admins, 1);
}
