//! Test harness: start a simulator on port 0; typed helpers for the common steps.

use std::time::Duration;

use actix_web::{App, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ms_simulator::{RegisteredApp, Simulator, SimulatorConfig, TenantSeed, DEFAULT_PERMISSIONS};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const SECRET: &str = "test-secret";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const TCA: &str = "baf37b3a-610e-45da-9e62-d9d1e5e8914b";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const PERSONAL_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
pub const PERSONAL_USER: &str = "alex.personal@outlook.com";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier";

/// A PKCE pair: the verifier and BASE64URL(SHA256(verifier)).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub struct TestSim {
    pub origin: String,
    pub http: Client,
}

pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        app: RegisteredApp {
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.to_string().into(),
            display_name: "Tenant Connect".into(),
            redirect_uris: vec![REDIRECT.into()],
            permissions: DEFAULT_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        },
        tenants: vec![TenantSeed::demo()],
        operation_delay: Duration::from_millis(200),
        token_lifetime: Duration::from_secs(3599),
    }
}

pub async fn spawn() -> TestSim {
    spawn_with(config()).await
}

pub async fn spawn_with(config: SimulatorConfig) -> TestSim {
    let sim = Simulator::new(config).unwrap();
    let server = HttpServer::new(move || {
        let sim = sim.clone();
        App::new().configure(move |c| sim.configure(c))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    TestSim {
        origin: format!("http://{addr}"),
        http: Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl TestSim {
    pub fn login(&self) -> String {
        format!("{}/_microsoft/login", self.origin)
    }

    pub fn graph(&self, path: &str) -> String {
        format!("{}/_microsoft/graph{path}", self.origin)
    }

    pub fn control(&self, path: &str) -> String {
        format!("{}/_microsoft/control{path}", self.origin)
    }

    pub async fn tenants(&self) -> Vec<Value> {
        let res = self
            .http
            .get(self.control("/tenants"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Vec<Value>>().await.unwrap()
    }

    pub async fn tenant(&self, id: &str) -> Value {
        let res = self
            .http
            .get(self.control(&format!("/tenants/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn contoso(&self) -> String {
        self.tenants().await[0]["id"].as_str().unwrap().to_string()
    }

    pub fn consent_url(&self, tenant: &str, redirect_uri: &str, client_id: &str) -> String {
        format!(
            "{}/{tenant}/v2.0/adminconsent?client_id={client_id}&scope={}&redirect_uri={}&state=st-123",
            self.login(),
            urlencode(GRAPH_SCOPE),
            urlencode(redirect_uri)
        )
    }

    /// Posts the consent form as a script would; returns the response.
    pub async fn consent_as(&self, tenant: &str, user: &str, action: &str) -> Response {
        self.http
            .post(self.consent_url(tenant, REDIRECT, CLIENT_ID))
            .form(&[("user", user), ("action", action)])
            .send()
            .await
            .unwrap()
    }

    /// The OpenID Connect authorize URL with the portal's parameters (PKCE with `VERIFIER`).
    pub fn authorize_url(&self, tenant: &str) -> String {
        self.authorize_url_with(tenant, &[])
    }

    /// The authorize URL with parameters replaced (an empty value drops the parameter).
    pub fn authorize_url_with(&self, tenant: &str, overrides: &[(&str, &str)]) -> String {
        let challenge = challenge(VERIFIER);
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile email"),
            ("state", "si-456"),
            ("nonce", "n-789"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("prompt", "select_account"),
        ];
        for (k, v) in overrides {
            params.retain(|(key, _)| key != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        format!(
            "{}/{tenant}/oauth2/v2.0/authorize?{}",
            self.login(),
            query.join("&")
        )
    }

    /// Posts the sign-in form as a script would.
    pub async fn sign_in_as(&self, url: &str, user: &str, action: &str) -> Response {
        self.http
            .post(url)
            .form(&[("user", user), ("action", action)])
            .send()
            .await
            .unwrap()
    }

    /// Signs `user` in at `tenant`; returns (code, the `Cookie` header value to send back).
    pub async fn sign_in(&self, tenant: &str, user: &str) -> (String, String) {
        let res = self
            .sign_in_as(&self.authorize_url(tenant), user, "accept")
            .await;
        assert_eq!(res.status(), StatusCode::FOUND, "sign-in of {user}");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        let q = location_query(&res);
        assert_eq!(param(&q, "state"), Some("si-456"));
        let code = param(&q, "code").unwrap().to_string();
        let pair = cookie.split(';').next().unwrap().to_string();
        (code, pair)
    }

    /// Redeems an authorization code at `tenant`'s token endpoint.
    pub async fn redeem(
        &self,
        tenant: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Response {
        self.http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.login()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
                ("scope", "openid profile email"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Validates an ID token as a relying party: the key named by `kid` in the tenant's JWKS
    /// (found through discovery), `iss == {login}/{tid}/v2.0`, `aud == client_id`, the nonce.
    pub async fn validate_id_token(&self, id_token: &str, nonce: &str) -> Value {
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Value>(id_token)
            .unwrap()
            .claims;
        let tid = unverified["tid"].as_str().unwrap();
        let config: Value = self
            .http
            .get(format!(
                "{}/{tid}/v2.0/.well-known/openid-configuration",
                self.login()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jwks: Value = self
            .http
            .get(config["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())
            .expect("a key with the token's kid");
        let decoding = DecodingKey::from_rsa_components(
            key["n"].as_str().unwrap(),
            key["e"].as_str().unwrap(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 60;
        validation.set_audience(&[CLIENT_ID]);
        validation.set_issuer(&[format!("{}/{tid}/v2.0", self.login())]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss"]);
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["nonce"], nonce);
        assert_eq!(config["issuer"], claims["iss"]);
        claims
    }

    /// Grants exactly `permissions` through the control API (a partial grant).
    pub async fn grant_permissions(&self, tenant: &str, permissions: &[&str]) -> Response {
        self.http
            .put(self.control(&format!("/tenants/{tenant}/consent")))
            .json(&json!({ "granted": true, "permissions": permissions }))
            .send()
            .await
            .unwrap()
    }

    /// Admin consent through the control API.
    pub async fn grant(&self, tenant: &str, granted: bool) {
        let res = self
            .http
            .put(self.control(&format!("/tenants/{tenant}/consent")))
            .json(&json!({ "granted": granted }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    pub async fn set_role(&self, tenant: &str, assigned: bool) -> Response {
        self.http
            .put(self.control(&format!("/tenants/{tenant}/directory-role")))
            .json(&json!({ "assigned": assigned }))
            .send()
            .await
            .unwrap()
    }

    pub async fn token_response(&self, tenant: &str, secret: &str) -> Response {
        self.http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.login()))
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", secret),
                ("scope", GRAPH_SCOPE),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn app_token(&self, tenant: &str) -> String {
        let res = self.token_response(tenant, SECRET).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Consent + Teams Communications Administrator role + a fresh app token.
    pub async fn connected_token(&self, tenant: &str) -> String {
        self.grant(tenant, true).await;
        assert_eq!(self.set_role(tenant, true).await.status(), StatusCode::OK);
        self.app_token(tenant).await
    }

    pub async fn user_token(&self, tenant: &str, upn: &str) -> String {
        let res = self
            .http
            .post(self.control(&format!("/tenants/{tenant}/users/{upn}/token")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, token: &str, url: &str) -> Response {
        self.http.get(url).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post_json(&self, token: &str, url: &str, body: Value) -> Response {
        self.http
            .post(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Verifies a token with the published JWKS and returns its claims.
    pub async fn verify(&self, tenant: &str, token: &str) -> Value {
        let jwks: Value = self
            .http
            .get(format!("{}/{tenant}/discovery/v2.0/keys", self.login()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let header = jsonwebtoken::decode_header(token).unwrap();
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())
            .expect("a key with the token's kid");
        assert_eq!(key["kty"], "RSA");
        let decoding = DecodingKey::from_rsa_components(
            key["n"].as_str().unwrap(),
            key["e"].as_str().unwrap(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["https://graph.microsoft.com"]);
        jsonwebtoken::decode::<Value>(token, &decoding, &validation)
            .unwrap()
            .claims
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query of a redirect `Location`, as pairs.
pub fn location_query(res: &Response) -> Vec<(String, String)> {
    let location = res.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub async fn graph_error(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let request_id = res.headers()["request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        request_id.as_str()
    );
    assert!(body["error"]["innerError"]["date"].is_string());
    assert!(body["error"]["message"].is_string());
    (status, body["error"]["code"].as_str().unwrap().to_string())
}

/// The directory role every app-only token lists in `wids`.
pub const IMPLICIT_APP_ROLE: &str = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

/// Teams Phone Standard, and its service plan MCOEV.
pub const TEAMS_PHONE_SKU: &str = "e43b5b99-8dfb-405f-9987-dc307f34bcbd";
pub const MCOEV_PLAN: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";
/// Office 365 E5 (includes Phone System).
pub const E5_SKU: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";

impl TestSim {
    /// A control API call with an optional JSON body.
    pub async fn control_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.http.request(method, self.control(path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Creates a user through the control API; returns its JSON (201 asserted).
    pub async fn create_user(&self, tenant: &str, body: Value) -> Value {
        let res = self
            .control_call(
                reqwest::Method::POST,
                &format!("/tenants/{tenant}/users"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        res.json().await.unwrap()
    }

    /// Follows a delta round from `url` to its deltaLink: (every value, the deltaLink, pages).
    pub async fn delta_round(&self, token: &str, url: &str) -> (Vec<Value>, String, usize) {
        let (mut values, mut pages, mut url) = (Vec::new(), 0, url.to_string());
        loop {
            let res = self.get(token, &url).await;
            assert_eq!(res.status(), StatusCode::OK, "{url}");
            let page: Value = res.json().await.unwrap();
            pages += 1;
            values.extend(page["value"].as_array().unwrap().iter().cloned());
            if let Some(next) = page["@odata.nextLink"].as_str() {
                assert!(page.get("@odata.deltaLink").is_none());
                assert!(next.starts_with(&self.origin), "absolute nextLink {next}");
                assert!(next.contains("$skiptoken="), "{next}");
                url = next.to_string();
            } else {
                let link = page["@odata.deltaLink"].as_str().unwrap().to_string();
                assert!(link.starts_with(&self.origin), "absolute deltaLink {link}");
                assert!(link.contains("$deltatoken="), "{link}");
                return (values, link, pages);
            }
        }
    }
}
