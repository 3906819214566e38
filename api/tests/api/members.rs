use reqwest::StatusCode;
use serde_json::json;
use shared::paging::Page;
use shared::{
    members::{InvitedMember, Member, MemberStatus},
    role::Role,
};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp, PASSWORD};

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

    // An invited admin who has not signed in yet is no admin yet...
    let second = invite(&app, &a.token, "second@contoso.example", "admin").await;
    assert_problem(
        app.patch(
            &format!("/api/v1/members/{}", me.id),
            Some(&a.token),
            &json!({"role": "staff"}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    // ...but once they have, one may step down.
    app.login_ok("second@contoso.example", &second.temporary_password)
        .await;
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

/// An invite's answer with what differs between any two invites (ids, times, the address and
/// the password) taken out.
fn shape(mut answer: serde_json::Value) -> serde_json::Value {
    let member = answer["member"].as_object_mut().unwrap();
    for field in ["id", "email", "created_at", "invitation_expires_at"] {
        assert!(member.remove(field).is_some(), "{field}");
    }
    let password = answer["temporary_password"].take();
    assert_eq!(password.as_str().unwrap().len(), 20);
    answer
}

/// Issue 22, item 13: inviting an address that has a sign-in in another account answers as
/// any invite does, creates no second sign-in, and does not let the inviter in.
#[tokio::test]
async fn an_invite_does_not_tell_whether_the_address_has_a_sign_in_elsewhere() {
    let app = spawn_app().await;
    app.account("Contoso", "admin@contoso.example").await;
    let f = app.account("Fabrikam", "admin@fabrikam.example").await;

    let mut answers = Vec::new();
    for email in ["admin@contoso.example", "nobody@fabrikam.example"] {
        let response = app
            .post(
                "/api/v1/members",
                Some(&f.token),
                &json!({"email": email, "role": "staff"}),
            )
            .await;
        let status = response.status();
        let headers: Vec<_> = ["content-type", "location"]
            .iter()
            .map(|h| response.headers().get(*h).cloned())
            .collect();
        let body: serde_json::Value = response.json().await.unwrap();
        let password = body["temporary_password"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        answers.push((status, headers, password, shape(body)));
    }
    let (taken, fresh) = (&answers[0], &answers[1]);
    assert_eq!(taken.0, StatusCode::CREATED);
    assert_eq!((taken.0, &taken.1, &taken.3), (fresh.0, &fresh.1, &fresh.3));

    // Both are listed as invited in Fabrikam.
    let listed = members(&app, &f.token).await;
    let invited: Vec<_> = listed
        .iter()
        .filter(|m| m.status == MemberStatus::Invited)
        .map(|m| m.email.as_str())
        .collect();
    assert_eq!(
        invited,
        ["admin@contoso.example", "nobody@fabrikam.example"]
    );

    // The address keeps its one sign-in, to its own account; the invitation's password does
    // not sign in (as any wrong password).
    let own = app.login_ok("admin@contoso.example", PASSWORD).await;
    assert_eq!(own.me.account.name, "Contoso");
    assert_problem(
        app.login("admin@contoso.example", &taken.2).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let users = app
        .db()
        .run(|conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::users;
            Ok(users::table
                .filter(users::email.eq("admin@contoso.example"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(users, 1);
}

/// Issue 22, item 13: an invitation holds the address nowhere: another account can invite it
/// too, the person joins the account whose password they use, and the other invitation then
/// never signs in.
#[tokio::test]
async fn an_invitation_does_not_hold_the_address() {
    let app = spawn_app().await;
    let c = app.account("Contoso", "admin@contoso.example").await;
    let f = app.account("Fabrikam", "admin@fabrikam.example").await;
    let squatted = invite(&app, &f.token, "pat@contoso.example", "viewer").await;
    assert_eq!(squatted.member.status, MemberStatus::Invited);
    assert!(squatted.member.invitation_expires_at.is_some());
    let real = invite(&app, &c.token, "pat@contoso.example", "staff").await;

    let session = app
        .login_ok("pat@contoso.example", &real.temporary_password)
        .await;
    assert_eq!(
        (
            session.me.account.name.as_str(),
            session.me.role,
            session.me.id
        ),
        ("Contoso", Role::Staff, real.member.id)
    );
    let joined = members(&app, &c.token).await;
    assert!(joined
        .iter()
        .any(|m| m.email == "pat@contoso.example" && m.status == MemberStatus::Active));
    assert_problem(
        app.login("pat@contoso.example", &squatted.temporary_password)
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // The one-time password worked once: from now on it is the person's password.
    assert_eq!(
        app.login_ok("pat@contoso.example", &real.temporary_password)
            .await
            .me
            .id,
        real.member.id
    );

    // An expired invitation neither signs in nor is listed.
    let late = invite(&app, &f.token, "late@fabrikam.example", "viewer").await;
    app.db()
        .run(|conn| {
            use diesel::prelude::*;
            use tenant_connect::db::schema::invitations;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            Ok(diesel::update(invitations::table)
                .filter(invitations::email.eq("late@fabrikam.example"))
                .set(invitations::expires_at.eq(past))
                .execute(conn)?)
        })
        .await
        .unwrap();
    assert_problem(
        app.login("late@fabrikam.example", &late.temporary_password)
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert!(!members(&app, &f.token)
        .await
        .iter()
        .any(|m| m.email == "late@fabrikam.example"));
}

/// Issue 22, item 13: invitations are limited per account, with 429 and Retry-After.
#[tokio::test]
async fn invitations_are_limited_per_account() {
    let app = spawn_app_with(&["--invites-per-hour", "3"]).await;
    let c = app.account("Contoso", "admin@contoso.example").await;
    let f = app.account("Fabrikam", "admin@fabrikam.example").await;
    for n in 0..3 {
        invite(&app, &c.token, &format!("p{n}@contoso.example"), "viewer").await;
    }
    let refused = app
        .post(
            "/api/v1/members",
            Some(&c.token),
            &json!({"email": "p3@contoso.example", "role": "viewer"}),
        )
        .await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry_after), "{retry_after}");
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(problem.detail.contains("3 an hour"), "{problem:?}");
    assert_eq!(members(&app, &c.token).await.len(), 4, "nothing was added");
    // Another account is counted apart.
    invite(&app, &f.token, "p0@fabrikam.example", "viewer").await;
}
