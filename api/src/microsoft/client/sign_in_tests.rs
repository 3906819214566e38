//! The ID token checks of the sign-in (CONTRACT section 2), each tried against a mock identity
//! platform with a token that breaks exactly one rule.

use std::{sync::OnceLock, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mockito::{Matcher, ServerGuard};
use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts, RsaPrivateKey};
use secrecy::SecretString;
use serde_json::{json, Value};

use super::*;

const TID: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
const CLIENT_ID: &str = "app-client-id";
const NONCE: &str = "the-nonce";
const KID: &str = "key-1";

struct Key {
    encoding: EncodingKey,
    jwks: Value,
}

/// One RSA key for all the tests (generating one takes a moment).
fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let der = private.to_pkcs1_der().unwrap();
        let public = private.to_public_key();
        Key {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwks: json!({"keys": [{
                "kty": "RSA", "use": "sig", "kid": KID,
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            }]}),
        }
    })
}

fn client(server: &ServerGuard) -> MicrosoftClient {
    let policy = CallPolicy {
        request_timeout: Duration::from_millis(800),
        deadline: Duration::from_secs(3),
        max_attempts: 2,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        token_refresh_margin: Duration::from_secs(300),
    };
    let config = ClientConfig {
        login_url: server.url(),
        graph_url: server.url(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: SecretString::from("secret"),
    };
    MicrosoftClient::new(config, policy, None).unwrap()
}

fn claims(server: &ServerGuard) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "aud": CLIENT_ID,
        "iss": format!("{}/{TID}/v2.0", server.url()),
        "iat": now, "nbf": now, "exp": now + 3600,
        "tid": TID,
        "oid": "user-object-id",
        "preferred_username": "admin@contoso.onmicrosoft.com",
        "name": "Contoso Admin",
        "nonce": NONCE,
        "ver": "2.0",
    })
}

fn sign(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key().encoding).unwrap()
}

/// The identity platform answering one code redemption with `id_token`, and its keys.
async fn identity(server: &mut ServerGuard, id_token: &str, jwks_uri: Option<String>) {
    let jwks_uri =
        jwks_uri.unwrap_or_else(|| format!("{}/{TID}/discovery/v2.0/keys", server.url()));
    server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "authorization_code".into()),
            Matcher::UrlEncoded("code".into(), "the-code".into()),
            Matcher::UrlEncoded("code_verifier".into(), "the-verifier".into()),
            Matcher::UrlEncoded("redirect_uri".into(), "https://portal/cb".into()),
        ]))
        .with_body(json!({"token_type": "Bearer", "id_token": id_token, "access_token": "x", "expires_in": 3599}).to_string())
        .create_async()
        .await;
    server
        .mock(
            "GET",
            format!("/{TID}/v2.0/.well-known/openid-configuration").as_str(),
        )
        .with_body(
            json!({"jwks_uri": jwks_uri, "issuer": format!("{}/{TID}/v2.0", server.url())})
                .to_string(),
        )
        .create_async()
        .await;
    server
        .mock("GET", format!("/{TID}/discovery/v2.0/keys").as_str())
        .with_body(key().jwks.to_string())
        .create_async()
        .await;
}

async fn redeem(server: &ServerGuard) -> Result<SignedIn, MsError> {
    client(server)
        .redeem_sign_in("the-code", "https://portal/cb", "the-verifier", NONCE)
        .await
}

#[tokio::test]
async fn a_valid_id_token_names_the_persons_tenant() {
    let mut server = mockito::Server::new_async().await;
    let token = sign(&claims(&server), KID);
    identity(&mut server, &token, None).await;
    let person = redeem(&server).await.unwrap();
    assert_eq!(person.tenant_id.to_string(), TID);
    assert_eq!(person.username, "admin@contoso.onmicrosoft.com");
    assert!(!person.is_personal_account());
}

