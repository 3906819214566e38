use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

async fn identity_error(res: reqwest::Response, status: StatusCode, error: &str, code: u64) {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&format!("AADSTS{code}: ")));
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field} missing");
    }
}

#[actix_web::test]
async fn token_carries_the_documented_claims() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.grant(&contoso, true).await;
    let res = sim.token_response("contoso.onmicrosoft.com", SECRET).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();
    let claims = sim.verify(&contoso, token).await;
    let sp = sim.tenant(&contoso).await["service_principal"].clone();
    assert_eq!(claims["tid"], contoso.as_str());
    assert_eq!(claims["oid"], sp["id"]);
    assert_eq!(claims["appid"], CLIENT_ID);
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{contoso}/"));
    assert_eq!(
        claims["roles"],
        serde_json::json!([
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All",
            "User.Read.All",
            "TeamsTelephoneNumber.ReadWrite.All",
            "TeamsUserConfiguration.Read.All",
            "TeamsPolicyUserAssign.ReadWrite.All"
        ])
    );
    // Only the implicit role every app token carries.
    assert_eq!(claims["wids"], serde_json::json!([IMPLICIT_APP_ROLE]));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3599);
}

#[actix_web::test]
async fn token_errors_follow_the_identity_platform() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    // Before consent: no service principal.
    identity_error(
        sim.token_response(&contoso, SECRET).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
    )
    .await;
    sim.grant(&contoso, true).await;
    identity_error(
        sim.token_response(&contoso, "wrong").await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
    )
    .await;
    identity_error(
        sim.token_response("nowhere.onmicrosoft.com", SECRET).await,
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
    )
    .await;
    let res = sim
        .http
        .post(format!("{}/{contoso}/oauth2/v2.0/token", sim.login()))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/User.Read"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    identity_error(res, StatusCode::BAD_REQUEST, "invalid_scope", 70011).await;
    // Revoking consent: 700016 again.
    assert_eq!(
        sim.token_response(&contoso, SECRET).await.status(),
        StatusCode::OK
    );
    sim.grant(&contoso, false).await;
    identity_error(
        sim.token_response(&contoso, SECRET).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
    )
    .await;
}

#[actix_web::test]
async fn role_assignment_shows_in_wids() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    assert_eq!(
        sim.set_role(&contoso, true).await.status(),
        StatusCode::CONFLICT
    );
    sim.grant(&contoso, true).await;
    assert_eq!(sim.set_role(&contoso, true).await.status(), StatusCode::OK);
    let claims = sim.verify(&contoso, &sim.app_token(&contoso).await).await;
    assert_eq!(claims["wids"], serde_json::json!([TCA, IMPLICIT_APP_ROLE]));
    let t = sim.tenant(&contoso).await;
    assert_eq!(
        t["service_principal"]["directory_roles"],
        serde_json::json!([TCA])
    );
    assert_eq!(sim.set_role(&contoso, false).await.status(), StatusCode::OK);
    let claims = sim.verify(&contoso, &sim.app_token(&contoso).await).await;
    assert_eq!(claims["wids"], serde_json::json!([IMPLICIT_APP_ROLE]));
}
