//! Driving the Microsoft side like a person would: the simulator's consent page and its
//! control API, over real HTTP.

use std::sync::OnceLock;

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use shared::tenant_connection::{SetupResponse, TenantConnection, VerificationReport};

use crate::helpers::TestApp;

pub const CONTOSO_ADMIN: &str = "admin@contoso.onmicrosoft.com";

/// A step-2 attempt in flight: Microsoft's sign-in URL, the browser's binding cookie, and once
/// the person signed in, the simulator's session cookie and the consent URL.
pub struct Attempt {
    pub sign_in_url: String,
    pub cookie: String,
    consent: OnceLock<(String, String)>,
}

impl Attempt {
    pub fn state(&self) -> String {
        let url = reqwest::Url::parse(&self.sign_in_url).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    /// Microsoft's admin-consent URL the portal sent the browser on to after the sign-in.
    pub fn consent_url(&self) -> &str {
        &self.consent.get().expect("signed in first").0
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
            sign_in_url: setup.consent_url,
            cookie,
            consent: OnceLock::new(),
        }
    }

    /// Answers Microsoft's sign-in page as `user` would (`accept` or `cancel`): Microsoft's
    /// answer (status, where it sends the browser, its session cookie).
    pub async fn answer_sign_in(
        &self,
        attempt: &Attempt,
        user: &str,
        action: &str,
    ) -> (StatusCode, Option<String>, Option<String>) {
        let page = self.client.get(&attempt.sign_in_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the sign-in page shows");
        let response = self
            .client
            .post(&attempt.sign_in_url)
            .form(&[("user", user), ("action", action)])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let session = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .next();
        (status, location, session)
    }

    /// Signs `user` in at Microsoft and follows the portal's sign-in callback: where the
    /// portal sends the browser (Microsoft's consent page, or a page of its own).
    pub async fn sign_in_through(&self, attempt: &Attempt, user: &str) -> String {
        let (status, location, session) = self.answer_sign_in(attempt, user, "accept").await;
        assert_eq!(status, StatusCode::FOUND, "the simulator signs {user} in");
        let location = location.unwrap();
        assert!(
            location.contains("/api/v1/tenant-connection/sign-in-callback?"),
            "{location}"
        );
        let next = self.callback(&location, Some(&attempt.cookie)).await;
        if next.contains("/v2.0/adminconsent") {
            let _ = attempt
                .consent
                .set((next.clone(), session.unwrap_or_default()));
        }
        next
    }

    /// Answers Microsoft's consent page as `user` would: `accept`, `cancel`, or `back` on the
    /// "Need admin approval" page. Signs `user` in first when the attempt has not. Returns
    /// where Microsoft sends the browser (None when it does not redirect).
    pub async fn answer_consent(
        &self,
        attempt: &Attempt,
        user: &str,
        action: &str,
    ) -> (StatusCode, Option<String>, String) {
        if attempt.consent.get().is_none() {
            let next = self.sign_in_through(attempt, user).await;
            assert!(next.contains("/v2.0/adminconsent"), "{next}");
        }
        let (url, session) = attempt.consent.get().unwrap();
        let page = self
            .client
            .get(url)
            .header(header::COOKIE, session)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the consent page shows");
        let response = self
            .client
            .post(url)
            .header(header::COOKIE, session)
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

    /// The browser arriving at one of our redirect URIs, with or without the binding cookie.
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

    /// The tenant consents to exactly these permissions (an older, shorter list).
    pub async fn sim_grant_permissions(&self, tenant: &str, permissions: &[&str]) {
        let response = self
            .client
            .put(self.url(&format!("/_microsoft/control/tenants/{tenant}/consent")))
            .json(&json!({ "granted": true, "permissions": permissions }))
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
