//! Passwords: argon2id hashes, and a dummy verification for unknown emails so that a wrong
//! password and an unknown email take about the same time.

use std::sync::OnceLock;

use argon2::{
    password_hash::{rand_core::OsRng, SaltString},
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::ApiError;

pub const MIN_LENGTH: usize = 12;
const MAX_LENGTH: usize = super::bounds::PASSWORD_MAX_CHARS;

/// A password acceptable as a new password.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, ApiError> {
        let length = raw.chars().count();
        if length < MIN_LENGTH {
            return Err(ApiError::InvalidInput(format!(
                "A password needs at least {MIN_LENGTH} characters."
            )));
        }
        if length > MAX_LENGTH {
            return Err(ApiError::OutOfBounds(format!(
                "A password may have at most {MAX_LENGTH} characters."
            )));
        }
        Ok(NewPassword(SecretString::from(raw)))
    }

    /// A random password for a new user, to be shown once.
    pub fn generate() -> (NewPassword, String) {
        let clear = super::api_token::random_secret(20);
        (NewPassword(SecretString::from(clear.as_str())), clear)
    }

    pub fn hash(&self) -> Result<String, ApiError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password: {e}")))
    }
}

/// Whether `password` matches `stored` (a PHC string). A corrupt hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time of one verification without a user, then fails.
pub fn verify_against_nobody(password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        NewPassword::generate()
            .0
            .hash()
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"))
    });
    let _ = verify(password, dummy);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() -> Result<(), ApiError> {
        let hash = NewPassword::parse("correct horse battery")?.hash()?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &hash));
        assert!(!verify("correct horse battery!", &hash));
        assert!(!verify("anything", "not a hash"));
        Ok(())
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(MIN_LENGTH)).is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let (_, a) = NewPassword::generate();
        let (_, b) = NewPassword::generate();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
