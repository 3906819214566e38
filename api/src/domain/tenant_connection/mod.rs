//! Tenant Connect: the four-step setup, verification, and the connection's health.
//!
//! The rules that need no I/O are in `checks` (what a token proves) and `steps` (how the
//! steps read); this module runs them against the database and Microsoft.

pub mod checks;
pub mod copy;
pub mod steps;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use shared::tenant_connection::{
    AppRegistration, CheckKey, CheckResult, ConnectionEvent, ConnectionState, Notice, NoticeKind,
    SetupResponse, TenantConnection, VerificationOutcome, VerificationReport, VerificationTrigger,
};
use uuid::Uuid;

use self::checks::{fail, pass, Grant, Requirements};
use super::{api_token, principal::Principal, stored};
use crate::{
    db::{
        self,
        tenant_connections::{ConnectionRow, ConsentStateRow, EventRow},
        Db, DbConn,
    },
    error::ApiError,
    microsoft::client::{parse_consent_callback, ConsentOutcome, MicrosoftClient, MsError},
};

/// What the connection rules are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub requirements: Requirements,
    pub client_id: String,
    /// The registered redirect URI: PUBLIC_URL/api/v1/tenant-connection/consent-callback.
    pub redirect_uri: String,
    /// Where admins assign the role; `{tenant}` is replaced by the tenant id (or `organizations`).
    pub role_assignment_url: String,
    pub consent_ttl: chrono::Duration,
    pub verify_deadline: Duration,
    pub health_interval: chrono::Duration,
}

/// A started step 2: where to send the browser, and the value of the cookie that binds the
/// attempt to this browser.
pub struct StartedSetup {
    pub response: SetupResponse,
    pub binding: String,
}

/// Where the consent callback sends the browser: the tenant-connection page, with a word on
/// what happened (the page reads the details from the API).
pub type PagePath = String;

#[derive(Clone)]
pub struct TenantConnections {
    db: Db,
    client: MicrosoftClient,
    settings: Arc<Settings>,
}

/// Where a refused consent callback sends the browser.
pub const CALLBACK_REJECTED: &str = "/tenant-connection?consent=rejected";
const HEALTH_ACTOR: &str = "Connection health check";
const PORTAL_ACTOR: &str = "Tenant Connect";

