//! Phone service as one change (issue 17): a voice profile's number, emergency location and
//! Teams policies given together, read back from Teams, undone when any step fails; the
//! policy type Graph refuses; a crash between steps; preview; and a bulk's rollback.
//! Teams is the simulator, reached over real HTTP; what it shows is read through its control
//! API (the stand-in for Teams PowerShell), not through the portal.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::{
    directory::{DirectoryUser, PartState, ServicePartKind, ServiceState},
    jobs::JobStatus,
    numbers::NumberStatus,
    phone_service::{BulkAccepted, BulkItemOutcome, BulkStatus, Preview},
    voice_profiles::{PolicyType, VoiceProfile},
};

use crate::telephony_support::{count_status, eventually, licensed_users, Connected};

/// Contoso connected and synced, with 50 US numbers (+14255550100 to 149).
async fn connected(extra: &[&str]) -> Connected {
    let t = Connected::new(extra).await;
    t.app.load_range(t.token(), "+14255550100", 50).await;
    t
}

/// The simulated tenant's LIS location with this description.
async fn location(t: &Connected, description: &str) -> String {
    let (status, body) = t
        .app
        .sim_control(
            Method::GET,
            &format!("tenants/{}/locations", t.tenant),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .find(|l| l["description"] == description)
        .unwrap_or_else(|| panic!("no location {description}: {body}"))["locationId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A profile: US-Route and US-DialPlan, and the Seattle HQ emergency location.
async fn us_profile(t: &Connected, name: &str) -> VoiceProfile {
    let seattle = location(t, "Seattle HQ").await;
    create_profile(
        t,
        json!({
            "name": name,
            "number_source": {"kind": "country", "country": "US"},
            "policies": [
                {"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"},
                {"policy_type": "TenantDialPlan", "name": "US-DialPlan"},
            ],
            "emergency_location": {"location_id": seattle, "label": "Seattle HQ"},
        }),
    )
    .await
}

async fn create_profile(t: &Connected, body: Value) -> VoiceProfile {
    let response = t
        .app
        .post("/api/v1/voice-profiles", Some(t.token()), &body)
        .await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// The user's direct policy assignments, as Teams has them: `(type, name)`.
async fn teams_policies(t: &Connected, user: &str) -> Vec<(String, String)> {
    let (status, body) = t
        .app
        .sim_control(
            Method::GET,
            &format!("tenants/{}/users/{user}/policies", t.tenant),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut found: Vec<(String, String)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["policyType"].as_str().unwrap_or_default().to_owned(),
                p["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// The numbers Teams shows with the user (read by a sync of users).
async fn teams_numbers(t: &Connected, user: &str) -> Vec<String> {
    assert_eq!(
        t.app.sync_users(t.token()).await.status,
        JobStatus::Succeeded
    );
    t.app.user(t.token(), user).await.teams_numbers
}

async fn give(t: &Connected, user: &str, profile: Option<uuid::Uuid>) -> DirectoryUser {
    let response = t
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/users/{user}/phone-service"),
            Some(t.token()),
        )
        .json(&json!({ "profile": profile }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        response.text().await.unwrap()
    );
    t.app.settled_user(t.token(), user).await
}

fn part_state(
    user: &DirectoryUser,
    kind: ServicePartKind,
    policy: Option<PolicyType>,
) -> PartState {
    user.service
        .parts
        .iter()
        .find(|p| p.kind == kind && p.policy_type == policy)
        .unwrap_or_else(|| panic!("no part {kind:?} {policy:?}: {:?}", user.service.parts))
        .state
}

#[tokio::test]
async fn a_profile_gives_number_location_and_policies_and_removal_puts_them_back() {
    let t = connected(&[]).await;
    let profile = us_profile(&t, "US staff").await;
    let user = &licensed_users(&t.app, t.token(), None, 1).await[0];

    let active = give(&t, &user.id, Some(profile.id)).await;
    assert_eq!(active.service.state, ServiceState::Active, "{active:?}");
    assert_eq!(active.service.profile_id, Some(profile.id));
    for (kind, policy) in [
        (ServicePartKind::Number, None),
        (ServicePartKind::EmergencyLocation, None),
        (
            ServicePartKind::Policy,
            Some(PolicyType::OnlineVoiceRoutingPolicy),
        ),
        (ServicePartKind::Policy, Some(PolicyType::TenantDialPlan)),
    ] {
        assert_eq!(
            part_state(&active, kind, policy),
            PartState::InEffect,
            "{kind:?}"
        );
    }
    let route = active
        .service
        .parts
        .iter()
        .find(|p| p.policy_type == Some(PolicyType::OnlineVoiceRoutingPolicy))
        .unwrap();
    assert_eq!(route.reported.as_deref(), Some("US-Route"));
    // Teams itself holds the policies and the number.
    assert_eq!(
        teams_policies(&t, &user.id).await,
        [
            ("OnlineVoiceRoutingPolicy".to_owned(), "US-Route".to_owned()),
            ("TenantDialPlan".to_owned(), "US-DialPlan".to_owned()),
        ]
    );
    let number = active.service.number.clone().unwrap();
    assert_eq!(
        teams_numbers(&t, &user.id).await,
        std::slice::from_ref(&number)
    );

    let response = t.app.delete_service(t.token(), &user.id).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let removed = t.app.settled_user(t.token(), &user.id).await;
    assert_eq!(removed.service.state, ServiceState::None, "{removed:?}");
    assert!(removed.service.parts.is_empty());
    assert!(teams_policies(&t, &user.id).await.is_empty());
    assert!(teams_numbers(&t, &user.id).await.is_empty());
    assert_eq!(
        t.app.number(t.token(), &number).await.status,
        NumberStatus::Aging
    );
}

/// After a failed change: the user failed naming the step, nothing of it left in Teams, and
/// every number back in the pool.
async fn assert_undone(t: &Connected, user: &str, step: &str, available_before: usize) {
    let failed = t.app.settled_user(t.token(), user).await;
    assert_eq!(failed.service.state, ServiceState::Failed, "{failed:?}");
    let detail = failed.service.detail.clone().unwrap_or_default();
    assert!(detail.contains(step), "{step:?} not in {detail:?}");
    assert!(teams_policies(t, user).await.is_empty(), "policies left");
    assert!(teams_numbers(t, user).await.is_empty(), "number left");
    assert_eq!(
        count_status(&t.app, t.token(), NumberStatus::Available).await,
        available_before
    );
}

#[tokio::test]
async fn each_step_failing_in_turn_leaves_nothing_half_done() {
    let t = connected(&["--read-back-timeout-seconds", "2"]).await;
    let users = licensed_users(&t.app, t.token(), None, 3).await;
    let available = count_status(&t.app, t.token(), NumberStatus::Available).await;

    // Step 2: Teams refuses the number (an emergency location it does not know).
    let nowhere = create_profile(
        &t,
        json!({
            "name": "Nowhere",
            "policies": [{"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"}],
            "emergency_location": {"location_id": "0b0a0b0a-0000-4000-8000-000000000001"},
        }),
    )
    .await;
    give(&t, &users[0].id, Some(nowhere.id)).await;
    assert_undone(&t, &users[0].id, "Assigning the number failed", available).await;

    // Step 4: a policy of the profile was deleted in Teams since the profile was saved.
    let doomed = create_profile(
        &t,
        json!({
            "name": "Doomed",
            "policies": [
                {"policy_type": "OnlineVoiceRoutingPolicy", "name": "US-Route"},
                {"policy_type": "CallingLineIdentity", "name": "Anonymous"},
            ],
        }),
    )
    .await;
    let anonymous = doomed
        .policies
        .iter()
        .find(|p| p.policy_type == PolicyType::CallingLineIdentity)
        .unwrap()
        .policy_id
        .clone();
    let (status, body) = t
        .app
        .sim_control(
            Method::DELETE,
            &format!("tenants/{}/policies/{anonymous}", t.tenant),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    give(&t, &users[1].id, Some(doomed.id)).await;
    assert_undone(
        &t,
        &users[1].id,
        "Assigning CallingLineIdentity 'Anonymous' failed",
        available,
    )
    .await;

    // Step 5: Teams does not show the policies in effect before the read-back deadline.
    let slow = us_profile(&t, "Slow").await;
    set_policy_delay(&t, 60_000).await;
    give(&t, &users[2].id, Some(slow.id)).await;
    set_policy_delay(&t, 0).await;
    assert_undone(&t, &users[2].id, "Reading back from Teams", available).await;
}

async fn set_policy_delay(t: &Connected, ms: u64) {
    let (status, body) = t
        .app
        .sim_control(
            Method::PUT,
            "settings",
            Some(json!({"policy_delay_ms": ms})),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
}

#[tokio::test]
async fn a_policy_type_graph_refuses_is_left_for_an_admin_and_the_user_is_active() {
    let t = connected(&[]).await;
    let (status, body) = t
        .app
        .sim_control(
            Method::PUT,
            &format!("tenants/{}/refused-policy-types", t.tenant),
            Some(json!(["TenantDialPlan"])),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let profile = us_profile(&t, "US staff").await;
    let user = &licensed_users(&t.app, t.token(), None, 1).await[0];

    let active = give(&t, &user.id, Some(profile.id)).await;
    assert_eq!(active.service.state, ServiceState::Active, "{active:?}");
    assert_eq!(
        part_state(
            &active,
            ServicePartKind::Policy,
            Some(PolicyType::TenantDialPlan)
        ),
        PartState::NeedsManualAction
    );
    assert_eq!(
        part_state(
            &active,
            ServicePartKind::Policy,
            Some(PolicyType::OnlineVoiceRoutingPolicy)
        ),
        PartState::InEffect
    );
    assert_eq!(
        teams_policies(&t, &user.id).await,
        [("OnlineVoiceRoutingPolicy".to_owned(), "US-Route".to_owned())]
    );
    // The profile now warns its admins, naming the type.
    let listed: VoiceProfile = t
        .app
        .json_ok(&format!("/api/v1/voice-profiles/{}", profile.id), t.token())
        .await;
    assert!(
        listed.warnings.iter().any(|w| w.contains("TenantDialPlan")),
        "{:?}",
        listed.warnings
    );
}

#[tokio::test]
async fn a_change_cut_off_between_steps_is_finished_by_the_next_process() {
    let mut t = connected(&[]).await;
    let profile = us_profile(&t, "US staff").await;
    let user = &licensed_users(&t.app, t.token(), None, 1).await[0];
    // Teams is slow to show the policies: the change waits in its read-back step...
    set_policy_delay(&t, 3_000).await;
    let response = t
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/users/{}/phone-service", user.id),
            Some(t.token()),
        )
        .json(&json!({ "profile": profile.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    eventually("the policies to be sent", || async {
        (!teams_policies(&t, &user.id).await.is_empty()).then_some(())
    })
    .await;
    // ...when its process dies: no graceful end, the lease simply runs out.
    let runner = t.runner.take().unwrap();
    runner.stop(Duration::ZERO).await;
    assert_eq!(
        t.app.user(t.token(), &user.id).await.service.state,
        ServiceState::Pending
    );
    set_policy_delay(&t, 0).await;
    t.start_runner();
    let active = t.app.settled_user(t.token(), &user.id).await;
    assert_eq!(active.service.state, ServiceState::Active, "{active:?}");
    assert!(active
        .service
        .parts
        .iter()
        .all(|p| p.state == PartState::InEffect));
    assert_eq!(teams_policies(&t, &user.id).await.len(), 2);
    assert_eq!(teams_numbers(&t, &user.id).await.len(), 1);
}

#[tokio::test]
async fn preview_checks_each_row_and_changes_nothing() {
    let t = connected(&[]).await;
    let profile = us_profile(&t, "US staff").await;
    let us = licensed_users(&t.app, t.token(), None, 3).await;
    let gb = &licensed_users(&t.app, t.token(), Some("GB"), 1).await[0];
    let unlicensed = t
        .app
        .users(t.token(), "licensed=false&usage_location=US")
        .await
        .into_iter()
        .next()
        .expect("an unlicensed US user");
    let available = count_status(&t.app, t.token(), NumberStatus::Available).await;
    let mut refs: Vec<String> = us.iter().map(|u| u.user_principal_name.clone()).collect();
    refs.push(gb.id.clone());
    refs.push(unlicensed.id.clone());
    refs.push("nobody@contoso.onmicrosoft.com".into());

    let response = t
        .app
        .post(
            "/api/v1/phone-service/preview",
            Some(t.token()),
            &json!({"users": refs, "profile": profile.id}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let preview: Preview = response.json().await.unwrap();
    assert_eq!((preview.would_succeed, preview.would_fail), (3, 3));
    let numbers: Vec<&str> = preview.rows[..3]
        .iter()
        .map(|r| r.number.as_deref().unwrap())
        .collect();
    // Distinct numbers, the lowest free ones, as auto-select would take them.
    assert_eq!(numbers, ["+14255550100", "+14255550101", "+14255550102"]);
    assert!(
        preview.rows[3].problems[0].contains("usage location is GB"),
        "{:?}",
        preview.rows[3]
    );
    assert!(
        preview.rows[4].problems[0].contains("no Teams Phone licence"),
        "{:?}",
        preview.rows[4]
    );
    assert!(preview.rows[5].problems[0].contains("No such user"));

    // Nothing changed: no number reserved, nobody pending, no job.
    assert_eq!(
        count_status(&t.app, t.token(), NumberStatus::Available).await,
        available
    );
    assert!(t.app.users(t.token(), "service=pending").await.is_empty());
    assert!(teams_policies(&t, &us[0].id).await.is_empty());

    // More rows than free numbers: the rows past the stock would fail, naming it.
    let many: Vec<String> = licensed_users(&t.app, t.token(), None, available + 1)
        .await
        .into_iter()
        .map(|u| u.id)
        .collect();
    let response = t
        .app
        .post(
            "/api/v1/phone-service/preview",
            Some(t.token()),
            &json!({"users": many}),
        )
        .await;
    let preview: Preview = response.json().await.unwrap();
    assert_eq!(preview.would_fail, 1);
    assert!(preview.rows.last().unwrap().problems[0].contains("No free number"));
}

async fn finished_bulk(t: &Connected, job: uuid::Uuid) -> BulkStatus {
    eventually("the job to finish", || async {
        let status: BulkStatus = t
            .app
            .json_ok(&format!("/api/v1/phone-service/bulk/{job}"), t.token())
            .await;
        status.job.status.is_finished().then_some(status)
    })
    .await
}

#[tokio::test]
async fn rollback_undoes_a_bulk_for_users_unchanged_since_and_lists_the_others() {
    let t = connected(&[]).await;
    let profile = us_profile(&t, "US staff").await;
    let users = licensed_users(&t.app, t.token(), None, 4).await;
    let refs: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let response = t
        .app
        .post(
            "/api/v1/phone-service/bulk",
            Some(t.token()),
            &json!({"users": refs, "profile": profile.id}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let bulk: BulkAccepted = response.json().await.unwrap();
    let done = finished_bulk(&t, bulk.job_id).await;
    assert!(
        done.items
            .iter()
            .all(|i| i.outcome == BulkItemOutcome::Assigned),
        "{done:?}"
    );

    // Changed since: one lost the service, another got it back by hand.
    let (gone, again) = (&users[0].id, &users[1].id);
    t.app.delete_service(t.token(), gone).await;
    t.app.settled_user(t.token(), gone).await;
    t.app.delete_service(t.token(), again).await;
    t.app.settled_user(t.token(), again).await;
    give(&t, again, Some(profile.id)).await;

    // Staff may not roll back; an admin may, once.
    let staff = t.app.token_with_role(t.token(), "staff").await;
    let path = format!("/api/v1/phone-service/bulk/{}/rollback", bulk.job_id);
    let refused = t.app.post(&path, Some(&staff), &json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let response = t.app.post(&path, Some(t.token()), &json!({})).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let rollback: BulkAccepted = response.json().await.unwrap();
    let twice = t.app.post(&path, Some(t.token()), &json!({})).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);

    let undone = finished_bulk(&t, rollback.job_id).await;
    assert_eq!(undone.job.status, JobStatus::Succeeded, "{undone:?}");
    let outcome_of = |id: &str| {
        undone
            .items
            .iter()
            .find(|i| i.user_id.as_deref() == Some(id))
            .unwrap()
            .outcome
    };
    assert_eq!(outcome_of(gone), BulkItemOutcome::Skipped);
    assert_eq!(outcome_of(again), BulkItemOutcome::Skipped);
    for user in &users[2..] {
        assert_eq!(outcome_of(&user.id), BulkItemOutcome::Removed);
        let now = t.app.user(t.token(), &user.id).await;
        assert_eq!(now.service.state, ServiceState::None);
        assert!(teams_policies(&t, &user.id).await.is_empty());
        assert!(teams_numbers(&t, &user.id).await.is_empty());
    }
    // The one given service by hand keeps it.
    let kept = t.app.user(t.token(), again).await;
    assert_eq!(kept.service.state, ServiceState::Active);
    assert_eq!(teams_policies(&t, again).await.len(), 2);
}
