use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[actix_web::test]
async fn missing_or_bad_token_is_401() {
    let sim = spawn().await;
    let res = sim.http.get(sim.graph("/v1.0/users")).send().await.unwrap();
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        graph_error(res).await,
        (
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken".into()
        )
    );
    let res = sim.get("not.a.jwt", &sim.graph("/v1.0/organization")).await;
    assert_eq!(
        graph_error(res).await,
        (
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken".into()
        )
    );
}

#[actix_web::test]
async fn expired_token_is_401() {
    let mut config = config();
    config.token_lifetime = Duration::from_secs(1);
    let sim = spawn_with(config).await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
    let url = sim.graph("/v1.0/users?$top=1");
    assert_eq!(sim.get(&token, &url).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = sim.get(&token, &url).await;
    assert_eq!(
        graph_error(res).await,
        (
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken".into()
        )
    );
}

#[actix_web::test]
async fn the_five_default_permissions_work_without_the_role() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.grant(&contoso, true).await;
    let token = sim.app_token(&contoso).await;
    // Application permissions alone open the calls the product makes.
    for path in [
        "/v1.0/users?$top=1",
        "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments",
        "/v1.0/admin/teams/userConfigurations?$top=1",
    ] {
        let res = sim.get(&token, &sim.graph(path)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    // Calls needing permissions outside the five are refused.
    for path in [
        "/v1.0/organization".to_string(),
        format!("/v1.0/servicePrincipals(appId='{CLIENT_ID}')"),
        format!(
            "/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{contoso}'"
        ),
    ] {
        let res = sim.get(&token, &sim.graph(&path)).await;
        assert_eq!(
            graph_error(res).await,
            (StatusCode::FORBIDDEN, "Authorization_RequestDenied".into()),
            "{path}"
        );
    }
    let res = sim
        .get(
            &token,
            &sim.graph(&format!(
                "/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{contoso}')"
            )),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["tenantId"], contoso.as_str());
    assert_eq!(body["displayName"], "Contoso");
    assert_eq!(body["defaultDomainName"], "contoso.onmicrosoft.com");
    assert!(body.get("federationBrandName").is_some());

    let res = sim
        .get(
            &token,
            &sim.graph("/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='00000000-0000-0000-0000-000000000001')"),
        )
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound".into())
    );
}

#[actix_web::test]
async fn directory_calls_work_with_their_permissions() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let res = sim
        .grant_permissions(&contoso, &["Organization.Read.All", "Application.Read.All"])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = sim.app_token(&contoso).await;
    let org: Value = sim
        .get(&token, &sim.graph("/v1.0/organization"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["value"][0]["id"], contoso.as_str());
    assert_eq!(org["value"][0]["displayName"], "Contoso");
    assert_eq!(
        org["value"][0]["verifiedDomains"][0]["name"],
        "contoso.onmicrosoft.com"
    );
    let res = sim
        .get(
            &token,
            &sim.graph(&format!("/v1.0/servicePrincipals(appId='{CLIENT_ID}')")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let sp: Value = res.json().await.unwrap();
    assert_eq!(sp["appId"], CLIENT_ID);
    assert_eq!(sp["displayName"], "Tenant Connect");
    let res = sim
        .get(
            &token,
            &sim.graph("/v1.0/servicePrincipals(appId='00000000-1111-2222-3333-444444444444')"),
        )
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::NOT_FOUND, "Request_ResourceNotFound".into())
    );
}
