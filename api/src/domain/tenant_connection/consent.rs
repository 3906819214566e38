//! Step 2: sign the person in to Microsoft (OpenID Connect, CONTRACT section 2), then send them
//! to admin consent for the tenant their validated ID token names.
//!
//! One attempt is one row in `consent_states`: a random `state` (stored hashed) bound to the
//! account, the user and the browser. The browser's binding cookie is also the PKCE code
//! verifier, so the database never holds it. The attempt passes two legs, each once: the
//! sign-in redirect (the code is redeemed, the ID token validated) and the consent redirect
//! (whose `tenant` must be the signed-in person's `tid`, compared as GUIDs). Anything that does
//! not match a live attempt of this browser is refused and changes nothing; a refusal after the
//! attempt was recognised ends it, with a notice and an entry in the history.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use shared::{
    role::Role,
    tenant_connection::{ConnectionState, NoticeKind, SetupResponse},
};

use super::{
    copy, event, load, move_to, notice, state::Event, ActionLimit, TenantConnections, PORTAL_ACTOR,
};
use crate::{
    db::{
        self,
        tenant_connections::{ConnectionRow, ConsentStateRow, StoredState},
        DbConn,
    },
    domain::{
        api_token,
        ids::{AccountId, TenantId, UserId},
        ledger::{Actor, ActorKey, LedgerKind},
        principal::Principal,
        stored,
    },
    error::ApiError,
    microsoft::client::{
        parse_consent_callback, parse_sign_in_callback, ConsentOutcome, SignInOutcome,
        SignInRequest, SignedIn,
    },
};

/// Where a refused redirect sends the browser.
pub const CALLBACK_REJECTED: &str = "/tenant-connection?consent=rejected";

/// The longest redirect query accepted: Microsoft's codes and error descriptions are a few
/// kilobytes at most; anything longer is refused before it reaches the database or Microsoft.
const MAX_QUERY_BYTES: usize = 8 * 1024;
/// What of Microsoft's `error` and `error_description` is kept in a notice or the history.
const MAX_ERROR_CHARS: usize = 300;

/// Random characters of the state, the nonce and the binding (a valid PKCE verifier: 43 to
/// 128 unreserved characters).
const SECRET_CHARS: usize = 43;

/// A started step 2: where to send the browser, and the value of the cookie that binds the
/// attempt to this browser.
pub struct StartedSetup {
    pub response: SetupResponse,
    pub binding: String,
}

/// Where a redirect from Microsoft sends the browser next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// On to Microsoft's admin consent (the attempt goes on: keep the binding cookie).
    Microsoft(String),
    /// Back to the Tenant Connection page (the attempt ended, or the request was refused).
    Page(String),
}

/// How an attempt ended without a consent, each with its notice and history entry.
enum Ending {
    Cancelled {
        code: Option<u32>,
    },
    NeedApproval {
        code: Option<u32>,
    },
    WrongDirectory,
    PersonalAccount {
        username: String,
    },
    SignInUnconfirmed {
        code: Option<u32>,
    },
    NotSignedIn,
    TenantMismatch {
        named: String,
        proven: TenantId,
    },
    TenantTaken {
        tenant: TenantId,
    },
    /// The account is connected to another tenant: disconnecting is an admin's act, never a
    /// side effect of a consent.
    TenantDiffers {
        connected: TenantId,
        proven: TenantId,
    },
    /// The person who started the attempt may no longer do so (removed, or no longer an admin
    /// of a connected account).
    NotAllowed,
    MicrosoftError {
        error: String,
        code: Option<u32>,
        description: String,
    },
}

/// Which leg of the attempt a redirect is.
#[derive(Clone, Copy)]
enum Leg {
    SignIn,
    /// The consent redirect, or any error: the attempt ends.
    End,
}