impl TenantConnections {
    pub fn new(db: Db, client: MicrosoftClient, settings: Settings) -> TenantConnections {
        TenantConnections {
            db,
            client,
            settings: Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The account's connection, as the page shows it. A consent attempt that never came back
    /// before it expired is closed here, with the product's message.
    pub async fn get(&self, caller: &Principal) -> Result<TenantConnection, ApiError> {
        let account = caller.account_id.to_string();
        let settings = self.settings.clone();
        self.db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    db::lock_account(conn, &account)?;
                    let row = load(conn, &account)?;
                    let row = close_expired_consent(conn, row)?;
                    view(conn, &row, &settings)
                })
            })
            .await
    }

    /// Step 2: a single-use, expiring state bound to this account, user and browser.
    pub async fn start_setup(&self, caller: &Principal) -> Result<StartedSetup, ApiError> {
        caller.require_user()?;
        let state = api_token::random_secret(43);
        let binding = api_token::random_secret(43);
        let now = stored::now();
        let expires_at = now + self.settings.consent_ttl;
        let (account, user, actor) = (
            caller.account_id.to_string(),
            caller.id.to_string(),
            caller.name.clone(),
        );
        let row = ConsentStateRow {
            state_hash: api_token::hash(&state),
            account_id: account.clone(),
            user_id: user,
            binding_hash: api_token::hash(&binding),
            previous_state: String::new(),
            created_at: now,
            expires_at,
            used_at: None,
        };
        let known_tenant = self
            .db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    db::lock_account(conn, &account)?;
                    let mut connection = load(conn, &account)?;
                    let previous = match connection.state.as_str() {
                        // A second attempt before the first came back keeps the first's origin.
                        "consent_pending" => {
                            db::tenant_connections::latest_consent_state(conn, &account)?
                                .map(|s| s.previous_state)
                                .unwrap_or_else(|| "not_connected".to_owned())
                        }
                        other => other.to_owned(),
                    };
                    db::tenant_connections::insert_consent_state(
                        conn,
                        &ConsentStateRow {
                            previous_state: previous,
                            ..row
                        },
                    )?;
                    // A connection in use stays watched while it is re-consented.
                    if !matches!(connection.state.as_str(), "connected" | "needs_attention") {
                        connection.state = "consent_pending".to_owned();
                    }
                    connection.notice = None;
                    connection.updated_at = now;
                    db::tenant_connections::save(conn, &connection)?;
                    event(
                        conn,
                        &account,
                        &actor,
                        "setup_started",
                        "Started connecting to Microsoft (step 2).",
                    )?;
                    Ok(connection.tenant_id.clone())
                })
            })
            .await?;
        // A tenant we know already is named, so Microsoft asks for the right one.
        let tenant = known_tenant.unwrap_or_else(|| "organizations".to_owned());
        Ok(StartedSetup {
            response: SetupResponse {
                consent_url: self.client.admin_consent_url(
                    &tenant,
                    &self.settings.redirect_uri,
                    &state,
                ),
                expires_at: stored::time(expires_at),
            },
            binding,
        })
    }

    /// The redirect URI. Anything not matching a live attempt started in this browser is
    /// refused and changes nothing.
    pub async fn consent_callback(&self, query: String, binding: Option<String>) -> PagePath {
        let outcome = parse_consent_callback(&query);
        let state = match &outcome {
            ConsentOutcome::Granted { state, .. } => Some(state.clone()),
            ConsentOutcome::Declined { state, .. }
            | ConsentOutcome::ApprovalRequired { state, .. }
            | ConsentOutcome::Failed { state, .. } => state.clone(),
            ConsentOutcome::Invalid { reason } => {
                tracing::warn!(%reason, "consent callback refused");
                None
            }
        };
        let (Some(state), Some(binding)) = (state, binding) else {
            return CALLBACK_REJECTED.to_owned();
        };
        let result = self
            .db
            .run(move |conn| apply_consent_outcome(conn, &state, &binding, outcome))
            .await;
        match result {
            Ok(path) => path,
            Err(e) => {
                tracing::warn!(error = %e, "consent callback refused");
                CALLBACK_REJECTED.to_owned()
            }
        }
    }

    /// Step 4, by a person.
    pub async fn verify(&self, caller: &Principal) -> Result<VerificationReport, ApiError> {
        self.verify_account(
            caller.account_id.to_string(),
            caller.name.clone(),
            VerificationTrigger::Manual,
        )
        .await
    }

    /// Runs the checks for one account, once at a time: a second request while one runs
    /// waits for it and answers its report.
    pub async fn verify_account(
        &self,
        account: String,
        actor: String,
        trigger: VerificationTrigger,
    ) -> Result<VerificationReport, ApiError> {
        let now = stored::now();
        let lease_until = now
            + chrono::Duration::from_std(self.settings.verify_deadline).unwrap_or_default()
            + chrono::Duration::seconds(10);
        let (acc, leased) = (account.clone(), lease_until);
        let (tenant, leased) = self
            .db
            .run(move |conn| {
                let row = db::tenant_connections::find(conn, &acc)?;
                // The newest consent's tenant, else the one verified before.
                let Some(tenant) = row.and_then(|r| r.claimed_tenant_id.or(r.tenant_id)) else {
                    return Err(ApiError::conflict(
                        "consent_required",
                        "There is nothing to verify yet: complete step 2 first (sign in to Microsoft and grant admin consent).",
                    ));
                };
                let got = db::tenant_connections::try_lease_verification(conn, &acc, now, leased)?;
                Ok((tenant, got))
            })
            .await?;
        if !leased {
            return self.wait_for_running_verification(account).await;
        }

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
                    copy::connected(tenant_name.as_deref().unwrap_or(&tenant))
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
                record_verification(conn, &account, &actor, &saved, checked, &settings)
            })
            .await?;
        Ok(report)
    }

    async fn wait_for_running_verification(
        &self,
        account: String,
    ) -> Result<VerificationReport, ApiError> {
        let give_up =
            tokio::time::Instant::now() + self.settings.verify_deadline + Duration::from_secs(10);
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let acc = account.clone();
            let row = self.db.run(move |conn| load(conn, &acc)).await?;
            if row.verifying_until.is_none() {
                if let Some(report) = row
                    .last_report
                    .as_deref()
                    .and_then(|r| serde_json::from_str(r).ok())
                {
                    return Ok(report);
                }
            }
            if tokio::time::Instant::now() > give_up {
                return Err(ApiError::conflict(
                    "verification_running",
                    "A verification is already running for your account. Try again in a moment.",
                ));
            }
        }
    }

    /// The checks of CONTRACT.md section 3, in order; a failed prerequisite stops the rest.
    async fn run_checks(
        &self,
        tenant: &str,
        results: &mut Vec<CheckResult>,
        tenant_name: &mut Option<String>,
    ) -> VerificationOutcome {
        let token = match self.client.fresh_app_token(tenant).await {
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
        match self.client.tenant_information(&claims.tid).await {
            Ok(info) => {
                results.push(pass(
                    CheckKey::TenantReadable,
                    format!("Your tenant is {}.", info.display_name),
                ));
                *tenant_name = Some(info.display_name);
            }
            Err(MsError::DeadlineExceeded) => return VerificationOutcome::TimedOut,
            Err(
                e @ (MsError::Throttled { .. }
                | MsError::Unavailable { .. }
                | MsError::Malformed(_)),
            ) => {
                results.push(fail(
                    CheckKey::TenantReadable,
                    format!("Microsoft did not answer properly ({}).", describe(&e)),
                    "Try again in a moment. If it keeps failing, contact support.",
                ));
                return VerificationOutcome::Inconclusive;
            }
            Err(e) => results.push(fail(
                CheckKey::TenantReadable,
                format!(
                    "Microsoft did not let the app read your tenant's details ({}).",
                    describe(&e)
                ),
                "Run step 2 again so that the app's permissions are granted, then verify.",
            )),
        }
        if results.iter().all(|c| c.passed) {
            VerificationOutcome::Passed
        } else {
            VerificationOutcome::Failed
        }
    }

    /// Admins only: the portal stops using the tenant; the history stays.
    pub async fn disconnect(&self, caller: &Principal) -> Result<TenantConnection, ApiError> {
        caller.require_admin()?;
        let (account, actor) = (caller.account_id.to_string(), caller.name.clone());
        let settings = self.settings.clone();
        self.db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    db::lock_account(conn, &account)?;
                    let previous = load(conn, &account)?;
                    if previous.state == "not_connected" {
                        return Err(ApiError::conflict(
                            "not_connected",
                            "Your tenant is not connected.",
                        ));
                    }
                    let row = ConnectionRow::new(&account, stored::now());
                    db::tenant_connections::save(conn, &row)?;
                    let name = previous
                        .tenant_name
                        .or(previous.tenant_id)
                        .unwrap_or_default();
                    event(
                        conn,
                        &account,
                        &actor,
                        "disconnected",
                        &format!("Disconnected tenant {name}."),
                    )?;
                    view(conn, &row, &settings)
                })
            })
            .await
    }

    /// Re-verifies every connected tenant whose check is due, each once even with several
    /// API processes: a process claims a check by moving its time forward first.
    pub async fn run_health_checks(&self) -> Result<usize, ApiError> {
        let now = stored::now();
        let next = now + self.settings.health_interval;
        let due = self
            .db
            .run(move |conn| Ok(db::tenant_connections::due_for_health_check(conn, now)?))
            .await?;
        let mut checked = 0;
        for row in due {
            let Some(seen) = row.next_health_check_at else {
                continue;
            };
            let account = row.account_id.clone();
            let claimed = self
                .db
                .run(move |conn| {
                    Ok(db::tenant_connections::claim_health_check(
                        conn, &account, seen, next,
                    )?)
                })
                .await?;
            if !claimed {
                continue;
            }
            checked += 1;
            if let Err(e) = self
                .verify_account(
                    row.account_id.clone(),
                    HEALTH_ACTOR.to_owned(),
                    VerificationTrigger::Health,
                )
                .await
            {
                tracing::warn!(account = %row.account_id, error = %e, "health check failed to run");
            }
        }
        Ok(checked)
    }

    /// Makes every connected tenant due now (tests and operators).
    pub async fn make_health_checks_due(&self) -> Result<(), ApiError> {
        let now = stored::now() - chrono::Duration::seconds(1);
        self.db
            .run(move |conn| Ok(db::tenant_connections::make_all_due(conn, now)?))
            .await
    }
}

