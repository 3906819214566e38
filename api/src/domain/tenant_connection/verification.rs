//! Step 4, and every health check: what Microsoft's answers prove about the connection
//! (CONTRACT section 3). Each feature's permission is proven by a cheap read the feature
//! needs, not only by the token's claims. One verification per account at a time.

use std::time::Duration;

use chrono::Utc;
use shared::tenant_connection::{
    CheckKey, CheckResult, ConnectionState, NoticeKind, VerificationOutcome, VerificationReport,
    VerificationTrigger,
};
use uuid::Uuid;

use super::{
    checks::{self, fail, pass, Grant},
    copy, event, event_unless_repeated, load, move_to, notice, permissions,
    state::Event,
    Settings, TenantConnections,
};
use crate::{
    db::{self, DbConn},
    domain::{
        ids::{AccountId, TenantId},
        ledger::{Actor, LedgerKind},
        principal::Principal,
        stored,
    },
    error::ApiError,
    microsoft::client::{MsError, Probe},
};

/// The feature reads verification makes, with the check each decides.
const PROBES: [(CheckKey, Probe); 3] = [
    (CheckKey::UsersReadable, Probe::Users),
    (CheckKey::NumbersReadable, Probe::NumberAssignments),
    (CheckKey::PhoneStateReadable, Probe::UserConfigurations),
];

/// How a verification request goes on.
enum Start {
    /// Check this tenant (the lease is ours).
    Run(TenantId),
    /// Another one is running: wait for its report.
    Wait,
    /// The account verified too often within the window: this is the last report.
    Answered(VerificationReport),
}

fn consent_required() -> ApiError {
    ApiError::conflict(
            shared::problem::ConflictCode::ConsentRequired,
        "There is nothing to verify yet: complete step 2 first (sign in to Microsoft and grant admin consent).",
    )
}

fn parse_report(stored: &str) -> Option<VerificationReport> {
    serde_json::from_str(stored).ok()
}

/// The tenant a verification checked, and its name when it could be read.
struct Checked {
    tenant: TenantId,
    tenant_name: Option<String>,
}

impl TenantConnections {
    /// Step 4, by a person.
    pub async fn verify(&self, caller: &Principal) -> Result<VerificationReport, ApiError> {
        self.verify_account(
            caller.account_id.clone(),
            Actor::of(caller),
            VerificationTrigger::Manual,
        )
        .await
    }

    /// Runs the checks for one account, once at a time: a second request while one runs
    /// waits for it and answers its report.
    pub async fn verify_account(
        &self,
        account: AccountId,
        actor: Actor,
        trigger: VerificationTrigger,
    ) -> Result<VerificationReport, ApiError> {
        let now = stored::now();
        let lease_until = now
            + chrono::Duration::from_std(self.settings.verify_deadline).unwrap_or_default()
            + chrono::Duration::seconds(10);
        let acc = account.clone();
        let limit = self.settings.action_limit;
        let start = self
            .db
            .run(move |conn| {
                let Some(row) = db::tenant_connections::find(conn, &acc)? else {
                    return Err(consent_required());
                };
                // The connected tenant, else the one a proven consent named. A consent never
                // names another tenant than a connected one (step 2 refuses it), and a claim
                // never replaces a connected tenant here either.
                let Some(tenant) = row.tenant_id.clone().or(row.claimed_tenant_id.clone()) else {
                    return Err(consent_required());
                };
                if trigger == VerificationTrigger::Manual
                    && !db::tenant_connections::count_manual_verification(
                        conn,
                        &acc,
                        now,
                        limit.window,
                        limit.count,
                    )?
                {
                    return match row.last_report.as_deref().and_then(parse_report) {
                        Some(report) => Ok(Start::Answered(report)),
                        None => Err(ApiError::Throttled {
                            detail: "Your account verified its connection several times in the last moments; try again shortly.".to_owned(),
                            retry_after: u64::try_from(limit.window.num_seconds()).unwrap_or(30),
                        }),
                    };
                }
                if db::tenant_connections::try_lease_verification(conn, &acc, now, lease_until)? {
                    Ok(Start::Run(tenant))
                } else {
                    Ok(Start::Wait)
                }
            })
            .await?;
        let tenant = match start {
            Start::Run(tenant) => tenant,
            // Too many in the window: the last report stands.
            Start::Answered(report) => return Ok(report),
            Start::Wait => return self.wait_for_running_verification(account).await,
        };

        let started = Utc::now();
        let mut results = Vec::new();
        let mut tenant_name = None;
        let outcome = match tokio::time::timeout(
            self.settings.verify_deadline,
            self.run_checks(&tenant, &mut results, &mut tenant_name),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(_) => VerificationOutcome::TimedOut,
        };
        let report = VerificationReport {
            id: Uuid::new_v4(),
            trigger,
            message: match outcome {
                VerificationOutcome::Passed => {
                    copy::connected(tenant_name.as_deref().unwrap_or(tenant.as_str()))
                }
                VerificationOutcome::TimedOut | VerificationOutcome::Inconclusive => {
                    copy::VERIFY_FAILED.to_owned()
                }
                VerificationOutcome::Failed => failure_message(&results),
            },
            outcome,
            checks: results,
            started_at: started,
            finished_at: Utc::now(),
        };
        let settings = self.settings.clone();
        let saved = report.clone();
        self.db
            .run(move |conn| {
                let checked = Checked {
                    tenant,
                    tenant_name,
                };
                record(conn, &account, &actor, &saved, checked, &settings)
            })
            .await?;
        Ok(report)
    }

