//! Endpoint signing secrets: made here, shown once, and kept only sealed.
//!
//! A secret is `whsec_` and the base64 of 32 random bytes (the Standard Webhooks form). The
//! database holds it sealed (`secret_sealed`): XChaCha20-Poly1305 under a key derived with
//! HKDF-SHA256 from the server's session secret (`JWT_SECRET` or the one kept in `DATA_DIR`),
//! with a random nonce, and bound to its endpoint (the endpoint id is the associated data, so
//! a sealed secret copied to another row does not open). The stored form is
//! `v1.<base64url(nonce || ciphertext)>`.
//!
//! Consequence: a server started with another session secret cannot open the secrets sealed
//! under the old one. Deliveries to those endpoints then fail with a message saying so, and an
//! admin rotates the endpoint's secret (or re-creates the endpoint) and re-sends.

use std::fmt;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
    XChaCha20Poly1305, XNonce,
};
use hkdf::Hkdf;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;
const SEALED_VERSION: &str = "v1.";
const NONCE_BYTES: usize = 24;
const HKDF_SALT: &[u8] = b"tenant-connect webhook endpoint secrets";
const HKDF_INFO: &[u8] = b"xchacha20poly1305 key v1";

/// An endpoint's signing secret (`whsec_...`). Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct SigningSecret(SecretString);

impl SigningSecret {
    pub fn generate() -> SigningSecret {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        SigningSecret(SecretString::from(format!(
            "{PREFIX}{}",
            STANDARD.encode(bytes)
        )))
    }

    /// A secret given as text (tests: the specification's examples).
    #[cfg(test)]
    pub fn from_known(secret: &str) -> SigningSecret {
        SigningSecret(SecretString::from(secret.to_owned()))
    }

    /// The secret as the integrator configures it: the one place it is shown.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(..)")
    }
}

/// The key that seals endpoint secrets, derived from the server's session secret.
#[derive(Clone)]
pub struct SealingKey(XChaCha20Poly1305);

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

/// A sealed secret that does not open: sealed under another server secret, or altered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The endpoint's signing secret can no longer be read: the server's secret (JWT_SECRET) has \
     changed since it was made. Rotate the endpoint's secret (or re-create the endpoint), \
     give the integrator the new one, then re-send."
)]
pub struct Unreadable;

impl SealingKey {
    pub fn derive(server_secret: &[u8]) -> SealingKey {
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: expanding cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(HKDF_SALT), server_secret).expand(HKDF_INFO, &mut key);
        SealingKey(XChaCha20Poly1305::new(&key.into()))
    }

    /// `secret` sealed for the endpoint `endpoint_id`.
    pub fn seal(&self, endpoint_id: &str, secret: &SigningSecret) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose().as_bytes(),
            aad: endpoint_id.as_bytes(),
        };
        // Encryption fails only for messages beyond 256 GiB.
        let sealed = self.0.encrypt(&nonce, payload).unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{SEALED_VERSION}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn unseal(&self, endpoint_id: &str, sealed: &str) -> Result<SigningSecret, Unreadable> {
        let bytes = sealed
            .strip_prefix(SEALED_VERSION)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or(Unreadable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Unreadable)?;
        let payload = Payload {
            msg: ciphertext,
            aad: endpoint_id.as_bytes(),
        };
        let opened = self
            .0
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| Unreadable)?;
        let text = String::from_utf8(opened).map_err(|_| Unreadable)?;
        Ok(SigningSecret(SecretString::from(text)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_secret_is_whsec_and_32_random_bytes() {
        let (a, b) = (SigningSecret::generate(), SigningSecret::generate());
        assert_ne!(a.expose(), b.expose());
        let raw = STANDARD
            .decode(a.expose().strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_eq!(format!("{a:?}"), "SigningSecret(..)");
    }

    #[test]
    fn a_sealed_secret_opens_for_its_endpoint_under_the_same_server_secret_only() {
        let key = SealingKey::derive(b"a server secret of at least 32 characters");
        let secret = SigningSecret::generate();
        let sealed = key.seal("endpoint-1", &secret);
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains(secret.expose()));
        assert!(!sealed.contains(secret.expose().trim_start_matches("whsec_")));
        // Random nonces: sealing twice gives two forms.
        assert_ne!(sealed, key.seal("endpoint-1", &secret));
        assert_eq!(
            key.unseal("endpoint-1", &sealed).unwrap().expose(),
            secret.expose()
        );
        // Another endpoint's row, another server secret, an altered or foreign value.
        assert_eq!(key.unseal("endpoint-2", &sealed).err(), Some(Unreadable));
        let rotated = SealingKey::derive(b"another server secret of 32+ characters");
        assert_eq!(
            rotated.unseal("endpoint-1", &sealed).err(),
            Some(Unreadable)
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(key.unseal("endpoint-1", &altered).err(), Some(Unreadable));
        for junk in ["", "v1.", "v1.AAAA", secret.expose(), "v2.abc"] {
            assert_eq!(key.unseal("endpoint-1", junk).err(), Some(Unreadable));
        }
    }
}