/// Records a connection made the old way, through a user account (demo seed, command line).
pub fn mark_legacy(
    conn: &mut DbConn,
    account_id: &str,
    tenant_id: &str,
    tenant_name: Option<&str>,
    service_account: &str,
) -> Result<(), ApiError> {
    let now = stored::now();
    let mut row = load(conn, account_id)?;
    if row.state != "not_connected" {
        return Ok(());
    }
    row.state = "legacy".to_owned();
    row.tenant_id = Some(tenant_id.to_owned());
    row.tenant_name = tenant_name.map(str::to_owned);
    row.legacy_service_account = Some(service_account.to_owned());
    row.updated_at = now;
    db::tenant_connections::save(conn, &row)?;
    event(
        conn,
        account_id,
        PORTAL_ACTOR,
        "legacy",
        &format!("Connected the old way, through the user account {service_account}."),
    )
}

fn load(conn: &mut DbConn, account: &str) -> Result<ConnectionRow, ApiError> {
    Ok(db::tenant_connections::find(conn, account)?
        .unwrap_or_else(|| ConnectionRow::new(account, stored::now())))
}

fn event(
    conn: &mut DbConn,
    account: &str,
    actor: &str,
    kind: &str,
    message: &str,
) -> Result<(), ApiError> {
    db::tenant_connections::insert_event(
        conn,
        &EventRow {
            id: Uuid::new_v4().to_string(),
            account_id: account.to_owned(),
            at: stored::now(),
            actor: actor.to_owned(),
            kind: kind.to_owned(),
            message: message.to_owned(),
        },
    )?;
    Ok(())
}