    async fn wait_for_running_verification(
        &self,
        account: AccountId,
    ) -> Result<VerificationReport, ApiError> {
        let give_up =
            tokio::time::Instant::now() + self.settings.verify_deadline + Duration::from_secs(10);
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let acc = account.clone();
            let row = self.db.run(move |conn| load(conn, &acc)).await?;
            if row.verifying_until.is_none() {
                if let Some(report) = row.last_report.as_deref().and_then(parse_report) {
                    return Ok(report);
                }
            }
            if tokio::time::Instant::now() > give_up {
                return Err(ApiError::conflict(
                    shared::problem::ConflictCode::VerificationRunning,
                    "A verification is already running for your account. Try again in a moment.",
                ));
            }
        }
    }

    /// The checks of CONTRACT.md section 3, in order; a failed prerequisite stops the rest.
    async fn run_checks(
        &self,
        tenant: &TenantId,
        results: &mut Vec<CheckResult>,
        tenant_name: &mut Option<String>,
    ) -> VerificationOutcome {
        let token = match self.client.fresh_app_token(tenant.as_str()).await {
            Ok(token) => token,
            Err(MsError::DeadlineExceeded) => return VerificationOutcome::TimedOut,
            Err(e) => {
                results.push(consent_failure(&e, tenant));
                return if is_customer_side(&e) {
                    VerificationOutcome::Failed
                } else {
                    VerificationOutcome::Inconclusive
                };
            }
        };
        results.push(pass(
            CheckKey::ConsentPresent,
            "Microsoft issues the app a token for your tenant.",
        ));
        let claims = &token.claims;
        let grant = Grant {
            tid: &claims.tid,
            roles: &claims.roles,
            wids: &claims.wids,
        };
        results.extend(checks::evaluate_grant(
            &grant,
            tenant,
            &self.settings.requirements,
        ));
        // What the features need, proven by reading (only those the provider requires).
        let required = &self.settings.requirements.permissions;
        for (key, probe) in PROBES {
            let Some(permission) = permissions::for_check(key) else {
                continue;
            };
            if !required.iter().any(|p| p == permission.name) {
                continue;
            }
            match self.client.probe(tenant.as_str(), probe).await {
                Ok(()) => results.push(pass(key, "Microsoft lets the app read it.")),
                Err(MsError::DeadlineExceeded) => return VerificationOutcome::TimedOut,
                Err(e) if is_passing(&e) => {
                    results.push(fail(key, microsoft_hiccup(&e), copy::TRY_AGAIN));
                    return VerificationOutcome::Inconclusive;
                }
                Err(e) => results.push(fail(
                    key,
                    format!(
                        "{}; grant admin consent again (Microsoft answered {}).",
                        permissions::what_it_blocks(permission.name),
                        describe(&e)
                    ),
                    copy::PERMISSIONS_REMEDIATION,
                )),
            }
        }
        match self.client.tenant_information(tenant.as_str()).await {
            Ok(info) => {
                results.push(pass(
                    CheckKey::TenantReadable,
                    format!("Your tenant is {}.", info.display_name),
                ));
                *tenant_name = Some(info.display_name);
            }
            Err(MsError::DeadlineExceeded) => return VerificationOutcome::TimedOut,
            Err(e) if is_passing(&e) => {
                results.push(fail(
                    CheckKey::TenantReadable,
                    microsoft_hiccup(&e),
                    copy::TRY_AGAIN,
                ));
                return VerificationOutcome::Inconclusive;
            }
            Err(e) => results.push(fail(
                CheckKey::TenantReadable,
                format!(
                    "Tenant details: needs CrossTenantInformation.ReadBasic.All; grant admin consent again (Microsoft answered {}).",
                    describe(&e)
                ),
                copy::PERMISSIONS_REMEDIATION,
            )),
        }
        if results.iter().all(|c| c.passed) {
            VerificationOutcome::Passed
        } else {
            VerificationOutcome::Failed
        }
    }
}

