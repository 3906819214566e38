//! Portal sessions: short-lived HS256 JWTs naming the user and their account.

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
    /// A fingerprint of the user's password hash when the session began: a password change
    /// ends every earlier session, whatever the clock says.
    pub pwd: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// What a session remembers of the password hash: enough to notice it changed, too little to
/// help guess it.
pub fn password_fingerprint(password_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(password_hash.as_bytes())[..8])
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

    /// A signed session for the user, valid from `now` for the configured time.
    pub fn issue(
        &self,
        user: Uuid,
        account: Uuid,
        password_fingerprint: String,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user,
            acc: account,
            pwd: password_fingerprint,
            iat: now.timestamp(),
            exp: now.timestamp() + i64::try_from(self.ttl_seconds).unwrap_or(i64::MAX / 2),
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
        let (user, account) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(user, account, "f".into(), Utc::now())?;
        let claims = keys.verify(&token)?;
        assert_eq!((claims.sub, claims.acc), (user, account));

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
            "f".into(),
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