fn notice(kind: NoticeKind, title: &str, message: &str, code: Option<u32>) -> Option<String> {
    serde_json::to_string(&Notice {
        kind,
        title: title.to_owned(),
        message: message.to_owned(),
        code: code.map(|c| format!("AADSTS{c}")),
        at: Utc::now(),
    })
    .ok()
}

fn close_expired_consent(
    conn: &mut DbConn,
    mut row: ConnectionRow,
) -> Result<ConnectionRow, ApiError> {
    if row.state != "consent_pending" {
        return Ok(row);
    }
    let now = stored::now();
    let Some(latest) = db::tenant_connections::latest_consent_state(conn, &row.account_id)? else {
        return Ok(row);
    };
    if latest.used_at.is_some() || latest.expires_at > now {
        return Ok(row);
    }
    row.state = latest.previous_state;
    row.notice = notice(
        NoticeKind::VerifyFailed,
        "We weren't able to verify the app connection",
        copy::VERIFY_FAILED,
        None,
    );
    row.updated_at = now;
    db::tenant_connections::save(conn, &row)?;
    event(
        conn,
        &row.account_id,
        PORTAL_ACTOR,
        "consent_expired",
        "The Microsoft sign-in was not completed in time.",
    )?;
    Ok(row)
}

fn apply_consent_outcome(
    conn: &mut DbConn,
    state: &str,
    binding: &str,
    outcome: ConsentOutcome,
) -> Result<PagePath, ApiError> {
    let now = stored::now();
    let hash = api_token::hash(state);
    let refused = |why: &str| ApiError::InvalidInput(format!("consent state refused: {why}"));
    db::transaction(conn, |conn| {
        // A write first, so SQLite takes its write lock before any read; a refusal below rolls
        // the mark back and the state stays usable.
        if !db::tenant_connections::use_consent_state(conn, &hash, now)? {
            return Err(refused("unknown or already used"));
        }
        let attempt = db::tenant_connections::find_consent_state(conn, &hash)?
            .ok_or_else(|| refused("unknown"))?;
        if attempt.expires_at <= now {
            return Err(refused("expired"));
        }
        if attempt.binding_hash != api_token::hash(binding) {
            return Err(refused("started in another browser or account"));
        }
        let account = attempt.account_id.clone();
        db::lock_account(conn, &account)?;
        let actor = db::users::find(conn, &account, &attempt.user_id)?
            .map(|u| u.email)
            .unwrap_or_else(|| "A former member".to_owned());
        let mut row = load(conn, &account)?;
        row.updated_at = now;
        let (word, kind, message) = match outcome {
            ConsentOutcome::Granted { tenant, .. }
                if db::tenant_connections::tenant_held_elsewhere(conn, &tenant, &account)? =>
            {
                revert_pending(&mut row, &attempt);
                row.notice = notice(
                    NoticeKind::ConsentError,
                    "This Microsoft tenant is connected to another account",
                    "Microsoft granted consent, but this tenant is already connected to another account in this portal, so it cannot be connected here. If you believe this is wrong, contact support.",
                    None,
                );
                (
                    "error",
                    "consent_refused",
                    format!(
                        "Refused consent for tenant {tenant}: it is connected to another account."
                    ),
                )
            }
            ConsentOutcome::Granted { tenant, .. } => {
                // Informational until a token for that tenant is issued (verify).
                row.claimed_tenant_id = Some(tenant.clone());
                row.consent_granted_at = Some(now);
                // The last report predates this consent.
                row.last_report = None;
                if !matches!(row.state.as_str(), "connected" | "needs_attention") {
                    row.state = "consent_granted".to_owned();
                }
                row.notice = notice(
                    NoticeKind::ConsentGranted,
                    "Admin consent granted",
                    copy::CONSENT_GRANTED,
                    None,
                );
                (
                    "granted",
                    "consent_granted",
                    format!("Granted admin consent in Microsoft (tenant {tenant})."),
                )
            }
            ConsentOutcome::Declined { code, .. } => {
                revert_pending(&mut row, &attempt);
                row.notice = notice(
                    NoticeKind::VerifyFailed,
                    "We weren't able to verify the app connection",
                    copy::VERIFY_FAILED,
                    code,
                );
                (
                    "cancelled",
                    "consent_cancelled",
                    "Cancelled the consent at Microsoft.".to_owned(),
                )
            }
            ConsentOutcome::ApprovalRequired { code, .. } => {
                revert_pending(&mut row, &attempt);
                row.notice = notice(
                    NoticeKind::NeedAdminApproval,
                    copy::NEED_ADMIN_APPROVAL_TITLE,
                    copy::NEED_ADMIN_APPROVAL,
                    code.or(Some(90094)),
                );
                (
                    "approval_required",
                    "consent_needs_admin",
                    "Microsoft asked for admin approval: this Microsoft user cannot grant consent."
                        .to_owned(),
                )
            }
            ConsentOutcome::Failed {
                error,
                code,
                description,
                ..
            } => {
                revert_pending(&mut row, &attempt);
                let first_line = description.lines().next().unwrap_or_default().to_owned();
                let message = format!("Microsoft could not complete the consent: {first_line} Try again, or contact support quoting the error code.");
                row.notice = notice(
                    NoticeKind::ConsentError,
                    "Microsoft could not complete the consent",
                    &message,
                    code,
                );
                (
                    "error",
                    "consent_error",
                    format!(
                        "Microsoft answered the consent with an error ({error}{}).",
                        code.map(|c| format!(", AADSTS{c}")).unwrap_or_default()
                    ),
                )
            }
            ConsentOutcome::Invalid { reason } => return Err(refused(&reason)),
        };
        db::tenant_connections::save(conn, &row)?;
        event(conn, &account, &actor, kind, &message)?;
        Ok(format!("/tenant-connection?consent={word}"))
    })
}