/// Records a finished verification: the report, and the state change it decides.
fn record(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &Actor,
    report: &VerificationReport,
    checked: Checked,
    settings: &Settings,
) -> Result<(), ApiError> {
    db::transaction(conn, |conn| {
        db::lock_account(conn, account.as_str())?;
        let now = stored::now();
        let mut row = load(conn, account)?;
        // Disconnected while the checks ran (the lease went with the old row): keep it so.
        if row.verifying_until.is_none() {
            return Ok(());
        }
        // Checked a tenant that is not the connected one (a stale claim): it decides nothing.
        if row.tenant_id.as_ref().is_some_and(|t| t != &checked.tenant) {
            row.verifying_until = None;
            db::tenant_connections::save(conn, &row)?;
            return Ok(());
        }
        let before = row.state.0;
        row.verifying_until = None;
        row.last_report = serde_json::to_string(report).ok();
        row.updated_at = now;
        match report.outcome {
            VerificationOutcome::Passed
                if db::tenant_connections::tenant_held_elsewhere(
                    conn,
                    &checked.tenant,
                    account,
                )? =>
            {
                row.notice = notice(
                    NoticeKind::ConsentError,
                    copy::TENANT_TAKEN_TITLE,
                    copy::TENANT_TAKEN,
                    None,
                );
            }
            VerificationOutcome::Passed => {
                move_to(&mut row, Event::VerifyPassed)?;
                // The tenant the token proved, never merely the one a redirect named.
                if row.tenant_id.as_ref() != Some(&checked.tenant) {
                    row.tenant_name = None;
                }
                row.tenant_id = Some(checked.tenant.clone());
                row.claimed_tenant_id = None;
                row.tenant_name = checked.tenant_name.or(row.tenant_name.take());
                row.connected_at = row.connected_at.or(Some(now));
                row.next_health_check_at = Some(now + settings.health_interval);
                row.notice = notice(
                    NoticeKind::Connected,
                    copy::CONNECTED_TITLE,
                    &report.message,
                    None,
                );
                if let Some(legacy) = row.legacy_service_account.take() {
                    event(conn, account, actor, LedgerKind::TenantConnectionLegacyRemoved, &format!("Removed the legacy connection through {legacy}: the app connection replaces it."))?;
                }
                // `connected` whenever the connection becomes usable (webhooks announce it);
                // `verified` when it already was.
                let (kind, message) = match before {
                    ConnectionState::Connected => (
                        LedgerKind::TenantConnectionVerified,
                        "Verified the connection: all checks passed.".to_owned(),
                    ),
                    ConnectionState::NeedsAttention => (
                        LedgerKind::TenantConnectionConnected,
                        "The connection recovered: all checks pass again.".to_owned(),
                    ),
                    _ => (
                        LedgerKind::TenantConnectionConnected,
                        format!(
                            "Connected tenant {}.",
                            row.tenant_name.clone().unwrap_or_default()
                        ),
                    ),
                };
                // A health check that finds a working connection working changed nothing:
                // recorded, it would fill the ledger with one event every interval.
                let unchanged = before == ConnectionState::Connected
                    && report.trigger == VerificationTrigger::Health;
                if !unchanged {
                    event_unless_repeated(conn, account, actor, kind, &message)?;
                }
            }
            VerificationOutcome::Failed => {
                let failed: Vec<&CheckResult> =
                    report.checks.iter().filter(|c| !c.passed).collect();
                let what = failed
                    .iter()
                    .map(|c| c.label.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let next = move_to(&mut row, Event::VerifyFailed)?;
                if next == ConnectionState::NeedsAttention {
                    let detail = failed
                        .first()
                        .map(|c| {
                            format!("{} {}", c.detail, c.remediation.clone().unwrap_or_default())
                        })
                        .unwrap_or_default();
                    row.notice = notice(
                        NoticeKind::NeedsAttention,
                        copy::NEEDS_ATTENTION_TITLE,
                        &detail,
                        None,
                    );
                } else {
                    row.notice = None;
                }
                if before != ConnectionState::NeedsAttention {
                    // `needs_attention` when a working connection broke (webhooks announce
                    // it); `verify_failed` when it was never working.
                    let kind = if next == ConnectionState::NeedsAttention {
                        LedgerKind::TenantConnectionNeedsAttention
                    } else {
                        LedgerKind::TenantConnectionVerifyFailed
                    };
                    event_unless_repeated(
                        conn,
                        account,
                        actor,
                        kind,
                        &format!("Verification failed: {what}."),
                    )?;
                }
            }
            VerificationOutcome::TimedOut | VerificationOutcome::Inconclusive => {
                if report.trigger == VerificationTrigger::Manual {
                    row.notice = notice(
                        NoticeKind::VerifyFailed,
                        copy::VERIFY_FAILED_TITLE,
                        copy::VERIFY_FAILED,
                        None,
                    );
                }
                event_unless_repeated(
                    conn,
                    account,
                    actor,
                    LedgerKind::TenantConnectionVerifyTimedOut,
                    "Microsoft did not answer the verification in time.",
                )?;
            }
        }
        db::tenant_connections::save(conn, &row)?;
        Ok(())
    })
}

fn failure_message(results: &[CheckResult]) -> String {
    let failed: Vec<&str> = results
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.detail.as_str())
        .collect();
    if failed.is_empty() {
        copy::VERIFY_FAILED.to_owned()
    } else {
        format!("Not connected yet: {}", failed.join(" "))
    }
}