impl TenantConnections {
    /// Step 2 starts: a single-use, expiring attempt bound to this account, user and browser,
    /// and Microsoft's sign-in URL.
    pub async fn start_setup(&self, caller: &Principal) -> Result<StartedSetup, ApiError> {
        caller.require_user()?;
        let limit = self.settings.action_limit;
        let state = api_token::random_secret(SECRET_CHARS);
        let binding = api_token::random_secret(SECRET_CHARS);
        let nonce = api_token::random_secret(SECRET_CHARS);
        let now = stored::now();
        let expires_at = now + self.settings.consent_ttl;
        let (account, actor) = (caller.account_id.clone(), Actor::of(caller));
        let (role, user) = (caller.role, caller.id.clone());
        let attempt = ConsentStateRow {
            state_hash: api_token::hash(&state),
            account_id: account.clone(),
            user_id: caller.id.clone(),
            binding_hash: api_token::hash(&binding),
            previous_state: StoredState(ConnectionState::NotConnected),
            created_at: now,
            expires_at,
            used_at: None,
            nonce: nonce.clone(),
            signed_in_at: None,
            signed_in_tenant_id: None,
            signed_in_user: None,
        };
        self.db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    db::lock_account(conn, account.as_str())?;
                    let mut connection = load(conn, &account)?;
                    if !may_run_setup(role, &connection) {
                        return Err(ApiError::Forbidden(copy::SETUP_ADMINS_ONLY.to_owned()));
                    }
                    limit_attempts(conn, &account, &user, &limit, now)?;
                    let previous = match connection.state.0 {
                        // A second attempt before the first came back keeps the first's origin.
                        ConnectionState::ConsentPending => {
                            db::tenant_connections::latest_consent_state(conn, &account)?
                                .map(|s| s.previous_state)
                                .unwrap_or(StoredState(ConnectionState::NotConnected))
                        }
                        _ => connection.state,
                    };
                    db::tenant_connections::insert_consent_state(
                        conn,
                        &ConsentStateRow {
                            previous_state: previous,
                            ..attempt
                        },
                    )?;
                    move_to(&mut connection, Event::SetupStarted)?;
                    connection.notice = None;
                    connection.updated_at = now;
                    db::tenant_connections::save(conn, &connection)?;
                    event(
                        conn,
                        &account,
                        &actor,
                        LedgerKind::TenantConnectionSetupStarted,
                        "Started connecting to Microsoft (step 2).",
                    )
                })
            })
            .await?;
        let authorize = self.client.authorize_url(&SignInRequest {
            redirect_uri: &self.settings.sign_in_redirect_uri,
            state: &state,
            nonce: &nonce,
            code_challenge: &pkce_challenge(&binding),
        });
        Ok(StartedSetup {
            response: SetupResponse {
                consent_url: authorize,
                expires_at: stored::time(expires_at),
            },
            binding,
        })
    }

    /// The sign-in redirect URI: redeem the code, prove the person's tenant, and go on to
    /// admin consent for that tenant.
    pub async fn sign_in_callback(&self, query: String, binding: Option<String>) -> Landing {
        let rejected = Landing::Page(CALLBACK_REJECTED.to_owned());
        if query.len() > MAX_QUERY_BYTES {
            tracing::warn!(
                bytes = query.len(),
                "sign-in callback refused: query too long"
            );
            return rejected;
        }
        let Some(binding) = binding else {
            tracing::warn!("sign-in callback refused: no binding cookie");
            return rejected;
        };
        let (code, state) = match parse_sign_in_callback(&query) {
            SignInOutcome::Code { code, state } => (code, state),
            SignInOutcome::Failed {
                state: Some(state),
                error,
                code,
                description,
            } => {
                let ending = if error == "access_denied" {
                    Ending::Cancelled { code }
                } else if code == Some(50020) {
                    Ending::WrongDirectory
                } else {
                    Ending::MicrosoftError {
                        error,
                        code,
                        description,
                    }
                };
                return self.end(state, binding, ending).await;
            }
            SignInOutcome::Failed { state: None, .. } => return rejected,
            SignInOutcome::Invalid { reason } => {
                // `?`: the reason may quote a parameter name from the URL, which anyone can
                // fill with line breaks to forge log lines.
                tracing::warn!(?reason, "sign-in callback refused");
                return rejected;
            }
        };
        let hash = api_token::hash(&state);
        let (claim_hash, claim_binding) = (hash.clone(), binding.clone());
        let attempt = self
            .db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    claim(conn, &claim_hash, &claim_binding, Leg::SignIn)
                })
            })
            .await;
        let attempt = match attempt {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "sign-in callback refused");
                return rejected;
            }
        };
        let redeemed = self
            .client
            .redeem_sign_in(
                &code,
                &self.settings.sign_in_redirect_uri,
                &binding,
                &attempt.nonce,
            )
            .await;
        let person = match redeemed {
            Ok(person) => person,
            Err(e) => {
                tracing::warn!(error = %e, "the sign-in could not be confirmed");
                let ending = Ending::SignInUnconfirmed { code: e.aadsts() };
                return self.end(state, binding, ending).await;
            }
        };
        let proven = TenantId::from(person.tenant_id);
        if person.is_personal_account() {
            let username = person.username.clone();
            return self
                .end(state, binding, Ending::PersonalAccount { username })
                .await;
        }
        let recorded = self
            .db
            .run(move |conn| record_sign_in(conn, &hash, &attempt, &person))
            .await;
        match recorded {
            Ok(None) => Landing::Microsoft(self.client.admin_consent_url(
                proven.as_str(),
                &self.settings.consent_redirect_uri,
                &state,
            )),
            Ok(Some(ending)) => self.end(state, binding, ending).await,
            Err(e) => {
                tracing::warn!(error = %e, "recording the sign-in failed");
                Landing::Page(CALLBACK_REJECTED.to_owned())
            }
        }
    }

    /// The admin-consent redirect URI. A grant counts only for the tenant the person proved at
    /// sign-in; anything else ends the attempt with a notice and changes nothing else.
    pub async fn consent_callback(&self, query: String, binding: Option<String>) -> Landing {
        let rejected = Landing::Page(CALLBACK_REJECTED.to_owned());
        if query.len() > MAX_QUERY_BYTES {
            tracing::warn!(
                bytes = query.len(),
                "consent callback refused: query too long"
            );
            return rejected;
        }
        let outcome = parse_consent_callback(&query);
        let (Some(binding), Some(state)) = (binding, outcome_state(&outcome)) else {
            if let ConsentOutcome::Invalid { reason } = &outcome {
                tracing::warn!(?reason, "consent callback refused");
            }
            return rejected;
        };
        let ending = match outcome {
            ConsentOutcome::Granted { tenant, .. } => {
                let result = self
                    .db
                    .run(move |conn| grant(conn, &state, &binding, &tenant))
                    .await;
                return match result {
                    Ok(path) => Landing::Page(path),
                    Err(e) => {
                        tracing::warn!(error = %e, "consent callback refused");
                        rejected
                    }
                };
            }
            ConsentOutcome::Declined { code, .. } => Ending::Cancelled { code },
            ConsentOutcome::ApprovalRequired { code, .. } => Ending::NeedApproval { code },
            ConsentOutcome::WrongAccount { .. } => Ending::WrongDirectory,
            ConsentOutcome::Failed {
                error,
                code,
                description,
                ..
            } => Ending::MicrosoftError {
                error,
                code,
                description,
            },
            ConsentOutcome::Invalid { .. } => return rejected,
        };
        self.end(state, binding, ending).await
    }

    /// Ends an attempt without consent, if `state` and `binding` name a live attempt.
    async fn end(&self, state: String, binding: String, ending: Ending) -> Landing {
        let result = self
            .db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    let attempt = claim(conn, &api_token::hash(&state), &binding, Leg::End)?;
                    finish(conn, &attempt, ending)
                })
            })
            .await;
        match result {
            Ok(path) => Landing::Page(path),
            Err(e) => {
                tracing::warn!(error = %e, "redirect from Microsoft refused");
                Landing::Page(CALLBACK_REJECTED.to_owned())
            }
        }
    }
}

