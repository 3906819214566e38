//! Voice profiles: policy names resolved with Teams at save (an unknown one refused, naming
//! it), names unique per account, at most 200 per account, one default per account and per
//! block, a profile in use kept, the choices read from Teams, roles and other accounts.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::{
    audit::AuditEvent,
    paging::Page,
    tenant_connection::{ConnectionState, StepStatus, VerificationOutcome},
    voice_profiles::{PolicyType, ProfileChoices, VoiceProfile},
};
use tenant_connect::db::schema::directory_users;

use crate::{
    helpers::{assert_problem, TestApp},
    telephony_support::{spawn_telephony, Connected},
};

const PROFILES: &str = "/api/v1/voice-profiles";
const LOCATION: &str = "3f2a8c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c";

async fn create(app: &TestApp, token: &str, body: Value) -> VoiceProfile {
    let response = app.post(PROFILES, Some(token), &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn profiles(app: &TestApp, token: &str) -> Vec<VoiceProfile> {
    app.json_ok(PROFILES, token).await
}

async fn profile(app: &TestApp, token: &str, id: uuid::Uuid) -> VoiceProfile {
    app.json_ok(&format!("{PROFILES}/{id}"), token).await
}

/// The simulated tenant's policies, as Teams PowerShell would list them: `(type, name) -> id`.
async fn sim_policy_id(app: &TestApp, tenant: &str, policy_type: &str, name: &str) -> String {
    let (status, policies) = app
        .sim_control(
            reqwest::Method::GET,
            &format!("tenants/{tenant}/policies"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{policies}");
    policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policyType"] == policy_type && p["name"] == name)
        .and_then(|p| p["policyId"].as_str())
        .unwrap_or_else(|| panic!("the simulator has no {policy_type} {name}: {policies}"))
        .to_owned()
}

async fn audit_kinds(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let page: Page<AuditEvent> = app.json_ok("/api/v1/audit-events?limit=500", token).await;
    page.items
        .into_iter()
        .filter(|e| e.kind.starts_with("voice_profile."))
        .map(|e| (e.kind, e.summary))
        .collect()
}

#[tokio::test]
async fn known_policy_names_are_saved_with_teams_ids() {
    let c = Connected::new(&[]).await;
    let app = &c.app;

    let created = create(
        app,
        c.token(),
        json!({
            "name": " US users ",
            "number_source": {"kind": "country", "country": "us"},
            "policies": [
                {"policy_type": "TenantDialPlan", "name": "US-DialPlan"},
                {"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"},
            ],
            "emergency_location": {"location_id": LOCATION, "label": "Seattle HQ"},
        }),
    )
    .await;

    assert_eq!(created.name, "US users");
    let ids: Vec<(PolicyType, &str, &str)> = created
        .policies
        .iter()
        .map(|p| (p.policy_type, p.name.as_str(), p.policy_id.as_str()))
        .collect();
    let route = sim_policy_id(app, &c.tenant, "OnlineVoiceRoutingPolicy", "US-Route").await;
    let plan = sim_policy_id(app, &c.tenant, "TenantDialPlan", "US-DialPlan").await;
    assert_eq!(
        ids,
        [
            (
                PolicyType::OnlineVoiceRoutingPolicy,
                "US-Route",
                route.as_str()
            ),
            (PolicyType::TenantDialPlan, "US-DialPlan", plan.as_str()),
        ]
    );
    assert!(created.policies.iter().all(|p| !p.manual));
    assert!(created.warnings.is_empty());
    let location = created.emergency_location.clone().unwrap();
    assert_eq!(location.location_id, LOCATION);
    assert_eq!(location.label.as_deref(), Some("Seattle HQ"));
    assert_eq!(
        created.number_source,
        shared::voice_profiles::NumberSource::Country {
            country: "US".to_owned()
        }
    );
    assert_eq!(created.users, 0);
    assert_eq!(
        profiles(app, c.token()).await,
        std::slice::from_ref(&created)
    );
    assert_eq!(profile(app, c.token(), created.id).await, created);

    let events = audit_kinds(app, c.token()).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "voice_profile.created");
    assert!(
        events[0].1.contains("'US users'") && events[0].1.contains("US-Route"),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_unknown_policy_name_is_refused_by_name_and_nothing_is_saved() {
    let c = Connected::new(&[]).await;
    let app = &c.app;

    let problem = assert_problem(
        app.post(
            PROFILES,
            Some(c.token()),
            &json!({
                "name": "US users",
                "policies": [
                    {"policy_type": "TenantDialPlan", "name": "US-DialPlan"},
                    {"policy_type": "OnlineVoiceRoutingPolicy", "name": "Mars-Route"},
                ],
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;

    assert_eq!(
        problem.detail,
        "Teams has no OnlineVoiceRoutingPolicy named 'Mars-Route'."
    );
    assert!(profiles(app, c.token()).await.is_empty());
    assert!(audit_kinds(app, c.token()).await.is_empty());

    // A change to an unknown name is refused the same way, and the profile keeps its policy.
    let saved = create(
        app,
        c.token(),
        json!({"name": "EU users", "policies": [{"policy_type": "OnlineVoiceRoutingPolicy", "name": "EU-Route"}]}),
    )
    .await;
    let problem = assert_problem(
        app.patch(
            &format!("{PROFILES}/{}", saved.id),
            Some(c.token()),
            &json!({"policies": [{"policy_type": "CallingLineIdentity", "name": "Nobody"}]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(
        problem.detail,
        "Teams has no CallingLineIdentity named 'Nobody'."
    );
    assert_eq!(profile(app, c.token(), saved.id).await, saved);
}

#[tokio::test]
async fn names_are_unique_in_an_account_whatever_their_case() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let first = create(&app, &a.token, json!({"name": "US users"})).await;
    let other = create(&app, &a.token, json!({"name": "EU users"})).await;

    assert_problem(
        app.post(PROFILES, Some(&a.token), &json!({"name": "us USERS"}))
            .await,
        StatusCode::CONFLICT,
        "profile_name_taken",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("{PROFILES}/{}", other.id),
            Some(&a.token),
            &json!({"name": "US users"}),
        )
        .await,
        StatusCode::CONFLICT,
        "profile_name_taken",
    )
    .await;
    // Another account may use the name.
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    create(&app, &b.token, json!({"name": "US users"})).await;
    // Renaming to its own name in another case is fine.
    let response = app
        .patch(
            &format!("{PROFILES}/{}", first.id),
            Some(&a.token),
            &json!({"name": "US Users"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let names: Vec<String> = profiles(&app, &a.token)
        .await
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["EU users", "US Users"]);
}

#[tokio::test]
async fn an_account_has_at_most_200_profiles() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    for n in 1..=200 {
        create(&app, &a.token, json!({"name": format!("Site {n:03}")})).await;
    }
    let problem = assert_problem(
        app.post(PROFILES, Some(&a.token), &json!({"name": "Site 201"}))
            .await,
        StatusCode::CONFLICT,
        "too_many_profiles",
    )
    .await;
    assert!(problem.detail.contains("at most 200"), "{}", problem.detail);
    let listed = profiles(&app, &a.token).await;
    assert_eq!(listed.len(), 200);
    assert!(listed.iter().all(|p| p.name != "Site 201"));
    // One deleted makes room for one more.
    let response = app
        .delete(&format!("{PROFILES}/{}", listed[0].id), Some(&a.token))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    create(&app, &a.token, json!({"name": "Site 201"})).await;
    // Another account is not counted.
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    create(&app, &b.token, json!({"name": "Site 001"})).await;
}

#[tokio::test]
async fn one_profile_is_the_default_and_setting_another_moves_it() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let first = create(&app, &a.token, json!({"name": "First", "is_default": true})).await;
    assert!(first.is_default);

    let second = create(
        &app,
        &a.token,
        json!({"name": "Second", "is_default": true}),
    )
    .await;
    assert!(second.is_default);
    assert!(!profile(&app, &a.token, first.id).await.is_default);

    let response = app
        .patch(
            &format!("{PROFILES}/{}", first.id),
            Some(&a.token),
            &json!({"is_default": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let defaults: Vec<String> = profiles(&app, &a.token)
        .await
        .into_iter()
        .filter(|p| p.is_default)
        .map(|p| p.name)
        .collect();
    assert_eq!(defaults, ["First"]);

    // No default at all is allowed too.
    let response = app
        .patch(
            &format!("{PROFILES}/{}", first.id),
            Some(&a.token),
            &json!({"is_default": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(profiles(&app, &a.token).await.iter().all(|p| !p.is_default));
}

#[tokio::test]
async fn a_block_has_one_default_profile_of_its_own_account() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let block = app
        .load_range(&a.token, "+14255550100", 10)
        .await
        .block
        .unwrap()
        .id;
    let other_block = app
        .load_range(&a.token, "+14255550200", 10)
        .await
        .block
        .unwrap()
        .id;

    let seattle = create(
        &app,
        &a.token,
        json!({"name": "Seattle", "default_for_blocks": [block, block],
               "number_source": {"kind": "block", "block_id": block}}),
    )
    .await;
    assert_eq!(seattle.default_for_blocks, [block]);

    // Another profile takes the block over; the first keeps none.
    let takeover = create(
        &app,
        &a.token,
        json!({"name": "Takeover", "default_for_blocks": [block, other_block]}),
    )
    .await;
    let mut both = takeover.default_for_blocks.clone();
    both.sort();
    let mut expected = vec![block, other_block];
    expected.sort();
    assert_eq!(both, expected);
    assert!(profile(&app, &a.token, seattle.id)
        .await
        .default_for_blocks
        .is_empty());

    // PATCH replaces the list.
    let response = app
        .patch(
            &format!("{PROFILES}/{}", takeover.id),
            Some(&a.token),
            &json!({"default_for_blocks": [other_block]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed: VoiceProfile = response.json().await.unwrap();
    assert_eq!(changed.default_for_blocks, [other_block]);

    // Another account's block is refused, whether as a default or as the number source.
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    for body in [
        json!({"name": "Theirs", "default_for_blocks": [block]}),
        json!({"name": "Theirs", "number_source": {"kind": "block", "block_id": block}}),
    ] {
        assert_problem(
            app.post(PROFILES, Some(&b.token), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    assert!(profiles(&app, &b.token).await.is_empty());

    // Deleting a profile leaves its blocks without a default.
    let response = app
        .delete(&format!("{PROFILES}/{}", takeover.id), Some(&a.token))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let again = create(
        &app,
        &a.token,
        json!({"name": "Again", "default_for_blocks": [other_block]}),
    )
    .await;
    assert_eq!(again.default_for_blocks, [other_block]);
}

#[tokio::test]
async fn a_profile_in_use_cannot_be_deleted() {
    let c = Connected::new(&[]).await;
    let app = &c.app;
    let created = create(app, c.token(), json!({"name": "US users"})).await;
    let users = app.users(c.token(), "").await;
    let user = users[0].id.clone();

    // The phone service change records the profile it used on the user (set here directly).
    let set = |state: &'static str| {
        let (user, profile) = (user.clone(), created.id.to_string());
        app.db().run(move |conn| {
            diesel::update(directory_users::table.filter(directory_users::id.eq(user)))
                .set((
                    directory_users::service_profile_id.eq(Some(profile)),
                    directory_users::service_state.eq(state),
                ))
                .execute(conn)?;
            Ok(())
        })
    };
    set("active").await.unwrap();
    assert_eq!(profile(app, c.token(), created.id).await.users, 1);

    let problem = assert_problem(
        app.delete(&format!("{PROFILES}/{}", created.id), Some(c.token()))
            .await,
        StatusCode::CONFLICT,
        "profile_in_use",
    )
    .await;
    assert!(problem.detail.contains("1 user"), "{}", problem.detail);
    assert_eq!(profiles(app, c.token()).await.len(), 1);

    // Once the user's service is gone, it can go.
    set("none").await.unwrap();
    assert_eq!(profile(app, c.token(), created.id).await.users, 0);
    let response = app
        .delete(&format!("{PROFILES}/{}", created.id), Some(c.token()))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&format!("{PROFILES}/{}", created.id), Some(c.token()))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // No user is left pointing at a profile that is gone.
    let named: Option<String> = {
        let user = user.clone();
        app.db()
            .run(move |conn| {
                Ok(directory_users::table
                    .filter(directory_users::id.eq(user))
                    .select(directory_users::service_profile_id)
                    .first(conn)?)
            })
            .await
            .unwrap()
    };
    assert_eq!(named, None);
    let kinds: Vec<String> = audit_kinds(app, c.token())
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["voice_profile.deleted", "voice_profile.created"]);
}

#[tokio::test]
async fn viewers_and_staff_read_but_only_admins_manage() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let created = create(&app, &a.token, json!({"name": "US users"})).await;

    for role in ["viewer", "staff"] {
        let token = app.token_with_role(&a.token, role).await;
        assert_eq!(profiles(&app, &token).await, std::slice::from_ref(&created));
        assert_eq!(profile(&app, &token, created.id).await, created);
        assert_problem(
            app.post(
                PROFILES,
                Some(&token),
                &json!({"name": format!("By {role}")}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_problem(
            app.patch(
                &format!("{PROFILES}/{}", created.id),
                Some(&token),
                &json!({"name": "Renamed"}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_problem(
            app.delete(&format!("{PROFILES}/{}", created.id), Some(&token))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    assert_eq!(profiles(&app, &a.token).await, [created]);
}

#[tokio::test]
async fn another_accounts_profile_is_not_found() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app.account("Fabrikam", "admin@fabrikam.example").await;
    let created = create(&app, &a.token, json!({"name": "US users"})).await;
    let path = format!("{PROFILES}/{}", created.id);

    assert!(profiles(&app, &b.token).await.is_empty());
    assert_problem(
        app.get(&path, Some(&b.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch(&path, Some(&b.token), &json!({"name": "Mine now"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&path, Some(&b.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(profile(&app, &a.token, created.id).await, created);
}

#[tokio::test]
async fn policies_need_a_connected_tenant_but_the_rest_does_not() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;

    assert_problem(
        app.post(
            PROFILES,
            Some(&a.token),
            &json!({"name": "US users", "policies": [{"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"}]}),
        )
        .await,
        StatusCode::CONFLICT,
        "tenant_not_connected",
    )
    .await;
    assert!(profiles(&app, &a.token).await.is_empty());

    let located = create(
        &app,
        &a.token,
        json!({"name": "Seattle", "emergency_location": {"location_id": LOCATION}}),
    )
    .await;
    assert_eq!(located.emergency_location.unwrap().label, None);

    // Removing the location with null; a location that is not a GUID is refused.
    let response = app
        .patch(
            &format!("{PROFILES}/{}", located.id),
            Some(&a.token),
            &json!({"emergency_location": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared: VoiceProfile = response.json().await.unwrap();
    assert_eq!(cleared.emergency_location, None);
    assert_problem(
        app.post(
            PROFILES,
            Some(&a.token),
            &json!({"name": "Berlin", "emergency_location": {"location_id": "Berlin Office"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_problem(
        app.post(
            PROFILES,
            Some(&a.token),
            &json!({"name": "Two routes", "policies": [
                {"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"},
                {"policy_type": "OnlineVoiceRoutingPolicy", "name": "EU-Route"},
            ]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
}

#[tokio::test]
async fn choices_are_the_policies_in_effect_on_users_without_global() {
    let c = Connected::new(&[]).await;
    let app = &c.app;
    let route = sim_policy_id(app, &c.tenant, "OnlineVoiceRoutingPolicy", "EU-Route").await;
    let users = app.users(c.token(), "").await;
    // Two users inherit EU-Route through a group (Teams PowerShell: a group policy assignment).
    for user in users.iter().take(2) {
        let (status, body) = app
            .sim_control(
                reqwest::Method::POST,
                &format!("tenants/{}/users/{}/group-policies", c.tenant, user.id),
                Some(
                    json!({"policyType": "OnlineVoiceRoutingPolicy", "policyId": route,
                            "groupId": "9d7c1a2b-0000-4000-8000-00000000000a"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }

    let choices: ProfileChoices = app.json_ok(&format!("{PROFILES}/choices"), c.token()).await;

    let seen: Vec<(PolicyType, &str, u64)> = choices
        .policies
        .iter()
        .map(|p| (p.policy_type, p.name.as_str(), p.users))
        .collect();
    assert!(
        seen.contains(&(PolicyType::OnlineVoiceRoutingPolicy, "EU-Route", 2)),
        "{seen:?}"
    );
    assert!(
        choices.policies.iter().all(|p| p.name != "Global"),
        "{seen:?}"
    );
    assert!(choices.locations.iter().all(|l| l.numbers > 0));

    // Admins only: it reads the whole tenant.
    let viewer = app.token_with_role(c.token(), "viewer").await;
    assert_problem(
        app.get(&format!("{PROFILES}/choices"), Some(&viewer)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_tenant_without_the_policy_permission_is_asked_to_consent_again() {
    let c = Connected::new(&[]).await;
    let app = &c.app;
    app.sim_grant_permissions(
        &c.tenant,
        &[
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
            "TeamsTelephoneNumber.ReadWrite.All",
            "TeamsUserConfiguration.Read.All",
        ],
    )
    .await;

    let report = app.verify(c.token()).await;

    assert_eq!(report.outcome, VerificationOutcome::Failed, "{report:?}");
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| !check.passed)
        .map(|check| check.detail.as_str())
        .collect();
    assert_eq!(
        failed,
        ["Not granted: Voice policies: needs TeamsPolicyUserAssign.ReadWrite.All."]
    );
    // The existing way back: step 2 asks for admin consent again.
    let connection = app.connection(c.token()).await;
    assert_eq!(connection.state, ConnectionState::NeedsAttention);
    let consent = &connection.steps[1];
    assert_eq!(consent.status, StepStatus::Failed);
    assert_eq!(
        consent.message.as_deref(),
        Some(
            "Microsoft granted the app fewer permissions than it needs: grant admin consent again."
        )
    );

    // Profiles naming policies wait for the consent; the others do not.
    let problem = assert_problem(
        app.post(
            PROFILES,
            Some(c.token()),
            &json!({"name": "US users", "policies": [{"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"}]}),
        )
        .await,
        StatusCode::CONFLICT,
        "missing_permission",
    )
    .await;
    assert!(
        problem
            .detail
            .contains("TeamsPolicyUserAssign.ReadWrite.All"),
        "{}",
        problem.detail
    );
    create(app, c.token(), json!({"name": "Numbers only"})).await;
}