fn consent_failure(e: &MsError, tenant: &TenantId) -> CheckResult {
    let (detail, fix) = if is_invalid_client(e) {
        (
            format!(
                "Microsoft refused the portal's credentials ({}).",
                describe(e)
            ),
            copy::OPERATOR_PROBLEM.to_owned(),
        )
    } else {
        match e.aadsts() {
            Some(700016) => (
                "Microsoft has no admin consent for the app in your tenant (AADSTS700016): it was never granted, or it was revoked.".to_owned(),
                copy::CONSENT_REMEDIATION.to_owned(),
            ),
            Some(90002) => (
                format!("Microsoft does not know the tenant {tenant} (AADSTS90002)."),
                copy::CONSENT_REMEDIATION.to_owned(),
            ),
            _ => (
                format!("Microsoft did not issue the app a token ({}).", describe(e)),
                copy::TRY_AGAIN.to_owned(),
            ),
        }
    };
    fail(CheckKey::ConsentPresent, detail, fix)
}

/// Throttling and outages: nothing is learnt about the tenant.
fn is_passing(e: &MsError) -> bool {
    matches!(
        e,
        MsError::Throttled { .. } | MsError::Unavailable { .. } | MsError::Malformed(_)
    )
}

fn microsoft_hiccup(e: &MsError) -> String {
    format!("Microsoft did not answer properly ({}).", describe(e))
}

/// Whether a refused token means something in the customer's tenant (no consent, no such
/// tenant), as opposed to Microsoft's hiccups or the portal's own credentials.
fn is_customer_side(e: &MsError) -> bool {
    !is_invalid_client(e) && matches!(e.aadsts(), Some(700016 | 90002))
        || matches!(e, MsError::Identity { error, .. } if error == "unauthorized_client" || error == "invalid_tenant")
}

fn is_invalid_client(e: &MsError) -> bool {
    matches!(e, MsError::Identity { error, .. } if error == "invalid_client")
        || matches!(e.aadsts(), Some(7000215 | 7000222))
}

fn describe(e: &MsError) -> String {
    match (e.aadsts(), e.graph_code()) {
        (Some(code), _) => format!("AADSTS{code}"),
        (None, Some(code)) => code.to_owned(),
        _ => e.to_string(),
    }
}
