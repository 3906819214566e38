use reqwest::{header, Client, Method, StatusCode};
use serde_json::Value;
use shared::{auth::LoginResponse, auth::Me, problem::Problem};

/// One check's outcome.
pub struct Outcome {
    pub name: String,
    pub error: Option<String>,
}

/// Runs every check against `base_url`, signing in as `email`. Never stops at the first failure.
pub async fn run(base_url: &str, email: &str, password: &str) -> Vec<Outcome> {
    let smoke = Smoke {
        base: base_url.trim_end_matches('/').to_owned(),
        // Redirects are answers to check (Microsoft's redirect URIs answer 303), not to follow.
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default(),
    };
    let mut outcomes = Vec::new();
    let mut record = |name: &str, result: Result<(), String>| {
        outcomes.push(Outcome {
            name: name.to_owned(),
            error: result.err(),
        })
    };
    record("GET /healthz answers ok", smoke.health("/healthz").await);
    record(
        "GET /readyz answers ok (database reachable)",
        smoke.health("/readyz").await,
    );
    let doc = smoke.openapi().await;
    record(
        "GET /api/openapi.json is an OpenAPI 3.1 document",
        doc.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    record(
        "an unknown endpoint answers 404 problem+json",
        smoke.unknown_endpoint().await,
    );
    record(
        "a wrong password answers 401 problem+json",
        smoke.wrong_password(email).await,
    );
    record(
        "a call without a token answers 401 problem+json",
        smoke.no_token().await,
    );
    let session = smoke.login(email, password).await;
    record(
        "sign-in answers a bearer session",
        session.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    if let Ok(session) = &session {
        record(
            "GET /api/v1/me names the signed-in user",
            smoke.me(session, email).await,
        );
        if let Ok(doc) = &doc {
            for (name, result) in smoke.documented_gets(doc, &session.access_token).await {
                record(&name, result);
            }
        }
        record(
            "POST /api/v1/auth/logout ends the session on the server",
            smoke.logout(session).await,
        );
    }
    record(
        "responses carry nosniff and a frame-ancestors policy",
        smoke.security_headers().await,
    );
    record("GET /metrics serves Prometheus text", smoke.metrics().await);
    outcomes
}

struct Smoke {
    base: String,
    client: Client,
}

impl Smoke {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> Result<reqwest::Response, String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.map_err(|e| format!("{path}: {e}"))
    }

    async fn health(&self, path: &str) -> Result<(), String> {
        let response = self.call(Method::GET, path, None).await?;
        expect_status(&response, StatusCode::OK)?;
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        match body["status"].as_str() {
            Some("ok") => Ok(()),
            other => Err(format!("status is {other:?}")),
        }
    }

    async fn openapi(&self) -> Result<Value, String> {
        let response = self.call(Method::GET, "/api/openapi.json", None).await?;
        expect_status(&response, StatusCode::OK)?;
        let doc: Value = response.json().await.map_err(|e| e.to_string())?;
        let version = doc["openapi"].as_str().unwrap_or_default();
        if !version.starts_with("3.1") {
            return Err(format!("openapi version is {version:?}"));
        }
        if !doc["paths"].is_object() {
            return Err("no paths".to_owned());
        }
        Ok(doc)
    }

    async fn unknown_endpoint(&self) -> Result<(), String> {
        let response = self
            .call(Method::GET, "/api/v1/smoke-test-no-such-endpoint", None)
            .await?;
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await
    }

    async fn wrong_password(&self, email: &str) -> Result<(), String> {
        let response = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"email": email, "password": "definitely not the password"}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await
    }

    async fn no_token(&self) -> Result<(), String> {
        let response = self.call(Method::GET, "/api/v1/me", None).await?;
        expect_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await
    }

    async fn login(&self, email: &str, password: &str) -> Result<LoginResponse, String> {
        let response = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect_status(&response, StatusCode::OK)?;
        let session: LoginResponse = response.json().await.map_err(|e| e.to_string())?;
        if session.token_type != "Bearer" || session.access_token.is_empty() {
            return Err("no bearer token in the answer".to_owned());
        }
        Ok(session)
    }

    async fn me(&self, session: &LoginResponse, email: &str) -> Result<(), String> {
        let response = self
            .call(Method::GET, "/api/v1/me", Some(&session.access_token))
            .await?;
        expect_status(&response, StatusCode::OK)?;
        let me: Me = response.json().await.map_err(|e| e.to_string())?;
        if !me.email.eq_ignore_ascii_case(email.trim()) {
            return Err(format!("me is {}", me.email));
        }
        Ok(())
    }

    /// Every documented GET under /api/v1 without path parameters answers with one of its
    /// documented statuses, and JSON when it says so.
    async fn documented_gets(&self, doc: &Value, token: &str) -> Vec<(String, Result<(), String>)> {
        let mut results = Vec::new();
        let Some(paths) = doc["paths"].as_object() else {
            return results;
        };
        for (path, item) in paths {
            if !path.starts_with("/api/v1") || path.contains('{') {
                continue;
            }
            let Some(op) = item.get("get") else { continue };
            let name = format!("GET {path} answers as documented");
            let result = async {
                let response = self.call(Method::GET, path, Some(token)).await?;
                let status = response.status().as_u16().to_string();
                let documented = &op["responses"][&status];
                if documented.is_null() {
                    return Err(format!("status {status} is not documented"));
                }
                if documented["content"]["application/json"].is_object() {
                    response
                        .json::<Value>()
                        .await
                        .map_err(|e| format!("not JSON: {e}"))?;
                }
                Ok(())
            }
            .await;
            results.push((name, result));
        }
        results
    }

    async fn logout(&self, session: &LoginResponse) -> Result<(), String> {
        let token = Some(session.access_token.as_str());
        let response = self
            .call(Method::POST, "/api/v1/auth/logout", token)
            .await?;
        expect_status(&response, StatusCode::NO_CONTENT)?;
        let after = self.call(Method::GET, "/api/v1/me", token).await?;
        expect_problem(after, StatusCode::UNAUTHORIZED, "unauthenticated").await
    }

    async fn security_headers(&self) -> Result<(), String> {
        for path in ["/", "/api/v1/me"] {
            let response = self.call(Method::GET, path, None).await?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            if header("x-content-type-options") != "nosniff" {
                return Err(format!("{path}: no X-Content-Type-Options: nosniff"));
            }
            if !header("content-security-policy").contains("frame-ancestors 'none'") {
                return Err(format!("{path}: no frame-ancestors 'none' in the CSP"));
            }
        }
        Ok(())
    }

    async fn metrics(&self) -> Result<(), String> {
        let response = self.call(Method::GET, "/metrics", None).await?;
        expect_status(&response, StatusCode::OK)?;
        let text = response.text().await.map_err(|e| e.to_string())?;
        if text.contains("http_requests_total") {
            Ok(())
        } else {
            Err("no http_requests_total".to_owned())
        }
    }
}

fn expect_status(response: &reqwest::Response, expected: StatusCode) -> Result<(), String> {
    if response.status() == expected {
        Ok(())
    } else {
        Err(format!("expected {expected}, got {}", response.status()))
    }
}

async fn expect_problem(
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
) -> Result<(), String> {
    expect_status(&response, status)?;
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type != "application/problem+json" {
        return Err(format!("content type is {content_type:?}"));
    }
    let problem: Problem = response.json().await.map_err(|e| e.to_string())?;
    if problem.code != code {
        return Err(format!("code is {:?}, expected {code:?}", problem.code));
    }
    Ok(())
}
