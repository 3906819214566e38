use reqwest::StatusCode;

use crate::support::*;

/// Checks an admin-consent error redirect's shape (CONTRACT section 1): `error`, an AADSTS
/// description with trace lines, `error_uri`, `admin_consent=True`, `state`, and no `tenant`.
fn assert_consent_error(
    sim: &TestSim,
    res: &reqwest::Response,
    error: &str,
    code: u32,
) -> Vec<(String, String)> {
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?error=")),
        "{location}"
    );
    let q = location_query(res);
    assert_eq!(param(&q, "error"), Some(error));
    let description = param(&q, "error_description").unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "));
    assert!(description.contains("\r\nCorrelation ID: "));
    assert_eq!(
        param(&q, "error_uri").map(str::to_string),
        Some(format!("{}/error?code={code}", sim.login()))
    );
    assert_eq!(param(&q, "admin_consent"), Some("True"));
    assert_eq!(param(&q, "state"), Some("st-123"));
    assert_eq!(param(&q, "tenant"), None);
    q
}

#[actix_web::test]
async fn page_lists_users_and_buttons() {
    let sim = spawn().await;
    let res = sim
        .http
        .get(sim.consent_url("organizations", REDIRECT, CLIENT_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    for needle in [
        r#"<select id="user" name="user">"#,
        r#"<button type="submit" id="accept" name="action" value="accept">Accept</button>"#,
        r#"<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>"#,
        r#"value="admin@contoso.onmicrosoft.com""#,
        "Adele Vance (admin@contoso.onmicrosoft.com) — Global Administrator",
        "Privileged Role Administrator",
        "— User</option>",
        "Contoso (contoso.onmicrosoft.com)",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
}

#[actix_web::test]
async fn accept_by_an_admin_creates_the_service_principal_and_redirects() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    for (tenant, user) in [
        ("organizations", "admin@contoso.onmicrosoft.com"),
        (contoso.as_str(), "pra@contoso.onmicrosoft.com"),
        ("contoso.onmicrosoft.com", "PRA@contoso.onmicrosoft.com"),
    ] {
        let res = sim.consent_as(tenant, user, "accept").await;
        assert_eq!(res.status(), StatusCode::FOUND, "{tenant} {user}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(&format!("{REDIRECT}?admin_consent=True&tenant=")));
        let q = location_query(&res);
        assert_eq!(param(&q, "admin_consent"), Some("True"));
        assert_eq!(param(&q, "tenant"), Some(contoso.as_str()));
        assert_eq!(param(&q, "scope"), Some(GRAPH_SCOPE));
        assert_eq!(param(&q, "state"), Some("st-123"));
        assert_eq!(param(&q, "error"), None);
    }
    let t = sim.tenant(&contoso).await;
    assert_eq!(t["service_principal"]["app_id"], CLIENT_ID);
    assert_eq!(t["service_principal"]["display_name"], "Tenant Connect");
    let roles = t["service_principal"]["roles"].as_array().unwrap();
    assert!(roles
        .iter()
        .any(|r| r == "CrossTenantInformation.ReadBasic.All"));
}

#[actix_web::test]
async fn reconsent_keeps_the_service_principal() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.consent_as(&contoso, "admin@contoso.onmicrosoft.com", "accept")
        .await;
    let first = sim.tenant(&contoso).await["service_principal"]["id"].clone();
    sim.consent_as(&contoso, "admin@contoso.onmicrosoft.com", "accept")
        .await;
    assert_eq!(sim.tenant(&contoso).await["service_principal"]["id"], first);
}

#[actix_web::test]
async fn cancel_redirects_with_access_denied() {
    let sim = spawn().await;
    let res = sim
        .consent_as("organizations", "admin@contoso.onmicrosoft.com", "cancel")
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let q = assert_consent_error(&sim, &res, "access_denied", 65004);
    assert_eq!(param(&q, "error_subcode"), None);
    assert!(sim.tenants().await[0]["service_principal"].is_null());
}

#[actix_web::test]
async fn an_ordinary_user_needs_admin_approval_then_back_to_app() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let user = sim.tenant(&contoso).await["sample_users"][0]["upn"]
        .as_str()
        .unwrap()
        .to_string();
    let res = sim.consent_as("organizations", &user, "accept").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("location").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Need admin approval</h1>"));
    assert!(html.contains("AADSTS90094"));
    assert!(html.contains(r#"id="back-to-app""#));
    assert!(sim.tenant(&contoso).await["service_principal"].is_null());

    // "Back to app" carries the page's own code, which tells it apart from a cancel.
    let res = sim.consent_as("organizations", &user, "back").await;
    let q = assert_consent_error(&sim, &res, "access_denied", 90094);
    assert_eq!(param(&q, "error_subcode"), Some("cancel"));
    assert!(param(&q, "error_description")
        .unwrap()
        .starts_with("AADSTS90094: Admin consent is required"));
}

#[actix_web::test]
async fn error_pages_do_not_redirect() {
    let sim = spawn().await;
    let cases = [
        (
            sim.consent_url("organizations", "http://evil.example/cb", CLIENT_ID),
            "AADSTS50011",
        ),
        (
            sim.consent_url(
                "organizations",
                REDIRECT,
                "99999999-0000-0000-0000-000000000000",
            ),
            "AADSTS700016",
        ),
        (
            sim.consent_url("nowhere.onmicrosoft.com", REDIRECT, CLIENT_ID),
            "AADSTS90002",
        ),
    ];
    for (url, code) in cases {
        for post in [false, true] {
            let req = if post {
                sim.http.post(&url).form(&[
                    ("user", "admin@contoso.onmicrosoft.com"),
                    ("action", "accept"),
                ])
            } else {
                sim.http.get(&url)
            };
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{code}");
            assert!(res.headers().get("location").is_none());
            let html = res.text().await.unwrap();
            assert!(html.contains(code), "{code} not in page");
        }
    }
    assert!(sim.tenants().await[0]["service_principal"].is_null());
}

#[actix_web::test]
async fn html_is_escaped() {
    let mut config = config();
    config.app.display_name = "<script>alert(1)</script>".into();
    let sim = spawn_with(config).await;
    let html = sim
        .http
        .get(sim.consent_url("organizations", REDIRECT, CLIENT_ID))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;"));
}

#[actix_web::test]
async fn a_user_of_another_directory_or_a_personal_account_gets_50020() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let res = sim
        .http
        .post(sim.control("/tenants"))
        .json(&serde_json::json!({"name": "Fabrikam", "users": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = sim
        .consent_as(&contoso, "admin@fabrikam.onmicrosoft.com", "accept")
        .await;
    let q = assert_consent_error(&sim, &res, "access_denied", 50020);
    let description = param(&q, "error_description").unwrap();
    assert!(description.contains("User account 'admin@fabrikam.onmicrosoft.com' from identity provider 'https://sts.windows.net/"), "{description}");
    assert!(description.contains("does not exist in tenant 'Contoso'"));
    // The personal account can consent nowhere, not even at organizations.
    for tenant in [contoso.as_str(), "organizations"] {
        let res = sim.consent_as(tenant, PERSONAL_USER, "accept").await;
        let q = assert_consent_error(&sim, &res, "access_denied", 50020);
        assert!(param(&q, "error_description")
            .unwrap()
            .contains("from identity provider 'live.com'"));
    }
    for t in sim.tenants().await {
        assert!(t["service_principal"].is_null(), "{}", t["name"]);
    }
    // A UPN that exists nowhere stays an error page.
    let res = sim
        .consent_as(&contoso, "nobody@contoso.onmicrosoft.com", "accept")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("AADSTS50034"));
}

#[actix_web::test]
async fn after_sign_in_the_page_shows_who_is_signed_in() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let (_, cookie) = sim
        .sign_in("organizations", "admin@contoso.onmicrosoft.com")
        .await;
    let url = sim.consent_url(&contoso, REDIRECT, CLIENT_ID);
    let html = sim
        .http
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"Signed in as <span id="signed-in">Adele Vance (admin@contoso.onmicrosoft.com)</span>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<input type="hidden" name="user" value="admin@contoso.onmicrosoft.com">"#)
    );
    assert!(!html.contains(r#"<select id="user""#));
    assert!(html.contains(r#"id="use-another-account""#));
    assert!(html.contains(r#"id="accept""#));
    // "Use another account" shows the picker, the signed-in user preselected.
    let html = sim
        .http
        .get(format!("{url}&prompt=select_account"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<select id="user" name="user">"#));
    assert!(html.contains(r#"<option value="admin@contoso.onmicrosoft.com" selected>"#));
    // The same session at another tenant's consent URL: the picker.
    let other = sim
        .http
        .post(sim.control("/tenants"))
        .json(&serde_json::json!({"name": "Fabrikam", "users": 10}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let html = sim
        .http
        .get(sim.consent_url(&other, REDIRECT, CLIENT_ID))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<select id="user" name="user">"#));
    assert!(!html.contains("Contoso (contoso.onmicrosoft.com)"));
    // Accept with the cookie alone (no posted user) consents as the signed-in admin.
    let res = sim
        .http
        .post(&url)
        .header("Cookie", &cookie)
        .form(&[("action", "accept")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let q = location_query(&res);
    assert_eq!(param(&q, "admin_consent"), Some("True"));
    assert_eq!(param(&q, "tenant"), Some(contoso.as_str()));
    assert!(!sim.tenant(&contoso).await["service_principal"].is_null());
    // Without the cookie the page is the picker, as before.
    let html = sim
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<select id="user" name="user">"#));
    assert!(!html.contains(r#"id="signed-in""#));
}

#[actix_web::test]
async fn the_organizations_picker_lists_the_personal_account_last() {
    let sim = spawn().await;
    let html = sim
        .http
        .get(sim.consent_url("organizations", REDIRECT, CLIENT_ID))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let contoso = html.find("Contoso (contoso.onmicrosoft.com)").unwrap();
    let personal = html.find("Personal Microsoft accounts").unwrap();
    assert!(contoso < personal);
    assert!(html.contains(r#"value="alex.personal@outlook.com""#));
}
