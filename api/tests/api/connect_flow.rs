//! Driving the Microsoft side like a person would: the simulator's consent page and its
//! control API, over real HTTP.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};

use crate::helpers::TestApp;

pub const CONTOSO_ADMIN: &str = "admin@contoso.onmicrosoft.com";

/// A consent attempt in flight: Microsoft's URL and the browser's binding cookie.
pub struct Attempt {
    pub consent_url: String,
    pub cookie: String,
}

impl Attempt {
    pub fn state(&self) -> String {
        let url = reqwest::Url::parse(&self.consent_url).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }
}

impl TestApp {
    pub async fn connection(&self, token: &str) -> TenantConnection {
        let response = self.get("/api/v1/tenant-connection", Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn start_setup(&self, token: &str) -> Attempt {
        let response = self
            .post("/api/v1/tenant-connection/setup", Some(token), &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("tc_consent_binding="))
            .expect("setup sets the binding cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let setup: SetupResponse = response.json().await.unwrap();
        Attempt {
            consent_url: setup.consent_url,
            cookie,
        }
    }

    /// Answers Microsoft's consent page as `user` would: `accept` or `cancel`. Returns where
    /// Microsoft sends the browser (None when it does not redirect).
    pub async fn answer_consent(
        &self,
        attempt: &Attempt,
        user: &str,
        action: &str,
    ) -> (StatusCode, Option<String>, String) {
        let page = self.client.get(&attempt.consent_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the consent page shows");
        let response = self
            .client
            .post(&attempt.consent_url)
            .form(&[("user", user), ("action", action)])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap_or_default())
    }

    /// The browser arriving at our redirect URI, with or without the binding cookie.
    pub async fn callback(&self, url: &str, cookie: Option<&str>) -> String {
        let mut request = self.client.get(url);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Steps 1 and 2 by a Global Administrator of the demo tenant.
    pub async fn grant_consent(&self, token: &str) {
        let attempt = self.start_setup(token).await;
        let (status, location, _) = self.answer_consent(&attempt, CONTOSO_ADMIN, "accept").await;
        assert_eq!(status, StatusCode::FOUND);
        let landed = self
            .callback(&location.unwrap(), Some(&attempt.cookie))
            .await;
        assert_eq!(landed, "/tenant-connection?consent=granted");
    }

    pub async fn verify(&self, token: &str) -> VerificationReport {
        let response = self
            .post("/api/v1/tenant-connection/verify", Some(token), &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// The simulator's control API.
    pub async fn sim_tenant(&self, name: &str) -> Value {
        let tenants: Vec<Value> = self
            .client
            .get(self.url("/_microsoft/control/tenants"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tenants.into_iter().find(|t| t["name"] == name).unwrap()
    }

    pub async fn sim_assign_role(&self, tenant: &str, assigned: bool) {
        let response = self
            .client
            .put(self.url(&format!(
                "/_microsoft/control/tenants/{tenant}/directory-role"
            )))
            .json(&json!({ "assigned": assigned }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    pub async fn sim_revoke_consent(&self, tenant: &str) {
        let response = self
            .client
            .put(self.url(&format!("/_microsoft/control/tenants/{tenant}/consent")))
            .json(&json!({ "granted": false }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    pub async fn sim_fault(&self, fault: Value) {
        let response = self
            .client
            .put(self.url("/_microsoft/control/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    pub async fn run_health_checks(&self) -> usize {
        self.state
            .connections
            .make_health_checks_due()
            .await
            .unwrap();
        self.state.connections.run_health_checks().await.unwrap()
    }
}
