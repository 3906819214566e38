//! Signing in with a password, and recognising the caller of a request from its bearer token
//! (a session JWT or an API token).

use chrono::Utc;
use shared::auth::{LoginResponse, PrincipalKind};

use super::{
    api_token, password,
    principal::Principal,
    session::{self, SessionKeys},
    stored,
};
use crate::{
    db::{self, DbConn},
    error::ApiError,
};

/// Password sign-in. A wrong password and an unknown email get the same answer after about
/// the same time (an argon2 verification either way).
pub fn login(
    conn: &mut DbConn,
    keys: &SessionKeys,
    email: &str,
    password_given: &str,
) -> Result<LoginResponse, ApiError> {
    let email = email.trim().to_lowercase();
    let Some(user) = db::users::find_by_email(conn, &email)? else {
        password::verify_against_nobody(password_given);
        return Err(ApiError::InvalidCredentials);
    };
    if !password::verify(password_given, &user.password_hash) {
        return Err(ApiError::InvalidCredentials);
    }
    let account = db::accounts::get(conn, &user.account_id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user without account")))?;
    let principal = Principal {
        id: stored::uuid(&user.id)?,
        name: user.email,
        kind: PrincipalKind::User,
        role: stored::role(&user.role)?,
        account_id: stored::uuid(&account.id)?,
        account_name: account.name,
    };
    let access_token = keys.issue(
        principal.id,
        principal.account_id,
        session::password_fingerprint(&user.password_hash),
        Utc::now(),
    )?;
    tracing::info!(user = %principal.id, account = %principal.account_id, "signed in");
    Ok(LoginResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: keys.ttl_seconds(),
        me: principal.me(),
    })
}

/// The principal behind a bearer token, or why it is refused.
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
    // The user must still exist in that account, with the role they have now.
    let user = db::users::find(conn, &claims.acc.to_string(), &claims.sub.to_string())?
        .ok_or_else(ended)?;
    // A password change ends the sessions issued before it.
    if claims.pwd != session::password_fingerprint(&user.password_hash) {
        return Err(ended());
    }
    let account = db::accounts::get(conn, &user.account_id)?.ok_or_else(ended)?;
    Ok(Principal {
        id: claims.sub,
        name: user.email,
        kind: PrincipalKind::User,
        role: stored::role(&user.role)?,
        account_id: claims.acc,
        account_name: account.name,
    })
}

fn authenticate_api_token(conn: &mut DbConn, secret: &str) -> Result<Principal, ApiError> {
    let (token, account) = db::api_tokens::find_active_by_hash(conn, &api_token::hash(secret))?
        .ok_or_else(|| {
            ApiError::Unauthenticated("The API token is not valid or has been revoked.".into())
        })?;
    db::api_tokens::touch(conn, &token.id, stored::now())?;
    Ok(Principal {
        id: stored::uuid(&token.id)?,
        name: token.name,
        kind: PrincipalKind::ApiToken,
        role: stored::role(&token.role)?,
        account_id: stored::uuid(&account.id)?,
        account_name: account.name,
    })
}