/// BASE64URL(SHA-256(verifier)), the S256 code challenge.
fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn outcome_state(outcome: &ConsentOutcome) -> Option<String> {
    match outcome {
        ConsentOutcome::Granted { state, .. } => Some(state.clone()),
        ConsentOutcome::Declined { state, .. }
        | ConsentOutcome::ApprovalRequired { state, .. }
        | ConsentOutcome::WrongAccount { state, .. }
        | ConsentOutcome::Failed { state, .. } => state.clone(),
        ConsentOutcome::Invalid { .. } => None,
    }
}

/// Takes one leg of a live attempt started in this browser, inside the caller's transaction.
/// The write comes first, so SQLite takes its write lock before any read; a refusal below
/// rolls the mark back and the attempt stays usable.
fn claim(
    conn: &mut DbConn,
    hash: &str,
    binding: &str,
    leg: Leg,
) -> Result<ConsentStateRow, ApiError> {
    let refused = |why: &str| ApiError::InvalidInput(format!("consent state refused: {why}"));
    let now = stored::now();
    let taken = match leg {
        Leg::SignIn => db::tenant_connections::take_sign_in(conn, hash, now)?,
        Leg::End => db::tenant_connections::use_consent_state(conn, hash, now)?,
    };
    if !taken {
        return Err(refused("unknown or already used"));
    }
    let attempt = db::tenant_connections::find_consent_state(conn, hash)?
        .ok_or_else(|| refused("unknown"))?;
    if attempt.expires_at <= now {
        return Err(refused("expired"));
    }
    if attempt.binding_hash != api_token::hash(binding) {
        return Err(refused("started in another browser or account"));
    }
    Ok(attempt)
}