#[tokio::test]
async fn each_broken_rule_refuses_the_token() {
    type Break = fn(&mut Value, &str);
    let cases: [(&str, Break); 6] = [
        ("another nonce", |c, _| c["nonce"] = json!("replayed")),
        ("another audience", |c, _| c["aud"] = json!("someone-else")),
        ("another issuer", |c, _| {
            c["iss"] = json!("https://login.example/6babcaad-604b-40ac-a9d7-9fd97c0b779f/v2.0")
        }),
        ("expired", |c, _| {
            c["exp"] = json!(chrono::Utc::now().timestamp() - 3600)
        }),
        ("not yet valid", |c, _| {
            c["nbf"] = json!(chrono::Utc::now().timestamp() + 3600)
        }),
        ("no nonce", |c, _| {
            c.as_object_mut().unwrap().remove("nonce");
        }),
    ];
    for (what, break_it) in cases {
        let mut server = mockito::Server::new_async().await;
        let mut claims = claims(&server);
        break_it(&mut claims, &server.url());
        let token = sign(&claims, KID);
        identity(&mut server, &token, None).await;
        let result = redeem(&server).await;
        assert!(
            matches!(result, Err(MsError::IdToken(_))),
            "{what}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_token_signed_by_an_unpublished_key_or_tampered_is_refused() {
    let mut server = mockito::Server::new_async().await;
    let token = sign(&claims(&server), "unknown-kid");
    identity(&mut server, &token, None).await;
    assert!(matches!(redeem(&server).await, Err(MsError::IdToken(_))));

    // The payload changed after signing (another tenant), the signature kept.
    let mut server = mockito::Server::new_async().await;
    let token = sign(&claims(&server), KID);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut forged = claims(&server);
    forged["oid"] = json!("someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = parts.join(".");
    identity(&mut server, &tampered, None).await;
    assert!(matches!(redeem(&server).await, Err(MsError::IdToken(_))));
}

#[tokio::test]
async fn keys_published_off_the_identity_platform_are_not_fetched() {
    let mut server = mockito::Server::new_async().await;
    let token = sign(&claims(&server), KID);
    identity(
        &mut server,
        &token,
        Some("https://keys.attacker.example/keys".to_owned()),
    )
    .await;
    assert!(matches!(redeem(&server).await, Err(MsError::IdToken(_))));
}

#[tokio::test]
async fn a_refused_code_is_an_identity_error_with_its_code() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_status(400)
        .with_body(json!({"error": "invalid_grant", "error_description": "AADSTS54005: OAuth2 Authorization code was already redeemed.", "error_codes": [54005]}).to_string())
        .create_async()
        .await;
    let error = redeem(&server).await.unwrap_err();
    assert_eq!(error.aadsts(), Some(54005), "{error:?}");
}

#[test]
fn the_authorize_url_asks_for_a_code_with_pkce_for_any_organisation() {
    let server_url = "https://login.microsoftonline.com";
    let client = MicrosoftClient::new(
        ClientConfig {
            login_url: server_url.to_owned(),
            graph_url: "https://graph.microsoft.com".to_owned(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from("secret"),
        },
        CallPolicy::default(),
        None,
    )
    .unwrap();
    let url = url::Url::parse(&client.authorize_url(&SignInRequest {
        redirect_uri: "https://portal/cb",
        state: "s",
        nonce: "n",
        code_challenge: "c",
    }))
    .unwrap();
    assert_eq!(url.path(), "/organizations/oauth2/v2.0/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    for (k, v) in [
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", "https://portal/cb"),
        ("scope", "openid profile email"),
        ("state", "s"),
        ("nonce", "n"),
        ("code_challenge", "c"),
        ("code_challenge_method", "S256"),
        ("prompt", "select_account"),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
}

#[test]
fn sign_in_redirects_are_parsed_like_microsoft_sends_them() {
    assert_eq!(
        parse_sign_in_callback("code=abc&state=s&session_state=x"),
        SignInOutcome::Code {
            code: "abc".into(),
            state: "s".into()
        }
    );
    assert!(matches!(
        parse_sign_in_callback(
            "error=access_denied&error_description=AADSTS65004%3a+declined&state=s"
        ),
        SignInOutcome::Failed {
            code: Some(65004),
            state: Some(_),
            ..
        }
    ));
    for bad in ["code=abc", "state=s", "code=a&code=b&state=s", ""] {
        assert!(
            matches!(parse_sign_in_callback(bad), SignInOutcome::Invalid { .. }),
            "{bad}"
        );
    }
}
