//! Signatures of deliveries, by the Standard Webhooks specification (standardwebhooks.com),
//! through its reference crate: `webhook-signature: v1,<base64 HMAC-SHA256>` of
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of the
//! endpoint's `whsec_...` secret.

use super::sealing::SigningSecret;

pub const HEADER_ID: &str = standardwebhooks::HEADER_WEBHOOK_ID;
pub const HEADER_TIMESTAMP: &str = standardwebhooks::HEADER_WEBHOOK_TIMESTAMP;
pub const HEADER_SIGNATURE: &str = standardwebhooks::HEADER_WEBHOOK_SIGNATURE;

/// The three headers of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

/// Why a body could not be signed: a secret that is not base64 (one we did not make).
#[derive(Debug, thiserror::Error)]
#[error("the endpoint's signing secret is not a whsec_ secret")]
pub struct Unsignable;

/// Signs `body` as message `msg_id` sent at `timestamp` (seconds since the epoch).
pub fn sign(
    secret: &SigningSecret,
    msg_id: &str,
    timestamp: i64,
    body: &str,
) -> Result<SignedHeaders, Unsignable> {
    let webhook = standardwebhooks::Webhook::new(secret.expose()).map_err(|_| Unsignable)?;
    let signature = webhook
        .sign(msg_id, timestamp, body.as_bytes())
        .map_err(|_| Unsignable)?;
    Ok(SignedHeaders {
        id: msg_id.to_owned(),
        timestamp,
        signature,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn secret(s: &str) -> SigningSecret {
        SigningSecret::from_known(s)
    }

    #[test]
    fn the_specification_example_signs_as_published() {
        // The example of the specification and of its reference libraries.
        let signed = sign(
            &secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(
            signed.signature,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn what_we_sign_verifies_and_a_changed_body_does_not() {
        let secret = SigningSecret::generate();
        let now = chrono::Utc::now().timestamp();
        let body = r#"{"type":"phone_service.enabled"}"#;
        let signed = sign(&secret, "msg_1", now, body).unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(HEADER_ID, signed.id.parse().unwrap());
        headers.insert(HEADER_TIMESTAMP, now.to_string().parse().unwrap());
        headers.insert(HEADER_SIGNATURE, signed.signature.parse().unwrap());
        let verifier = standardwebhooks::Webhook::new(secret.expose()).unwrap();
        assert!(verifier.verify(body.as_bytes(), &headers).is_ok());
        assert!(verifier.verify(b"{}", &headers).is_err());
        let other = standardwebhooks::Webhook::new(SigningSecret::generate().expose()).unwrap();
        assert!(other.verify(body.as_bytes(), &headers).is_err());
    }
}