/// Records who signed in; `Some(ending)` when the attempt cannot go on to consent for that
/// tenant.
fn record_sign_in(
    conn: &mut DbConn,
    hash: &str,
    attempt: &ConsentStateRow,
    person: &SignedIn,
) -> Result<Option<Ending>, ApiError> {
    let tenant = TenantId::from(person.tenant_id);
    db::transaction(conn, |conn| {
        db::lock_account(conn, attempt.account_id.as_str())?;
        let row = load(conn, &attempt.account_id)?;
        if let Some(ending) = refusal(conn, attempt, &row, &tenant)? {
            return Ok(Some(ending));
        }
        db::tenant_connections::record_sign_in(conn, hash, &tenant, &person.username)?;
        let actor = actor_of(conn, attempt)?;
        event(
            conn,
            &attempt.account_id,
            &actor,
            LedgerKind::TenantConnectionSignedIn,
            &format!(
                "Signed in to Microsoft as {} (tenant {tenant}).",
                person.username
            ),
        )?;
        Ok(None)
    })
}

/// Whether a person of this role may start step 2 on this connection. Anyone may while no
/// tenant is connected (the product's "any user can start the steps"); once one is (including
/// a legacy connection, or an attempt made from one), only admins: consenting again replaces
/// the grant the whole account works through.
pub(super) fn may_run_setup(role: Role, connection: &ConnectionRow) -> bool {
    connection.tenant_id.is_none() || role == Role::Admin
}

/// Refuses a new attempt when the person started `limit.count` for the account within the
/// window: each one writes the history, and a flood of them would bury it. Counted per person,
/// so that one member's flood cannot keep the others (an admin connecting) out.
fn limit_attempts(
    conn: &mut DbConn,
    account: &AccountId,
    user: &UserId,
    limit: &ActionLimit,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    // Newest first: the last is the one whose ageing out frees a place.
    let since = now - limit.window;
    let recent = db::tenant_connections::attempts_since(conn, account, user, since, limit.count)?;
    match (recent.first(), recent.last()) {
        (Some(newest), Some(oldest)) if recent.len() >= limit.count => {
            let wait = (*oldest + limit.window - now).num_seconds().max(1);
            Err(ApiError::Throttled {
                detail: format!(
                    "You started a Microsoft sign-in {} seconds ago: finish it in the window it opened, or try again in {wait} seconds.",
                    (now - *newest).num_seconds().max(0)
                ),
                retry_after: u64::try_from(wait).unwrap_or(1),
            })
        }
        _ => Ok(()),
    }
}

/// Why an attempt may not go on to consent for `proven`, decided under the account's lock at
/// each leg (`row` is the connection read under it): the person must still be allowed, and a
/// connected tenant is only ever consented for again, never replaced.
fn refusal(
    conn: &mut DbConn,
    attempt: &ConsentStateRow,
    row: &ConnectionRow,
    proven: &TenantId,
) -> Result<Option<Ending>, ApiError> {
    let account = &attempt.account_id;
    let role = db::users::find(conn, account.as_str(), attempt.user_id.as_str())?.map(|u| u.role.0);
    if !role.is_some_and(|role| may_run_setup(role, row)) {
        return Ok(Some(Ending::NotAllowed));
    }
    if let Some(connected) = row.tenant_id.clone().filter(|t| t != proven) {
        return Ok(Some(Ending::TenantDiffers {
            connected,
            proven: proven.clone(),
        }));
    }
    if db::tenant_connections::tenant_held_elsewhere(conn, proven, account)? {
        return Ok(Some(Ending::TenantTaken {
            tenant: proven.clone(),
        }));
    }
    Ok(None)
}