/// A refused or failed consent returns a pending connection to where it was; an answer to an
/// older attempt never undoes what happened since.
fn revert_pending(row: &mut ConnectionRow, attempt: &ConsentStateRow) {
    if row.state == "consent_pending" {
        row.state = attempt.previous_state.clone();
    }
}

/// The tenant a verification checked, and its name when it could be read.
struct Checked {
    tenant: String,
    tenant_name: Option<String>,
}

fn record_verification(
    conn: &mut DbConn,
    account: &str,
    actor: &str,
    report: &VerificationReport,
    checked: Checked,
    settings: &Settings,
) -> Result<(), ApiError> {
    db::transaction(conn, |conn| {
        db::lock_account(conn, account)?;
        let now = stored::now();
        let mut row = load(conn, account)?;
        // Disconnected while the checks ran (the lease went with the old row): keep it so.
        if row.verifying_until.is_none() {
            return Ok(());
        }
        let before = row.state.clone();
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
                    "This Microsoft tenant is connected to another account",
                    "This tenant is already connected to another account in this portal, so it cannot be connected here. If you believe this is wrong, contact support.",
                    None,
                );
            }
            VerificationOutcome::Passed => {
                // The tenant the token proved, never merely the one the callback named.
                if row.tenant_id.as_deref() != Some(checked.tenant.as_str()) {
                    row.tenant_name = None;
                }
                row.tenant_id = Some(checked.tenant.clone());
                row.claimed_tenant_id = None;
                row.tenant_name = checked.tenant_name.or(row.tenant_name.take());
                row.state = "connected".to_owned();
                row.connected_at = row.connected_at.or(Some(now));
                row.next_health_check_at = Some(now + settings.health_interval);
                row.notice = notice(NoticeKind::Connected, "Connected", &report.message, None);
                if let Some(legacy) = row.legacy_service_account.take() {
                    event(conn, account, actor, "legacy_removed", &format!("Removed the legacy connection through {legacy}: the app connection replaces it."))?;
                }
                let message = match before.as_str() {
                    "connected" => "Verified the connection: all checks passed.".to_owned(),
                    "needs_attention" => {
                        "The connection recovered: all checks pass again.".to_owned()
                    }
                    _ => format!(
                        "Connected tenant {}.",
                        row.tenant_name.clone().unwrap_or_default()
                    ),
                };
                event(conn, account, actor, "verified", &message)?;
            }
            VerificationOutcome::Failed => {
                let failed = report.checks.iter().find(|c| !c.passed);
                let what = failed.map(|c| c.label.clone()).unwrap_or_default();
                if matches!(before.as_str(), "connected" | "needs_attention") {
                    row.state = "needs_attention".to_owned();
                    let fix = failed
                        .and_then(|c| c.remediation.clone())
                        .unwrap_or_default();
                    let detail = failed.map(|c| c.detail.clone()).unwrap_or_default();
                    row.notice = notice(
                        NoticeKind::NeedsAttention,
                        "Your tenant connection needs attention",
                        &format!("{detail} {fix}"),
                        None,
                    );
                } else {
                    row.notice = None;
                }
                if before != "needs_attention" {
                    event(
                        conn,
                        account,
                        actor,
                        "verify_failed",
                        &format!("Verification failed: {what}."),
                    )?;
                }
            }
            VerificationOutcome::TimedOut | VerificationOutcome::Inconclusive => {
                if report.trigger == VerificationTrigger::Manual {
                    row.notice = notice(
                        NoticeKind::VerifyFailed,
                        "We weren't able to verify the app connection",
                        copy::VERIFY_FAILED,
                        None,
                    );
                }
                event(
                    conn,
                    account,
                    actor,
                    "verify_timed_out",
                    "Microsoft did not answer the verification in time.",
                )?;
            }
        }
        db::tenant_connections::save(conn, &row)?;
        Ok(())
    })
}

