//! Signing the customer's admin in with OpenID Connect (CONTRACT section 2): the authorize URL
//! (authorization code with `state`, `nonce` and PKCE), redeeming the code, and validating the
//! ID token against the tenant's published keys. The `tid` of a validated ID token is the only
//! proof of which tenant a person belongs to; the admin-consent redirect's `tenant` is not.

use std::fmt;

use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;
use uuid::Uuid;

use super::{endpoint_url, error::Service, graph::parse_json, tokens, MicrosoftClient, MsError};

/// `tid` of every personal Microsoft account (outlook.com, hotmail.com, live.com ...).
pub const PERSONAL_ACCOUNTS_TENANT: Uuid = uuid::uuid!("9188040d-6c67-4c5b-b112-36a304b66dad");

/// Scopes of the sign-in: who the person is, nothing more.
const SIGN_IN_SCOPE: &str = "openid profile email";
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 120;

/// Who signed in, from a validated ID token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The person's tenant, canonical (lower-case, hyphenated).
    pub tenant_id: Uuid,
    /// The person's object id in that tenant.
    pub object_id: String,
    /// `preferred_username` (usually the UPN), for the history.
    pub username: String,
    pub name: Option<String>,
}

impl SignedIn {
    pub fn is_personal_account(&self) -> bool {
        self.tenant_id == PERSONAL_ACCOUNTS_TENANT
    }
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("tenant_id", &self.tenant_id)
            .field("object_id", &self.object_id)
            .finish_non_exhaustive()
    }
}

/// What the portal sends with the sign-in, and must present again to redeem its code.
pub struct SignInRequest<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    /// BASE64URL(SHA-256(code_verifier)).
    pub code_challenge: &'a str,
}

#[derive(Deserialize)]
struct CodeAnswer {
    id_token: String,
}

