//! Signing in with a password, changing it, signing out, and recognising the caller of a
//! request from its bearer token (a session JWT or an API token).
//!
//! Sign-in and a password change go through the throttle (`throttle::Attempt`) and check the
//! password with no database connection held (`hashing::Hashing`): the connection is taken
//! for the lookups and the writes only.

use std::net::IpAddr;

use chrono::Utc;
use shared::auth::{LoginResponse, PrincipalKind};
use uuid::Uuid;

use super::{
    api_token, bounds,
    hashing::Hashing,
    ledger::{self, LedgerKind},
    members,
    password::NewPassword,
    principal::{self, Principal},
    session::SessionKeys,
    stored,
    throttle::Attempt,
};
use crate::{
    db::{self, accounts::AccountRow, sessions::SessionRow, users::UserRow, Db, DbConn},
    error::ApiError,
};

/// Password sign-in. A wrong password and an unknown email get the same answer after about
/// the same time (an argon2 verification either way). An invited person's first sign-in, with
/// the invitation's one-time password, makes them a member (`members::accept`).
pub async fn login(
    db: &Db,
    keys: &SessionKeys,
    hashing: &Hashing,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<LoginResponse, ApiError> {
    bounds::line("email", email, bounds::EMAIL_MAX_CHARS)?;
    bounds::secret("password", password, bounds::PASSWORD_MAX_CHARS)?;
    let email = email.trim().to_lowercase();
    // A full queue refuses at once: a flood costs no database work.
    hashing.check_capacity()?;
    let attempt = Attempt::begin(db, &email, client).await?;
    let checked: Result<Option<UserRow>, ApiError> = async {
        let user = {
            let email = email.clone();
            db.run(move |conn| Ok(db::users::find_by_email(conn, &email)?))
                .await?
        };
        let given = password.to_owned();
        match user {
            Some(user) => {
                let matches = hashing.verify(given, user.password_hash.clone()).await?;
                Ok(matches.then_some(user))
            }
            // No sign-in: maybe an invitation, whose one-time password this is. Its first
            // use makes the person a member.
            None => {
                let invitation = {
                    let (email, given) = (email.clone(), given.clone());
                    db.run(move |conn| members::find_invitation(conn, &email, &given))
                        .await?
                };
                let Some(invitation) = invitation else {
                    return hashing.verify_against_nobody(given).await.map(|_| None);
                };
                let hash = hashing.hash(NewPassword::parse(&given)?).await?;
                db.run(move |conn| members::accept(conn, &invitation, hash))
                    .await
            }
        }
    }
    .await;
    let user = match checked {
        Ok(Some(user)) => user,
        Ok(None) => {
            attempt.failed();
            return Err(ApiError::InvalidCredentials);
        }
        Err(e) => {
            attempt.abandoned(db).await;
            return Err(e);
        }
    };
    attempt.succeeded(db).await?;
    let keys = keys.clone();
    db.run(move |conn| {
        db::transaction(conn, |conn| {
            let started = start_session(conn, &keys, user)?;
            let summary = "Signed in to the portal.".to_owned();
            ledger::record_by(conn, &started.1, LedgerKind::AuthSignedIn, summary)?;
            Ok(started.0)
        })
    })
    .await
}

/// Changes the caller's own password after checking the current one (a check the throttle
/// counts like a sign-in). Every session of theirs ends; the answer is a fresh one.
pub async fn change_password(
    db: &Db,
    keys: &SessionKeys,
    hashing: &Hashing,
    caller: &Principal,
    current: &str,
    new: &str,
    client: IpAddr,
) -> Result<LoginResponse, ApiError> {
    caller.require_user()?;
    bounds::secret("current_password", current, bounds::PASSWORD_MAX_CHARS)?;
    bounds::secret("new_password", new, bounds::PASSWORD_MAX_CHARS)?;
    let new = NewPassword::parse(new)?;
    let (account, id) = (caller.account_id.to_string(), caller.id.to_string());
    hashing.check_capacity()?;
    let attempt = Attempt::begin(db, &caller.name, client).await?;
    let checked: Result<Option<UserRow>, ApiError> = async {
        let user = {
            let (account, id) = (account.clone(), id.clone());
            db.run(move |conn| Ok(db::users::find(conn, &account, &id)?))
                .await?
                .ok_or_else(|| ApiError::Unauthenticated("Please sign in again.".to_owned()))?
        };
        let matches = hashing
            .verify(current.to_owned(), user.password_hash.clone())
            .await?;
        Ok(matches.then_some(user))
    }
    .await;
    let user = match checked {
        Ok(Some(user)) => user,
        Ok(None) => {
            attempt.failed();
            return Err(ApiError::InvalidInput(
                "The current password is incorrect.".to_owned(),
            ));
        }
        Err(e) => {
            attempt.abandoned(db).await;
            return Err(e);
        }
    };
    attempt.succeeded(db).await?;
    let hash = hashing.hash(new).await?;
    let keys = keys.clone();
    db.run(move |conn| {
        db::transaction(conn, |conn| {
            let now = stored::now();
            // Only over the hash just checked: a change made meanwhile is not overwritten.
            let changed =
                db::users::set_password(conn, &account, &id, &user.password_hash, &hash, now)?;
            if changed == 0 {
                return Err(ApiError::conflict(
                    shared::problem::ConflictCode::PasswordChanged,
                    "Your password was changed meanwhile. Please sign in again.",
                ));
            }
            db::sessions::revoke_all(conn, &id, now)?;
            tracing::info!(user = %id, "password changed; every earlier session ended");
            let started = start_session(
                conn,
                &keys,
                UserRow {
                    password_hash: hash,
                    ..user
                },
            )?;
            let summary = "Changed their password; every other session ended.".to_owned();
            ledger::record_by(conn, &started.1, LedgerKind::AuthPasswordChanged, summary)?;
            Ok(started.0)
        })
    })
    .await
}

/// Ends the caller's own session (`POST /auth/logout`).
pub fn logout(conn: &mut DbConn, caller: &Principal) -> Result<(), ApiError> {
    caller.require_user()?;
    let session = caller
        .session_id
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a person without a session")))?;
    db::sessions::revoke(
        conn,
        &caller.id.to_string(),
        &session.to_string(),
        stored::now(),
    )?;
    tracing::info!(user = %caller.id, %session, "signed out");
    Ok(())
}

/// Ends every session of the caller, in every browser (`POST /auth/logout-everywhere`).
pub fn logout_everywhere(conn: &mut DbConn, caller: &Principal) -> Result<(), ApiError> {
    caller.require_user()?;
    let ended = db::sessions::revoke_all(conn, &caller.id.to_string(), stored::now())?;
    tracing::info!(user = %caller.id, sessions = ended, "signed out everywhere");
    Ok(())
}

/// Records a new session of `user` and signs its token.
fn start_session(
    conn: &mut DbConn,
    keys: &SessionKeys,
    user: UserRow,
) -> Result<(LoginResponse, Principal), ApiError> {
    let account = db::accounts::get(conn, &user.account_id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user without account")))?;
    let now = Utc::now();
    let session = Uuid::new_v4();
    db::sessions::purge_expired(conn, &user.id, stored::now())?;
    db::sessions::insert(
        conn,
        &SessionRow {
            id: session.to_string(),
            user_id: user.id.clone(),
            account_id: account.id.clone(),
            created_at: stored::now(),
            expires_at: keys.expiry(now).naive_utc(),
            revoked_at: None,
        },
    )?;
    let principal = person(user, account, session)?;
    let access_token = keys.issue(
        session,
        principal.id.uuid(),
        principal.account_id.uuid(),
        now,
    )?;
    tracing::info!(user = %principal.id, account = %principal.account_id, "signed in");
    let response = LoginResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: keys.ttl_seconds(),
        me: principal.me(),
    };
    Ok((response, principal))
}

fn person(user: UserRow, account: AccountRow, session: Uuid) -> Result<Principal, ApiError> {
    Ok(Principal {
        id: stored::user_id(&user.id)?,
        name: user.email,
        kind: PrincipalKind::User,
        role: user.role.0,
        account_id: stored::account_id(&account.id)?,
        account_name: account.name,
        session_id: Some(session),
    })
}

/// The principal behind a bearer token, or why it is refused. One query by primary key
/// either way.
pub fn authenticate(
    conn: &mut DbConn,
    keys: &SessionKeys,
    bearer: &str,
) -> Result<Principal, ApiError> {
    if api_token::looks_like_api_token(bearer) {
        return authenticate_api_token(conn, bearer);
    }
    let claims = keys.verify(bearer)?;
    let ended =
        || ApiError::Unauthenticated("Your session has ended. Please sign in again.".into());
    // The session must be live, and its user still in that account, with the role they
    // have now.
    let (session, user, account) =
        db::sessions::find_live(conn, &claims.sid.to_string(), stored::now())?.ok_or_else(ended)?;
    if session.user_id != claims.sub.to_string()
        || session.account_id != claims.acc.to_string()
        || user.account_id != session.account_id
    {
        return Err(ended());
    }
    person(user, account, claims.sid)
}

fn authenticate_api_token(conn: &mut DbConn, secret: &str) -> Result<Principal, ApiError> {
    let refused =
        || ApiError::Unauthenticated("The API token is not valid or has been revoked.".into());
    let (token, account, creator_role) =
        db::api_tokens::find_active_by_hash(conn, &api_token::hash(secret))?.ok_or_else(refused)?;
    let now = stored::now();
    if let Some(expired) = token.expires_at.filter(|at| *at <= now) {
        return Err(ApiError::Unauthenticated(format!(
            "The API token expired at {} UTC; an admin can create a new one.",
            expired.format("%Y-%m-%d %H:%M")
        )));
    }
    // A token acts for its creator: never with more than the role they have now, and not at
    // all once they are no longer a member (removing them revokes it too).
    let creator_role = creator_role.ok_or_else(refused)?;
    db::api_tokens::touch(conn, &token.id, now)?;
    Ok(Principal {
        id: stored::user_id(&token.id)?,
        name: token.name,
        kind: PrincipalKind::ApiToken,
        role: principal::at_most(token.role.0, creator_role.0),
        account_id: stored::account_id(&account.id)?,
        account_name: account.name,
        session_id: None,
    })
}
