//! OpenID Connect sign-in: the authorize page, the authorization code grant with PKCE, the ID
//! token, discovery and the session cookie (CONTRACT section 2).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const ADMIN: &str = "admin@contoso.onmicrosoft.com";

async fn token_error(res: reqwest::Response, error: &str, code: u64) {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&format!("AADSTS{code}: ")));
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field} missing");
    }
}

/// An authorize error redirect: `error`, AADSTS description, `error_uri`, `state`; no code.
fn assert_authorize_error(
    sim: &TestSim,
    res: &reqwest::Response,
    error: &str,
    code: u32,
) -> Vec<(String, String)> {
    assert_eq!(res.status(), StatusCode::FOUND);
    let q = location_query(res);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(&format!("{REDIRECT}?error=")));
    assert_eq!(param(&q, "error"), Some(error), "{q:?}");
    let description = param(&q, "error_description").unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "));
    assert_eq!(
        param(&q, "error_uri").map(str::to_string),
        Some(format!("{}/error?code={code}", sim.login()))
    );
    assert_eq!(param(&q, "state"), Some("si-456"));
    assert_eq!(param(&q, "code"), None);
    assert_eq!(param(&q, "admin_consent"), None);
    assert_eq!(param(&q, "tenant"), None);
    q
}

#[actix_web::test]
async fn the_authorize_page_shows_a_picker_and_buttons() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let res = sim
        .http
        .get(sim.authorize_url("organizations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    for needle in [
        r#"<form method="post">"#,
        r#"<select id="user" name="user">"#,
        r#"<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>"#,
        r#"<button type="submit" id="accept" name="action" value="accept">Sign in</button>"#,
        r#"value="admin@contoso.onmicrosoft.com""#,
        "Contoso (contoso.onmicrosoft.com)",
        "Personal Microsoft accounts",
        r#"value="alex.personal@outlook.com""#,
        "Tenant Connect",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // A specific tenant (GUID in any case, or domain) lists only its own users.
    for tenant in [
        contoso.to_uppercase(),
        "contoso.onmicrosoft.com".to_string(),
    ] {
        let html = sim
            .http
            .get(sim.authorize_url(&tenant))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(r#"value="admin@contoso.onmicrosoft.com""#));
        assert!(!html.contains("alex.personal@outlook.com"), "{tenant}");
    }
}

#[actix_web::test]
async fn sign_in_code_and_token_give_a_valid_id_token() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let res = sim
        .sign_in_as(&sim.authorize_url("organizations"), ADMIN, "accept")
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("ESTSAUTH="), "{cookie}");
    for attribute in ["Path=/_microsoft/login", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("contoso"), "the UPN is not in the cookie");
    let q = location_query(&res);
    assert_eq!(param(&q, "state"), Some("si-456"));
    assert!(param(&q, "session_state").is_some());
    let code = param(&q, "code").unwrap();

    let res = sim.redeem("organizations", code, REDIRECT, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let claims = sim
        .validate_id_token(body["id_token"].as_str().unwrap(), "n-789")
        .await;
    assert_eq!(claims["tid"], contoso.as_str());
    assert_eq!(claims["iss"], format!("{}/{contoso}/v2.0", sim.login()));
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["preferred_username"], ADMIN);
    assert_eq!(claims["name"], "Adele Vance");
    assert_eq!(claims["ver"], "2.0");
    assert!(claims["sub"].is_string() && claims["uti"].is_string());
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    let admin_id = sim.tenant(&contoso).await["admins"][0]["id"].clone();
    assert_eq!(claims["oid"], admin_id);

    // The access token is a delegated Graph token; it opens no admin endpoint.
    let access = body["access_token"].as_str().unwrap();
    let at = sim.verify(&contoso, access).await;
    assert_eq!(at["idtyp"], "user");
    assert_eq!(at["tid"], contoso.as_str());
    assert_eq!(at["oid"], admin_id);
    assert_eq!(at["appid"], CLIENT_ID);
    let res = sim.get(access, &sim.graph("/v1.0/users?$top=1")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An ID token is not a Graph token.
    let res = sim
        .get(
            body["id_token"].as_str().unwrap(),
            &sim.graph("/v1.0/users"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Redeeming at the tenant's own segment works too.
    let (code, _) = sim.sign_in(&contoso, "pra@contoso.onmicrosoft.com").await;
    let res = sim.redeem(&contoso, &code, REDIRECT, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn redemption_errors_name_the_aadsts_code() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // PKCE mismatch.
    let (code, _) = sim.sign_in("organizations", ADMIN).await;
    token_error(
        sim.redeem(
            "organizations",
            &code,
            REDIRECT,
            "another-verifier-another-verifier-another",
        )
        .await,
        "invalid_grant",
        501481,
    )
    .await;
    // A different redirect URI than at authorize.
    token_error(
        sim.redeem("organizations", &code, "http://127.0.0.1:9/other", VERIFIER)
            .await,
        "invalid_grant",
        500112,
    )
    .await;
    // Failed attempts do not use the code up; the first success does.
    let res = sim.redeem("organizations", &code, REDIRECT, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::OK);
    token_error(
        sim.redeem("organizations", &code, REDIRECT, VERIFIER).await,
        "invalid_grant",
        54005,
    )
    .await;
    // Unknown code.
    token_error(
        sim.redeem("organizations", "1.not-a-code", REDIRECT, VERIFIER)
            .await,
        "invalid_grant",
        70000,
    )
    .await;
    // A code of Contoso redeemed at another tenant's endpoint.
    let other = sim
        .http
        .post(sim.control("/tenants"))
        .json(&json!({"name": "Fabrikam", "users": 10}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _) = sim.sign_in(&contoso, ADMIN).await;
    token_error(
        sim.redeem(&other, &code, REDIRECT, VERIFIER).await,
        "invalid_grant",
        700005,
    )
    .await;
    // Client authentication as for client credentials.
    let res = sim
        .http
        .post(format!("{}/organizations/oauth2/v2.0/token", sim.login()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    let res = sim
        .http
        .post(format!("{}/organizations/oauth2/v2.0/token", sim.login()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    token_error(res, "invalid_request", 900144).await;
    // Client credentials are still refused at organizations.
    token_error(
        sim.token_response("organizations", SECRET).await,
        "invalid_tenant",
        90002,
    )
    .await;
}

#[actix_web::test]
async fn cancel_at_sign_in_redirects_with_access_denied() {
    let sim = spawn().await;
    let res = sim
        .sign_in_as(&sim.authorize_url("organizations"), ADMIN, "cancel")
        .await;
    assert_authorize_error(&sim, &res, "access_denied", 65004);
    assert!(res.headers().get("set-cookie").is_none());
}

#[actix_web::test]
async fn the_personal_account_signs_in_with_the_consumer_tid() {
    let sim = spawn().await;
    let (code, _) = sim.sign_in("organizations", PERSONAL_USER).await;
    let body: Value = sim
        .redeem("organizations", &code, REDIRECT, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let claims = sim
        .validate_id_token(body["id_token"].as_str().unwrap(), "n-789")
        .await;
    assert_eq!(claims["tid"], PERSONAL_TENANT);
    assert_eq!(
        claims["iss"],
        format!("{}/{PERSONAL_TENANT}/v2.0", sim.login())
    );
    assert_eq!(claims["preferred_username"], PERSONAL_USER);
    // The personal tenant is listed by the control API, marked, and cannot be consented for.
    let tenants = sim.tenants().await;
    assert_eq!(tenants[0]["name"], "Contoso");
    let personal = tenants.iter().find(|t| t["id"] == PERSONAL_TENANT).unwrap();
    assert_eq!(personal["kind"], "personal");
    assert_eq!(tenants[0]["kind"], "organization");
    let res = sim
        .http
        .put(sim.control(&format!("/tenants/{PERSONAL_TENANT}/consent")))
        .json(&json!({"granted": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[actix_web::test]
async fn sign_in_refusals() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // A user of another directory at a specific tenant: 50020 back to the app.
    let url = sim.authorize_url(&contoso);
    let res = sim.sign_in_as(&url, PERSONAL_USER, "accept").await;
    let q = assert_authorize_error(&sim, &res, "access_denied", 50020);
    assert!(param(&q, "error_description")
        .unwrap()
        .contains("User account 'alex.personal@outlook.com' from identity provider 'live.com' does not exist in tenant 'Contoso'"));
    // Unknown and disabled users: the page again with the error, no redirect.
    let res = sim
        .sign_in_as(&url, "nobody@contoso.onmicrosoft.com", "accept")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="error-code""#) && html.contains("AADSTS50034"));
    assert!(html.contains(r#"<select id="user" name="user">"#));

    let token = sim.connected_token(&contoso).await;
    let users: Value = sim
        .get(
            &token,
            &sim.graph("/v1.0/users?$select=userPrincipalName,accountEnabled&$top=999"),
        )
        .await
        .json()
        .await
        .unwrap();
    let disabled = users["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["accountEnabled"] == false)
        .expect("a disabled user in the seed")["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_string();
    let res = sim.sign_in_as(&url, &disabled, "accept").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("AADSTS50057"));
}

#[actix_web::test]
async fn authorize_request_errors() {
    let sim = spawn().await;
    // Before the redirect URI is trusted: error pages.
    for (overrides, code) in [
        (
            vec![("client_id", "99999999-0000-0000-0000-000000000000")],
            "AADSTS700016",
        ),
        (vec![("client_id", "")], "AADSTS900144"),
        (
            vec![("redirect_uri", "http://evil.example/cb")],
            "AADSTS50011",
        ),
    ] {
        let url = sim.authorize_url_with("organizations", &overrides);
        for post in [false, true] {
            let res = if post {
                sim.sign_in_as(&url, ADMIN, "accept").await
            } else {
                sim.http.get(&url).send().await.unwrap()
            };
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{code}");
            assert!(res.headers().get("location").is_none());
            assert!(res.text().await.unwrap().contains(code), "{code}");
        }
    }
    let res = sim
        .http
        .get(sim.authorize_url("nowhere.onmicrosoft.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("AADSTS90002"));
    // After: error redirects.
    for (overrides, error, code) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            700054,
        ),
        (vec![("response_type", "")], "invalid_request", 900144),
        (vec![("scope", "profile email")], "invalid_scope", 70011),
        (vec![("code_challenge", "")], "invalid_request", 900144),
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            501491,
        ),
        (
            vec![("code_challenge_method", "")],
            "invalid_request",
            501491,
        ),
        (vec![("code_challenge", "short")], "invalid_request", 501491),
    ] {
        let res = sim
            .http
            .get(sim.authorize_url_with("organizations", &overrides))
            .send()
            .await
            .unwrap();
        assert_authorize_error(&sim, &res, error, code);
    }
}

#[actix_web::test]
async fn prompt_none_uses_the_session() {
    let sim = spawn().await;
    let url = sim.authorize_url_with("organizations", &[("prompt", "none")]);
    let res = sim.http.get(&url).send().await.unwrap();
    assert_authorize_error(&sim, &res, "login_required", 50058);
    let (_, cookie) = sim.sign_in("organizations", ADMIN).await;
    let res = sim
        .http
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let code = param(&location_query(&res), "code").unwrap().to_string();
    let res = sim.redeem("organizations", &code, REDIRECT, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::OK);
    // With a session, the picker preselects the signed-in user.
    let html = sim
        .http
        .get(sim.authorize_url("organizations"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<option value="admin@contoso.onmicrosoft.com" selected>"#));
}

#[actix_web::test]
async fn openid_configuration_for_organizations_and_a_tenant() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let login = sim.login();
    let config: Value = sim
        .http
        .get(format!(
            "{login}/organizations/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["issuer"], format!("{login}/{{tenantid}}/v2.0"));
    assert_eq!(
        config["jwks_uri"],
        format!("{login}/organizations/discovery/v2.0/keys")
    );
    assert_eq!(
        config["authorization_endpoint"],
        format!("{login}/organizations/oauth2/v2.0/authorize")
    );
    assert_eq!(
        config["token_endpoint"],
        format!("{login}/organizations/oauth2/v2.0/token")
    );
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let jwks: Value = sim
        .http
        .get(config["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");

    for segment in [contoso.as_str(), "contoso.onmicrosoft.com"] {
        let config: Value = sim
            .http
            .get(format!(
                "{login}/{segment}/v2.0/.well-known/openid-configuration"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(config["issuer"], format!("{login}/{contoso}/v2.0"));
        assert_eq!(
            config["jwks_uri"],
            format!("{login}/{contoso}/discovery/v2.0/keys")
        );
        assert_eq!(
            config["authorization_endpoint"],
            format!("{login}/{contoso}/oauth2/v2.0/authorize")
        );
    }
    let res = sim
        .http
        .get(format!(
            "{login}/nowhere.example/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn only_openid_connect_scopes_are_granted() {
    let sim = spawn().await;
    let url = sim.authorize_url_with(
        "organizations",
        &[("scope", "openid email offline_access User.Read")],
    );
    let res = sim.sign_in_as(&url, ADMIN, "accept").await;
    let code = param(&location_query(&res), "code").unwrap().to_string();
    let body: Value = sim
        .redeem("organizations", &code, REDIRECT, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["scope"], "openid email");
    assert!(body.get("refresh_token").is_none());
    let claims = sim
        .validate_id_token(body["id_token"].as_str().unwrap(), "n-789")
        .await;
    // Without `profile`: no name, preferred_username or oid.
    assert_eq!(claims["email"], ADMIN);
    for claim in ["name", "preferred_username", "oid"] {
        assert!(claims.get(claim).is_none(), "{claim}");
    }
}
