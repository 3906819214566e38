//! Portal sessions: short-lived HS256 JWTs naming the session, the user and their account.
//! The session itself is a row (`db::sessions`): signing out revokes it, and a token whose
//! row is revoked or gone is refused however valid its signature.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

const ISSUER: &str = "tenant-connect";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The portal user.
    pub sub: Uuid,
    /// Their account.
    pub acc: Uuid,
    /// The session's row.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_seconds: u64,
}

impl SessionKeys {
    pub fn new(secret: &[u8], ttl_seconds: u64) -> SessionKeys {
        SessionKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// When a session that begins at `now` ends.
    pub fn expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let ttl = i64::try_from(self.ttl_seconds).unwrap_or(i64::MAX / 2);
        DateTime::from_timestamp(now.timestamp().saturating_add(ttl), 0)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// A signed token for the session `session` of the user, valid from `now` for the
    /// configured time.
    pub fn issue(
        &self,
        session: Uuid,
        user: Uuid,
        account: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user,
            acc: account,
            sid: session,
            iat: now.timestamp(),
            exp: self.expiry(now).timestamp(),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(e.into()))
    }

    /// The claims of a genuine, unexpired session; anything else is refused.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let detail = match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        "Your session has expired. Please sign in again."
                    }
                    _ => "The access token is not valid. Please sign in again.",
                };
                ApiError::Unauthenticated(detail.to_owned())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_verifies_with_its_key_only() -> Result<(), ApiError> {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let (session, user, account) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(session, user, account, Utc::now())?;
        let claims = keys.verify(&token)?;
        assert_eq!(
            (claims.sid, claims.sub, claims.acc),
            (session, user, account)
        );

        let other = SessionKeys::new(b"another secret of the same length!", 60);
        assert!(other.verify(&token).is_err());
        Ok(())
    }

    #[test]
    fn an_expired_session_is_refused() -> Result<(), ApiError> {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let token = keys.issue(
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Utc::now() - chrono::Duration::minutes(5),
        )?;
        let err = keys.verify(&token).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Your session has expired. Please sign in again.")
        );
        Ok(())
    }
}
