//! API tokens for integrators: a random secret shown once, kept only as a SHA-256 hash (the
//! secret has 238 bits of entropy, so a fast hash is safe and lets us look it up directly).

use rand::{distr::Alphanumeric, Rng};
use sha2::{Digest, Sha256};

/// Every API token starts with this, which tells it apart from a session JWT.
pub const PREFIX: &str = "tc_";
const SECRET_CHARS: usize = 40;
const SHOWN_PREFIX_CHARS: usize = 10;

pub struct NewToken {
    pub secret: String,
    pub hash: String,
    /// The first characters, kept in clear so a person can recognise the token.
    pub prefix: String,
}

/// A random alphanumeric string (about 5.95 bits a character).
pub fn random_secret(chars: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(chars)
        .map(char::from)
        .collect()
}

pub fn generate() -> NewToken {
    let random = random_secret(SECRET_CHARS);
    let secret = format!("{PREFIX}{random}");
    NewToken {
        hash: hash(&secret),
        prefix: secret.chars().take(SHOWN_PREFIX_CHARS).collect(),
        secret,
    }
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn looks_like_api_token(bearer: &str) -> bool {
    bearer.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_finds_the_token_and_hides_it() {
        let token = generate();
        assert!(looks_like_api_token(&token.secret));
        assert_eq!(hash(&token.secret), token.hash);
        assert!(!token.hash.contains(&token.secret[PREFIX.len()..]));
        assert!(token.secret.starts_with(&token.prefix));
        assert_ne!(generate().secret, token.secret);
    }
}

/// Managing an account's tokens: admins signed in to the portal only (a token cannot mint or
/// see tokens, whatever its role).
pub mod manage {
    use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken, TokenCreator};
    use uuid::Uuid;

    use crate::{
        db::{self, api_tokens::ApiTokenRow, roles::StoredRole, DbConn},
        domain::{
            bounds,
            ledger::{self, LedgerKind},
            principal::Principal,
            stored,
        },
        error::ApiError,
    };

    fn to_dto(row: ApiTokenRow) -> Result<ApiToken, ApiError> {
        Ok(ApiToken {
            id: stored::uuid(&row.id)?,
            role: row.role.0,
            name: row.name,
            prefix: row.prefix,
            created_at: stored::time(row.created_at),
            last_used_at: row.last_used_at.map(stored::time),
            revoked_at: row.revoked_at.map(stored::time),
            expires_at: row.expires_at.map(stored::time),
            created_by: match (row.creator_id, row.creator_email) {
                (Some(id), Some(email)) => Some(TokenCreator {
                    id: stored::uuid(&id)?,
                    email,
                }),
                _ => None,
            },
        })
    }

    pub fn list(conn: &mut DbConn, caller: &Principal) -> Result<Vec<ApiToken>, ApiError> {
        caller.require_admin_person()?;
        db::api_tokens::list(conn, &caller.account_id.to_string())?
            .into_iter()
            .map(to_dto)
            .collect()
    }

    pub fn create(
        conn: &mut DbConn,
        caller: &Principal,
        request: &CreateApiTokenRequest,
    ) -> Result<CreatedApiToken, ApiError> {
        caller.require_admin_person()?;
        bounds::line("name", &request.name, bounds::TOKEN_NAME_MAX_CHARS)?;
        let name = request.name.trim();
        if name.is_empty() {
            return Err(ApiError::InvalidInput(
                "A token name needs 1 to 100 characters.".to_owned(),
            ));
        }
        let now = stored::now();
        // At the precision every backend keeps, as `stored::now`.
        let expires_at = request
            .expires_at
            .map(|at| chrono::SubsecRound::trunc_subsecs(at.naive_utc(), 6));
        if expires_at.is_some_and(|at| at <= now) {
            return Err(ApiError::InvalidInput(
                "A token's expiry must be in the future (or omitted: it never expires).".to_owned(),
            ));
        }
        let new = super::generate();
        let row = ApiTokenRow {
            id: Uuid::new_v4().to_string(),
            account_id: caller.account_id.to_string(),
            name: name.to_owned(),
            role: StoredRole(request.role),
            token_hash: new.hash,
            prefix: new.prefix,
            created_by: Some(caller.id.to_string()),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            expires_at,
            creator_id: Some(caller.id.to_string()),
            creator_email: Some(caller.name.clone()),
        };
        db::transaction(conn, |conn| {
            db::api_tokens::insert(conn, &row)?;
            let summary = format!(
                "Created the API token {} ({}, role {}).",
                row.name,
                row.prefix,
                request.role.label()
            );
            ledger::record_by(conn, caller, LedgerKind::ApiTokensCreated, summary)
        })?;
        tracing::info!(token = %row.id, role = %request.role, "API token created");
        Ok(CreatedApiToken {
            token: to_dto(row)?,
            secret: new.secret,
        })
    }

    pub fn revoke(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<(), ApiError> {
        caller.require_admin_person()?;
        let account = caller.account_id.to_string();
        let id = id.to_string();
        db::transaction(conn, |conn| {
            let Some(token) = db::api_tokens::find(conn, &account, &id)? else {
                return Err(ApiError::not_found("API token"));
            };
            // Revoking twice is fine: the token stays revoked as of the first time.
            if db::api_tokens::revoke(conn, &account, &id, stored::now())? == 1 {
                let summary = format!("Revoked the API token {} ({}).", token.name, token.prefix);
                ledger::record_by(conn, caller, LedgerKind::ApiTokensRevoked, summary)?;
            }
            Ok(())
        })?;
        tracing::info!(token = %id, "API token revoked");
        Ok(())
    }

    /// Revokes every token `member` created, as `caller` removes them from the account, with
    /// a ledger event for each: a token acts for its creator, and must not outlive them.
    pub(crate) fn revoke_created_by(
        conn: &mut DbConn,
        caller: &Principal,
        member_id: &str,
        member_email: &str,
    ) -> Result<usize, ApiError> {
        let account = caller.account_id.to_string();
        let revoked = db::api_tokens::revoke_created_by(conn, &account, member_id, stored::now())?;
        for token in &revoked {
            let summary = format!(
                "Revoked the API token {} ({}): its creator {member_email} was removed.",
                token.name, token.prefix
            );
            ledger::record_by(conn, caller, LedgerKind::ApiTokensRevoked, summary)?;
            tracing::info!(token = %token.id, "API token revoked with its creator");
        }
        Ok(revoked.len())
    }
}