#[derive(Deserialize)]
struct IdClaims {
    tid: String,
    oid: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Only what is needed to find the keys and issuer before the signature is checked.
#[derive(Deserialize)]
struct UnverifiedTenant {
    tid: String,
}

#[derive(Deserialize)]
struct OpenIdConfiguration {
    jwks_uri: String,
}

impl MicrosoftClient {
    /// `{login}/organizations/oauth2/v2.0/authorize?...`: any work or school account may sign
    /// in; the tenant is learnt from the ID token.
    pub fn authorize_url(&self, request: &SignInRequest<'_>) -> String {
        let mut url = endpoint_url(
            &self.inner.login,
            &["organizations", "oauth2", "v2.0", "authorize"],
        );
        url.query_pairs_mut()
            .append_pair("client_id", &self.inner.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", SIGN_IN_SCOPE)
            .append_pair("state", request.state)
            .append_pair("nonce", request.nonce)
            .append_pair("code_challenge", request.code_challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account");
        url.into()
    }

    /// Redeems an authorization code and validates the ID token that comes with it:
    /// signature (the key named by `kid` in the tenant's JWKS), `iss`, `aud`, `exp`/`nbf`, and
    /// the `nonce` sent with the sign-in. Sign-ins are rare, so the keys are fetched each time
    /// rather than cached.
    pub async fn redeem_sign_in(
        &self,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<SignedIn, MsError> {
        let inner = &self.inner;
        let url = endpoint_url(&inner.login, &["organizations", "oauth2", "v2.0", "token"]);
        let form = [
            ("client_id", inner.client_id.as_str()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
            ("scope", SIGN_IN_SCOPE),
            ("client_secret", inner.client_secret.expose_secret()),
        ];
        let deadline = inner.caller.deadline();
        let call = async {
            let reply = inner
                .caller
                .send("sign_in", Service::Identity, deadline, |http| {
                    http.post(url.clone()).form(&form)
                })
                .await?;
            // serde's message could quote the body, which holds tokens: say only where.
            let answer: CodeAnswer = serde_json::from_slice(&reply.body).map_err(|e| {
                MsError::Malformed(format!(
                    "the token answer has no id_token (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            })?;
            self.validate_id_token(&answer.id_token, nonce, deadline)
                .await
        };
        inner
            .caller
            .run("sign_in", "organizations", deadline, call)
            .await
    }

    async fn validate_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        deadline: tokio::time::Instant,
    ) -> Result<SignedIn, MsError> {
        let invalid = |why: String| MsError::IdToken(why);
        let header =
            jsonwebtoken::decode_header(id_token).map_err(|e| invalid(format!("header: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid(format!("signed with {:?}, not RS256", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("no kid in the header".to_owned()))?;
        // The tenant names where its keys and issuer are; the signature then proves it.
        let unverified: UnverifiedTenant = tokens::decode_payload(id_token)?;
        let tenant = Uuid::parse_str(&unverified.tid)
            .map_err(|_| invalid(format!("tid {:?} is not a GUID", unverified.tid)))?;
        let tenant_segment = tenant.to_string();
        let keys = self.signing_keys(&tenant_segment, deadline).await?;
        let jwk = keys
            .find(&kid)
            .ok_or_else(|| invalid(format!("no published key has the kid {kid}")))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| invalid(format!("key {kid}: {e}")))?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.inner.client_id]);
        let issuer = endpoint_url(&self.inner.login, &[&tenant_segment, "v2.0"]);
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(invalid("the nonce is not the one sent".to_owned()));
        }
        // Signed, but still Microsoft's claim: it must be the tenant the keys were found for.
        if Uuid::parse_str(&claims.tid).ok() != Some(tenant) {
            return Err(invalid("tid changed between reads".to_owned()));
        }
        Ok(SignedIn {
            tenant_id: tenant,
            object_id: claims.oid,
            username: claims.preferred_username.unwrap_or_default(),
            name: claims.name,
        })
    }

    /// The tenant's signing keys, found through its OpenID configuration. The `jwks_uri` must be
    /// on the identity platform's own origin.
    async fn signing_keys(
        &self,
        tenant: &str,
        deadline: tokio::time::Instant,
    ) -> Result<JwkSet, MsError> {
        let inner = &self.inner;
        let configuration = endpoint_url(
            &inner.login,
            &[tenant, "v2.0", ".well-known", "openid-configuration"],
        );
        let reply = inner
            .caller
            .send(
                "openid_configuration",
                Service::Identity,
                deadline,
                |http| http.get(configuration.clone()),
            )
            .await?;
        let found: OpenIdConfiguration = parse_json(&reply.body)?;
        let jwks = url::Url::parse(&found.jwks_uri)
            .map_err(|e| MsError::Malformed(format!("jwks_uri {:?}: {e}", found.jwks_uri)))?;
        if jwks.origin() != inner.login.origin() {
            return Err(MsError::IdToken(format!(
                "jwks_uri {jwks} is not on the identity platform's origin"
            )));
        }
        let reply = inner
            .caller
            .send("jwks", Service::Identity, deadline, |http| {
                http.get(jwks.clone())
            })
            .await?;
        parse_json(&reply.body)
    }
}

/// What the sign-in redirect says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    Code {
        code: String,
        state: String,
    },
    /// `error` (+ `error_description` with an AADSTS code); `state` when Microsoft sent it.
    Failed {
        state: Option<String>,
        error: String,
        code: Option<u32>,
        description: String,
    },
    Invalid {
        reason: String,
    },
}

/// Parses the query string of the redirect back from the sign-in.
pub fn parse_sign_in_callback(query: &str) -> SignInOutcome {
    let params = match super::consent::single_params(query) {
        Ok(p) => p,
        Err(reason) => return SignInOutcome::Invalid { reason },
    };
    let get = |name: &str| params.get(name).cloned();
    match (get("code"), get("error")) {
        (_, Some(error)) => {
            let description = get("error_description").unwrap_or_default();
            SignInOutcome::Failed {
                state: get("state"),
                code: super::aadsts_code(&description),
                error,
                description,
            }
        }
        (Some(code), None) => match get("state") {
            Some(state) => SignInOutcome::Code { code, state },
            None => SignInOutcome::Invalid {
                reason: "the state is missing".to_owned(),
            },
        },
        (None, None) => SignInOutcome::Invalid {
            reason: "neither code nor error is present".to_owned(),
        },
    }
}
