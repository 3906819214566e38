//! `organization`, `tenantRelationships/findTenantInformationByTenantId(...)`,
//! `servicePrincipals(appId='...')`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{
    auth::{authorize, Need},
    call_argument,
    errors::GraphError,
    not_found, paging,
};
use crate::Simulator;

pub async fn organization(
    req: HttpRequest,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::Organization).await?;
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "organization"),
        "value": [{
            "id": t.id,
            "displayName": t.name,
            "countryLetterCode": t.country,
            "tenantType": "AAD",
            "createdDateTime": t.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "verifiedDomains": [{
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": true,
                "isInitial": true,
                "name": t.domain,
                "type": "Managed",
            }],
        }]
    })))
}

pub async fn tenant_information(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let Some(tenant_id) = call_argument(&path, "findTenantInformationByTenantId", "tenantId")
    else {
        return Ok(not_found(req).await);
    };
    authorize(&req, &sim, Need::CrossTenantInformation).await?;
    let world = sim.read();
    // Lookup by id only (the function takes a tenant id).
    let t = world
        .tenants
        .iter()
        .find(|t| t.id.eq_ignore_ascii_case(&tenant_id))
        .ok_or_else(|| GraphError::not_found(&req, &tenant_id))?;
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "microsoft.graph.tenantInformation"),
        "tenantId": t.id,
        "federationBrandName": null,
        "displayName": t.name,
        "defaultDomainName": t.domain,
    })))
}

pub async fn service_principal(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let Some(app_id) = call_argument(&path, "servicePrincipals", "appId") else {
        return Ok(not_found(req).await);
    };
    let claims = authorize(&req, &sim, Need::ServicePrincipals).await?;
    let world = sim.read();
    let sp = world
        .tenant(&claims.tid)
        .and_then(|t| t.service_principal.as_ref())
        .filter(|sp| sp.app_id.eq_ignore_ascii_case(&app_id))
        .ok_or_else(|| {
            GraphError::not_found(&req, &format!("servicePrincipals(appId='{app_id}')"))
        })?;
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "servicePrincipals/$entity"),
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "accountEnabled": true,
        "appRoleAssignmentRequired": false,
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "createdDateTime": sp.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    })))
}