/// A grant from the consent redirect: only for the tenant the person proved at sign-in.
fn grant(conn: &mut DbConn, state: &str, binding: &str, named: &str) -> Result<String, ApiError> {
    db::transaction(conn, |conn| {
        let attempt = claim(conn, &api_token::hash(state), binding, Leg::End)?;
        let Some(proven) = attempt.signed_in_tenant_id.clone() else {
            return finish(conn, &attempt, Ending::NotSignedIn);
        };
        if TenantId::parse(named).as_ref() != Some(&proven) {
            let named = named.chars().take(64).collect();
            return finish(conn, &attempt, Ending::TenantMismatch { named, proven });
        }
        let account = attempt.account_id.clone();
        db::lock_account(conn, account.as_str())?;
        let mut row = load(conn, &account)?;
        if let Some(ending) = refusal(conn, &attempt, &row, &proven)? {
            return finish(conn, &attempt, ending);
        }
        let now = stored::now();
        move_to(&mut row, Event::ConsentGranted)?;
        row.claimed_tenant_id = Some(proven.clone());
        row.consent_granted_at = Some(now);
        // The last report predates this consent.
        row.last_report = None;
        row.notice = notice(
            NoticeKind::ConsentGranted,
            copy::CONSENT_GRANTED_TITLE,
            copy::CONSENT_GRANTED,
            None,
        );
        row.updated_at = now;
        db::tenant_connections::save(conn, &row)?;
        let actor = actor_of(conn, &attempt)?;
        event(
            conn,
            &account,
            &actor,
            LedgerKind::TenantConnectionConsentGranted,
            &format!("Granted admin consent in Microsoft (tenant {proven})."),
        )?;
        Ok("/tenant-connection?consent=granted".to_owned())
    })
}

/// Ends a claimed attempt: the connection returns to where the attempt started, with the
/// notice and history entry of how it ended.
fn finish(
    conn: &mut DbConn,
    attempt: &ConsentStateRow,
    ending: Ending,
) -> Result<String, ApiError> {
    let account = attempt.account_id.clone();
    db::lock_account(conn, account.as_str())?;
    let mut row = load(conn, &account)?;
    move_to(
        &mut row,
        Event::AttemptEnded {
            before: attempt.previous_state.0,
        },
    )?;
    row.updated_at = stored::now();
    let (word, kind, message) = describe(&mut row, ending);
    db::tenant_connections::save(conn, &row)?;
    let actor = actor_of(conn, attempt)?;
    event(conn, &account, &actor, kind, &message)?;
    Ok(format!("/tenant-connection?consent={word}"))
}

/// The notice an ending sets, and (page word, history kind, history message).
fn describe(row: &mut ConnectionRow, ending: Ending) -> (&'static str, LedgerKind, String) {
    let mut set = |kind, title: &str, message: &str, code| {
        row.notice = notice(kind, title, message, code);
    };
    match ending {
        Ending::Cancelled { code } => {
            set(
                NoticeKind::VerifyFailed,
                copy::VERIFY_FAILED_TITLE,
                copy::VERIFY_FAILED,
                code,
            );
            (
                "cancelled",
                LedgerKind::TenantConnectionConsentCancelled,
                "Cancelled at Microsoft.".to_owned(),
            )
        }
        Ending::NeedApproval { code } => {
            set(
                NoticeKind::NeedAdminApproval,
                copy::NEED_ADMIN_APPROVAL_TITLE,
                copy::NEED_ADMIN_APPROVAL,
                code.or(Some(90094)),
            );
            (
                "approval_required",
                LedgerKind::TenantConnectionConsentNeedsAdmin,
                "Microsoft asked for admin approval: this Microsoft user cannot grant consent."
                    .to_owned(),
            )
        }
        Ending::WrongDirectory => {
            set(
                NoticeKind::ConsentError,
                copy::WRONG_DIRECTORY_TITLE,
                copy::WRONG_DIRECTORY,
                Some(50020),
            );
            (
                "wrong_account",
                LedgerKind::TenantConnectionConsentWrongAccount,
                "Microsoft refused the account: it is not of the tenant being connected (AADSTS50020).".to_owned(),
            )
        }
        Ending::PersonalAccount { username } => {
            set(
                NoticeKind::ConsentError,
                copy::PERSONAL_ACCOUNT_TITLE,
                copy::PERSONAL_ACCOUNT,
                None,
            );
            (
                "personal_account",
                LedgerKind::TenantConnectionSignInRefused,
                format!("Refused the sign-in of {username}: a personal Microsoft account."),
            )
        }
        Ending::SignInUnconfirmed { code } => {
            set(
                NoticeKind::ConsentError,
                copy::SIGN_IN_FAILED_TITLE,
                copy::SIGN_IN_FAILED,
                code,
            );
            (
                "error",
                LedgerKind::TenantConnectionSignInRefused,
                "Refused the Microsoft sign-in: it could not be confirmed.".to_owned(),
            )
        }
        Ending::NotSignedIn => {
            set(
                NoticeKind::ConsentError,
                copy::SIGN_IN_FAILED_TITLE,
                copy::SIGN_IN_FAILED,
                None,
            );
            (
                "rejected",
                LedgerKind::TenantConnectionConsentRefused,
                "Refused a consent answer: nobody signed in to Microsoft for it.".to_owned(),
            )
        }
        Ending::TenantMismatch { named, proven } => {
            set(
                NoticeKind::ConsentError,
                copy::TENANT_MISMATCH_TITLE,
                copy::TENANT_MISMATCH,
                None,
            );
            (
                "tenant_mismatch",
                LedgerKind::TenantConnectionConsentRefused,
                format!("Refused a consent answer naming tenant {named}: the person signed in to tenant {proven}."),
            )
        }
        Ending::TenantTaken { tenant } => {
            set(
                NoticeKind::ConsentError,
                copy::TENANT_TAKEN_TITLE,
                copy::TENANT_TAKEN,
                None,
            );
            (
                "tenant_taken",
                LedgerKind::TenantConnectionConsentRefused,
                format!("Refused tenant {tenant}: it is connected to another account."),
            )
        }
        Ending::TenantDiffers { connected, proven } => {
            set(
                NoticeKind::ConsentError,
                copy::TENANT_DIFFERS_TITLE,
                copy::TENANT_DIFFERS,
                None,
            );
            (
                "tenant_differs",
                LedgerKind::TenantConnectionConsentRefused,
                format!("Refused tenant {proven}: the account is connected to tenant {connected}; disconnect it first."),
            )
        }
        Ending::NotAllowed => {
            set(
                NoticeKind::ConsentError,
                copy::NOT_ALLOWED_TITLE,
                copy::NOT_ALLOWED,
                None,
            );
            (
                "not_allowed",
                LedgerKind::TenantConnectionConsentRefused,
                "Refused a Microsoft sign-in: the person who started it may no longer connect the tenant.".to_owned(),
            )
        }
        Ending::MicrosoftError {
            error,
            code,
            description,
        } => {
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            let first_line: String = description
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(MAX_ERROR_CHARS)
                .collect();
            set(
                NoticeKind::ConsentError,
                copy::CONSENT_ERROR_TITLE,
                &copy::consent_error(&first_line),
                code,
            );
            (
                "error",
                LedgerKind::TenantConnectionConsentError,
                format!(
                    "Microsoft answered with an error ({error}{}).",
                    code.map(|c| format!(", AADSTS{c}")).unwrap_or_default()
                ),
            )
        }
    }
}

