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
async fn without_the_role_only_tenant_information_is_allowed() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.grant(&contoso, true).await;
    let token = sim.app_token(&contoso).await;
    for path in [
        "/v1.0/users".to_string(),
        "/v1.0/organization".to_string(),
        format!("/v1.0/servicePrincipals(appId='{CLIENT_ID}')"),
        "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments".to_string(),
        "/v1.0/admin/teams/userConfigurations".to_string(),
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
async fn with_the_role_directory_calls_work() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    let token = sim.connected_token(&contoso).await;
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