fn failure_message(results: &[CheckResult]) -> String {
    match results.iter().find(|c| !c.passed) {
        Some(check) => format!("Not connected yet: {}", check.detail),
        None => copy::VERIFY_FAILED.to_owned(),
    }
}

fn consent_failure(e: &MsError, tenant: &str) -> CheckResult {
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
                "Try again in a moment. If it keeps failing, contact support.".to_owned(),
            ),
        }
    };
    fail(CheckKey::ConsentPresent, detail, fix)
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

fn parse_state(stored_state: &str) -> ConnectionState {
    match stored_state {
        "legacy" => ConnectionState::Legacy,
        "consent_pending" => ConnectionState::ConsentPending,
        "consent_granted" => ConnectionState::ConsentGranted,
        "connected" => ConnectionState::Connected,
        "needs_attention" => ConnectionState::NeedsAttention,
        _ => ConnectionState::NotConnected,
    }
}

fn view(
    conn: &mut DbConn,
    row: &ConnectionRow,
    settings: &Settings,
) -> Result<TenantConnection, ApiError> {
    let state = parse_state(&row.state);
    let notice: Option<Notice> = row
        .notice
        .as_deref()
        .and_then(|n| serde_json::from_str(n).ok());
    let report: Option<VerificationReport> = row
        .last_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let steps = steps::steps(&steps::StepInputs {
        state,
        consent_granted: row.consent_granted_at.is_some(),
        tenant_name: row.tenant_name.as_deref(),
        notice: notice.as_ref(),
        report: report.as_ref(),
    });
    let history = db::tenant_connections::events(conn, &row.account_id, 50)?
        .into_iter()
        .map(|e| ConnectionEvent {
            at: stored::time(e.at),
            actor: e.actor,
            message: e.message,
        })
        .collect();
    let tenant_for_links = row.tenant_id.clone().or(row.claimed_tenant_id.clone());
    Ok(TenantConnection {
        state,
        steps,
        tenant_id: tenant_for_links.clone(),
        tenant_name: row.tenant_name.clone(),
        legacy_service_account: row.legacy_service_account.clone(),
        app: AppRegistration {
            display_name: settings.requirements.app_display_name.clone(),
            client_id: settings.client_id.clone(),
            role_name: copy::ROLE_NAME.to_owned(),
            role_assignment_url: settings.role_assignment_url.replace(
                "{tenant}",
                tenant_for_links.as_deref().unwrap_or("organizations"),
            ),
        },
        notice,
        last_verification: report,
        connected_at: row.connected_at.map(stored::time),
        history,
    })
}