/// The portal user who started an attempt, for the history.
fn actor_of(conn: &mut DbConn, attempt: &ConsentStateRow) -> Result<Actor, ApiError> {
    let key = ActorKey::User(attempt.user_id.clone());
    Actor::resolve(conn, &attempt.account_id, &key)
}

/// The attempt a pending connection waits on, when it expired unanswered.
pub(super) fn expired_attempt(
    conn: &mut DbConn,
    row: &ConnectionRow,
) -> Result<Option<ConsentStateRow>, ApiError> {
    if row.state.0 != ConnectionState::ConsentPending {
        return Ok(None);
    }
    let latest = db::tenant_connections::latest_consent_state(conn, &row.account_id)?;
    Ok(latest.filter(|a| a.used_at.is_none() && a.expires_at <= stored::now()))
}

/// Closes an attempt that expired unanswered (under the account's lock): Microsoft never came
/// back, which often means "Need admin approval" (CONTRACT section 1).
pub(super) fn close_expired(
    conn: &mut DbConn,
    mut row: ConnectionRow,
) -> Result<ConnectionRow, ApiError> {
    let Some(latest) = expired_attempt(conn, &row)? else {
        return Ok(row);
    };
    move_to(
        &mut row,
        Event::AttemptEnded {
            before: latest.previous_state.0,
        },
    )?;
    row.notice = notice(
        NoticeKind::VerifyFailed,
        copy::VERIFY_FAILED_TITLE,
        copy::VERIFY_FAILED,
        None,
    );
    row.updated_at = stored::now();
    db::tenant_connections::save(conn, &row)?;
    event(
        conn,
        &row.account_id,
        &Actor::system(PORTAL_ACTOR),
        LedgerKind::TenantConnectionConsentExpired,
        "The Microsoft sign-in was not completed in time.",
    )?;
    Ok(row)
}

/// Deletes attempts that expired before `before`. A pending connection's latest attempt is
/// kept until it has been closed (its expiry is what closes it).
pub(super) fn purge_expired(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(db::tenant_connections::purge_consent_states(conn, before)?)
}
