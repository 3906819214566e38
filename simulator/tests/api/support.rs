//! Test harness: start a simulator on port 0; typed helpers for the common steps.

use std::time::Duration;

use actix_web::{App, HttpServer};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ms_simulator::{RegisteredApp, Simulator, SimulatorConfig, TenantSeed};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const SECRET: &str = "test-secret";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const TCA: &str = "baf37b3a-610e-45da-9e62-d9d1e5e8914b";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

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
            permissions: vec![
                "CrossTenantInformation.ReadBasic.All".into(),
                "TeamSettings.ReadWrite.All".into(),
            ],
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
