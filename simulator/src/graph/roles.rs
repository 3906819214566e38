//! `roleManagement/directory/roleAssignments`: list (with `$filter`), create, get, delete. Called
//! by a simulated admin with a delegated token (or an app holding RoleManagement permissions).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    auth::{authorize, Need},
    eq_filter,
    errors::GraphError,
    paging,
};
use crate::{
    http,
    state::{role_name, RoleAssignment},
    Simulator,
};

fn assignment_json(a: &RoleAssignment) -> Value {
    json!({
        "id": a.id,
        "principalId": a.principal_id,
        "roleDefinitionId": a.role_definition_id,
        "directoryScopeId": "/",
    })
}

pub async fn list(req: HttpRequest, sim: web::Data<Simulator>) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::RoleAssignmentsRead).await?;
    let pairs = http::query_pairs(&req);
    let filter = match http::query_get(&pairs, "$filter") {
        None => Vec::new(),
        Some(raw) => eq_filter(raw)
            .filter(|c| {
                c.iter().all(|(f, _)| {
                    f == "principalId" || f == "roleDefinitionId" || f == "directoryScopeId"
                })
            })
            .ok_or_else(|| {
                GraphError::bad_request(&req, format!("Invalid filter clause: {raw}"))
            })?,
    };
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let value: Vec<Value> = t
        .role_assignments
        .iter()
        .filter(|a| {
            filter.iter().all(|(f, v)| match f.as_str() {
                "principalId" => a.principal_id.eq_ignore_ascii_case(v),
                "roleDefinitionId" => a.role_definition_id.eq_ignore_ascii_case(v),
                _ => v == "/",
            })
        })
        .map(assignment_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "roleManagement/directory/roleAssignments"),
        "value": value,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewAssignment {
    principal_id: String,
    role_definition_id: String,
    #[serde(default)]
    directory_scope_id: Option<String>,
}

pub async fn create(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::RoleAssignmentsWrite).await?;
    let new: NewAssignment = serde_json::from_slice(&body)
        .map_err(|e| GraphError::bad_request(&req, format!("Invalid request body: {e}")))?;
    if new.directory_scope_id.as_deref().unwrap_or("/") != "/" {
        return Err(GraphError::bad_request(
            &req,
            "The simulator supports only the tenant-wide directoryScopeId '/'.",
        ));
    }
    let Some(role) = role_name(&new.role_definition_id) else {
        return Err(GraphError::not_found(&req, &new.role_definition_id));
    };
    let mut world = sim.write();
    let t = world
        .tenant_mut(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let principal = new.principal_id.to_ascii_lowercase();
    let exists = t.by_id.contains_key(&principal)
        || t.service_principal
            .as_ref()
            .is_some_and(|sp| sp.id == principal);
    if !exists {
        return Err(GraphError::bad_request(
            &req,
            "Invalid value specified for property 'principalId' of resource 'UnifiedRoleAssignment'.",
        ));
    }
    let role_id = new.role_definition_id.to_ascii_lowercase();
    if t.roles_of(&principal).contains(&role_id) {
        return Err(GraphError::bad_request(
            &req,
            "A conflicting object with one or more of the specified property values is present in the directory.",
        ));
    }
    let a = t.assign_role(&principal, &role_id);
    tracing::info!(tenant = %t.id, role, "directory role assigned through Graph");
    let mut body = assignment_json(&a);
    if let Value::Object(o) = &mut body {
        o.insert(
            "@odata.context".into(),
            json!(paging::context(
                &req,
                "roleManagement/directory/roleAssignments/$entity"
            )),
        );
    }
    Ok(HttpResponse::Created().json(body))
}

pub async fn get(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::RoleAssignmentsRead).await?;
    let id = path.into_inner();
    let world = sim.read();
    let a = world
        .tenant(&claims.tid)
        .and_then(|t| t.role_assignments.iter().find(|a| a.id == id))
        .ok_or_else(|| GraphError::not_found(&req, &id))?;
    Ok(HttpResponse::Ok().json(assignment_json(a)))
}

pub async fn delete(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::RoleAssignmentsWrite).await?;
    let id = path.into_inner();
    let mut world = sim.write();
    let t = world
        .tenant_mut(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let before = t.role_assignments.len();
    t.role_assignments.retain(|a| a.id != id);
    if before == t.role_assignments.len() {
        return Err(GraphError::not_found(&req, &id));
    }
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
