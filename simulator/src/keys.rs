//! The signing key: one RSA key per simulator instance, published as a JWKS; RS256 signing and
//! verification of the access tokens the simulator issues.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::{
    pkcs1::EncodeRsaPrivateKey,
    rand_core::{OsRng, RngCore},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Graph's application id, also accepted as the audience.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    n: String,
    e: String,
}

/// The claims the Graph side reads from an access token.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    pub tid: String,
    pub oid: String,
    #[serde(default)]
    pub appid: Option<String>,
    #[serde(default)]
    pub idtyp: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub wids: Vec<String>,
    #[serde(default)]
    pub scp: Option<String>,
}

impl AccessClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scp.as_deref().unwrap_or("").split(' ')
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    Expired,
    Invalid,
}

impl SigningKey {
    pub fn generate() -> anyhow::Result<SigningKey> {
        let private = RsaPrivateKey::new(&mut OsRng, 2048)?;
        let der = private.to_pkcs1_der()?;
        let public = private.to_public_key();
        let n_bytes = public.n().to_bytes_be();
        let e_bytes = public.e().to_bytes_be();
        let mut kid_bytes = [0u8; 20];
        OsRng.fill_bytes(&mut kid_bytes);
        Ok(SigningKey {
            kid: URL_SAFE_NO_PAD.encode(kid_bytes),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding: DecodingKey::from_rsa_raw_components(&n_bytes, &e_bytes),
            n: URL_SAFE_NO_PAD.encode(&n_bytes),
            e: URL_SAFE_NO_PAD.encode(&e_bytes),
        })
    }

    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "kid": self.kid,
                "x5t": self.kid,
                "n": self.n,
                "e": self.e,
            }]
        })
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// Verifies signature, audience and expiry (no leeway, so tests can expire tokens quickly).
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenProblem> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.set_audience(&[GRAPH_AUDIENCE, GRAPH_APP_ID]);
        match jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(TokenProblem::Expired)
            }
            Err(_) => Err(TokenProblem::Invalid),
        }
    }
}
