//! Teams policy assignment (TELEPHONY.md section 8): `admin/teams/policy/getPolicyId(type=,name=)`
//! and `admin/teams/policy/userAssignments/assign` and `/unassign`, all on
//! TeamsPolicyUserAssign.ReadWrite.All. Which policy types Graph accepts is undocumented: the
//! simulator accepts the five voice types it models, except those a tenant is set to refuse
//! (`PUT /_microsoft/control/tenants/{id}/refused-policy-types`), which answer 400 "not
//! supported" as any other type does.

use std::time::Instant;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    auth::{authorize, Need},
    errors::GraphError,
    not_found, paging, NAMESPACE,
};
use crate::{http, policies::PolicyType, state::Tenant, Simulator};

fn bad_request(req: &HttpRequest, message: impl Into<String>) -> GraphError {
    GraphError::new(req, StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn unsupported_type(req: &HttpRequest, t: &str) -> GraphError {
    bad_request(req, format!("Policy type '{t}' is not supported."))
}

/// The Teams back end's 404 for a route it does not have: `UnknownError` wrapping its own error
/// as a string (TELEPHONY.md correction 1, seen).
fn unknown_route(req: &HttpRequest) -> GraphError {
    GraphError::new(
        req,
        StatusCode::NOT_FOUND,
        "UnknownError",
        r#"{"code":"NotFound","message":"Resource not found.","action":null}"#,
    )
}

/// `getPolicyId(type='…',name='…')` (or with the namespace): the arguments by name. Values are
/// OData strings: quoted, `''` for a quote.
fn policy_id_arguments(segment: &str) -> Option<Vec<(String, String)>> {
    let decoded = http::decode_path(segment);
    let call = decoded.strip_prefix(NAMESPACE).unwrap_or(&decoded);
    let mut rest = call
        .strip_prefix("getPolicyId(")?
        .strip_suffix(')')?
        .trim_start();
    let mut args = Vec::new();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let mut chars = after.trim_start().strip_prefix('\'')?.char_indices();
        let mut value = String::new();
        let end = loop {
            let (i, c) = chars.next()?;
            if c != '\'' {
                value.push(c);
                continue;
            }
            match chars.clone().next() {
                Some((_, '\'')) => {
                    chars.next();
                    value.push('\'');
                }
                _ => break i,
            }
        };
        let quoted = after.trim_start();
        args.push((key.trim().to_string(), value));
        rest = quoted[1 + end + 1..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(args)
}

/// `GET admin/teams/policy/{segment}`: getPolicyId; `userAssignments` has no list method.
pub async fn get(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let segment = path.into_inner();
    if segment == "userAssignments" {
        authorize(&req, &sim, Need::Policies).await?;
        return Err(unknown_route(&req));
    }
    let Some(args) = policy_id_arguments(&segment) else {
        return Ok(not_found(req).await);
    };
    let claims = authorize(&req, &sim, Need::Policies).await?;
    let arg = |name: &str| {
        args.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let (Some(type_name), Some(name)) = (arg("type"), arg("name")) else {
        return Err(bad_request(
            &req,
            "The parameters 'type' and 'name' are required.",
        ));
    };
    // A refused type is still looked up: only assignment refuses it.
    let policy_type =
        PolicyType::parse(type_name).ok_or_else(|| unsupported_type(&req, type_name))?;
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    // An unknown name: an empty collection (the client also accepts a 404).
    let value: Vec<Value> = t
        .policies
        .by_name(policy_type, name)
        .map(|p| json!({"name": p.name, "policyId": p.id}))
        .into_iter()
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "Collection(microsoft.graph.teamsAdministration.policyIdentifierDetail)"),
        "value": value,
    })))
}

#[derive(Deserialize)]
struct Batch {
    value: Option<Vec<Item>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    user_id: Option<String>,
    policy_type: Option<String>,
    policy_id: Option<String>,
}

/// One checked item: (user id, type, policy id for an assignment).
type Checked = (String, PolicyType, Option<String>);

/// Checks one item against the tenant: the type first (not supported), then the user (404),
/// then the policy (400).
fn check(req: &HttpRequest, t: &Tenant, item: Item, assign: bool) -> Result<Checked, GraphError> {
    let required = |v: Option<String>, name: &str| {
        v.filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad_request(req, format!("The {name} parameter is required.")))
    };
    let user_id = required(item.user_id, "userId")?;
    let type_name = required(item.policy_type, "policyType")?;
    let policy_id = if assign {
        Some(required(item.policy_id, "policyId")?)
    } else {
        None
    };
    let policy_type = PolicyType::parse(&type_name)
        .filter(|pt| !t.policies.refused.contains(pt))
        .ok_or_else(|| unsupported_type(req, &type_name))?;
    let user = t
        .by_id
        .get(&user_id.trim().to_ascii_lowercase())
        .map(|&i| t.users[i].id.clone())
        .ok_or_else(|| {
            GraphError::new(
                req,
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("User '{user_id}' was not found."),
            )
        })?;
    let policy_id = match policy_id {
        None => None,
        Some(id) => Some(
            t.policies
                .by_id(policy_type, &id)
                .map(|p| p.id.clone())
                .ok_or_else(|| {
                    bad_request(
                        req,
                        format!(
                            "Policy '{id}' of type '{}' was not found.",
                            policy_type.as_str()
                        ),
                    )
                })?,
        ),
    };
    Ok((user, policy_type, policy_id))
}

pub async fn assign(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    change(req, sim, body, true).await
}

pub async fn unassign(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    change(req, sim, body, false).await
}

/// assign / unassign: every item is checked before any is applied (a refused batch changes
/// nothing); the changes show in `effectivePolicyAssignments` after `policy_delay_ms`.
async fn change(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
    assign: bool,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::Policies).await?;
    let batch: Batch = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&req, format!("Invalid request body: {e}")))?;
    let items = batch
        .value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request(&req, "The value parameter is required."))?;
    let now = Instant::now();
    let visible_at = now + sim.policy_delay();
    let mut world = sim.write();
    let t = world
        .tenant_mut(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let checked = items
        .into_iter()
        .map(|item| check(&req, t, item, assign))
        .collect::<Result<Vec<Checked>, GraphError>>()?;
    for (user, policy_type, policy_id) in checked {
        t.policies.compact(&user, now);
        t.policies
            .set_direct(&user, policy_type, policy_id, visible_at);
    }
    tracing::info!(tenant = %claims.tid, assign, "policy assignments changed");
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::policy_id_arguments;

    #[test]
    fn parses_get_policy_id_calls() {
        let args = |s: &str| policy_id_arguments(s);
        assert_eq!(
            args("getPolicyId(type='OnlineVoiceRoutingPolicy',name='US-Route')"),
            Some(vec![
                ("type".into(), "OnlineVoiceRoutingPolicy".into()),
                ("name".into(), "US-Route".into())
            ])
        );
        assert_eq!(
            args("microsoft.graph.teamsAdministration.getPolicyId(type=%27A%27,%20name=%27O%27%27Brien,%20x%27)"),
            Some(vec![
                ("type".into(), "A".into()),
                ("name".into(), "O'Brien, x".into())
            ])
        );
        assert_eq!(args("getPolicyId(type='A'"), None);
        assert_eq!(args("getPolicyId(type='A' name='B')"), None);
        assert_eq!(args("getPolicyId(type=A)"), None);
        assert_eq!(args("getPolicyId()"), Some(vec![]));
    }
}
