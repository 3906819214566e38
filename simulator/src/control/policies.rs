//! Teams voice policies and LIS locations, made out of band of Graph (an admin in Teams
//! PowerShell: New-CsOnlineVoiceRoutingPolicy, New-CsOnlineLisLocation, a group policy
//! assignment), and the tenant's refused policy types. JSON, Graph's camelCase names.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{bad_request, error, parse, personal_tenant, unknown_tenant, unknown_user};
use crate::{
    policies::{GroupAssignment, LisLocation, Policy, PolicyType},
    state::Tenant,
    Simulator,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{id}/policies", web::get().to(list_policies))
        .route("/tenants/{id}/policies", web::post().to(create_policy))
        .route(
            "/tenants/{id}/policies/{policy}",
            web::delete().to(delete_policy),
        )
        .route("/tenants/{id}/locations", web::get().to(list_locations))
        .route("/tenants/{id}/locations", web::post().to(create_location))
        .route(
            "/tenants/{id}/locations/{location}",
            web::get().to(get_location),
        )
        .route(
            "/tenants/{id}/locations/{location}",
            web::delete().to(delete_location),
        )
        .route(
            "/tenants/{id}/refused-policy-types",
            web::get().to(get_refused),
        )
        .route(
            "/tenants/{id}/refused-policy-types",
            web::put().to(put_refused),
        )
        .route(
            "/tenants/{id}/users/{user}/policies",
            web::get().to(user_policies),
        )
        .route(
            "/tenants/{id}/users/{user}/group-policies",
            web::post().to(set_group_policy),
        )
        .route(
            "/tenants/{id}/users/{user}/group-policies/{type}",
            web::delete().to(remove_group_policy),
        );
}

fn policy_json(p: &Policy) -> Value {
    json!({"policyType": p.policy_type.as_str(), "name": p.name, "policyId": p.id})
}

fn location_json(l: &LisLocation) -> Value {
    json!({"locationId": l.id, "description": l.description})
}

fn policy_type(raw: &str) -> Result<PolicyType, Box<HttpResponse>> {
    PolicyType::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = PolicyType::ALL.iter().map(|t| t.as_str()).collect();
        Box::new(bad_request(format!(
            "policyType '{raw}' must be one of {}",
            known.join(", ")
        )))
    })
}

/// Runs `f` on the tenant (write lock); 404 for an unknown tenant, 409 for the personal one.
fn with_tenant(
    sim: &Simulator,
    id: &str,
    f: impl FnOnce(&mut Tenant) -> HttpResponse,
) -> HttpResponse {
    let mut world = sim.write();
    match world.tenant_mut(id) {
        None => unknown_tenant(id),
        Some(t) if t.personal => personal_tenant(),
        Some(t) => f(t),
    }
}

async fn list_policies(sim: web::Data<Simulator>, path: web::Path<String>) -> HttpResponse {
    let id = path.into_inner();
    match sim.read().tenant(&id) {
        None => unknown_tenant(&id),
        Some(t) => HttpResponse::Ok().json(t.policies.all().map(policy_json).collect::<Vec<_>>()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewPolicy {
    policy_type: String,
    name: String,
}

/// A policy name as Teams allows it: 1 to 64 characters, no control characters, not starting
/// with `Tag:` (the prefix of a policy's identity, which getPolicyId accepts).
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.chars().count() > 64 {
        Some("name must be 1 to 64 characters".into())
    } else if name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("tag:"))
    {
        Some("name must not start with Tag:".into())
    } else if name.chars().any(char::is_control) {
        Some("name must not hold control characters".into())
    } else {
        None
    }
}

async fn create_policy(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let new: NewPolicy = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let kind = match policy_type(&new.policy_type) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let name = new.name.trim().to_string();
    if let Some(problem) = name_problem(&name) {
        return bad_request(problem);
    }
    with_tenant(&sim, &path.into_inner(), |t| {
        if t.policies.by_name(kind, &name).is_some() {
            return error(
                StatusCode::CONFLICT,
                "conflict",
                format!("the tenant has a {} named '{name}'", kind.as_str()),
            );
        }
        let policy = Policy {
            policy_type: kind,
            name,
            id: crate::http::new_id(),
        };
        let body = policy_json(&policy);
        t.policies.policies.push(policy);
        HttpResponse::Created().json(body)
    })
}

async fn delete_policy(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, policy) = path.into_inner();
    with_tenant(&sim, &id, |t| {
        if t.policies
            .all()
            .any(|p| t.policies.is_global(p) && p.id.eq_ignore_ascii_case(&policy))
        {
            return error(
                StatusCode::CONFLICT,
                "global_policy",
                "the Global policy of a type cannot be removed",
            );
        }
        if t.policies.remove_policy(&policy) {
            HttpResponse::NoContent().finish()
        } else {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no policy '{policy}' in tenant '{id}'"),
            )
        }
    })
}

async fn list_locations(sim: web::Data<Simulator>, path: web::Path<String>) -> HttpResponse {
    let id = path.into_inner();
    match sim.read().tenant(&id) {
        None => unknown_tenant(&id),
        Some(t) => HttpResponse::Ok().json(
            t.policies
                .locations
                .iter()
                .map(location_json)
                .collect::<Vec<_>>(),
        ),
    }
}

fn unknown_location(tenant: &str, location: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no LIS location '{location}' in tenant '{tenant}'"),
    )
}

async fn get_location(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, location) = path.into_inner();
    let world = sim.read();
    let Some(t) = world.tenant(&id) else {
        return unknown_tenant(&id);
    };
    match t.policies.location(&location) {
        Some(l) => HttpResponse::Ok().json(location_json(l)),
        None => unknown_location(&id, &location),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewLocation {
    description: String,
    /// A GUID, as Teams' location ids are; generated when absent.
    #[serde(default)]
    location_id: Option<String>,
}

async fn create_location(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let new: NewLocation = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let description = new.description.trim().to_string();
    if description.is_empty() || description.chars().count() > 256 {
        return bad_request("description must be 1 to 256 characters");
    }
    let location_id = match new.location_id {
        None => crate::http::new_id(),
        Some(raw) => match uuid::Uuid::parse_str(raw.trim()) {
            Ok(u) => u.to_string(),
            Err(_) => return bad_request(format!("locationId '{raw}' is not a GUID")),
        },
    };
    with_tenant(&sim, &path.into_inner(), |t| {
        if t.policies.location(&location_id).is_some() {
            return error(
                StatusCode::CONFLICT,
                "conflict",
                format!("the tenant has a LIS location '{location_id}'"),
            );
        }
        let location = LisLocation {
            id: location_id,
            description,
        };
        let body = location_json(&location);
        t.policies.locations.push(location);
        HttpResponse::Created().json(body)
    })
}

/// A location a number uses cannot be removed (Remove-CsOnlineLisLocation refuses it).
async fn delete_location(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, location) = path.into_inner();
    with_tenant(&sim, &id, |t| {
        let Some(i) = t
            .policies
            .locations
            .iter()
            .position(|l| l.id.eq_ignore_ascii_case(&location))
        else {
            return unknown_location(&id, &location);
        };
        let lid = t.policies.locations[i].id.clone();
        if t.numbers
            .iter()
            .any(|n| n.location_id.as_deref() == Some(lid.as_str()))
        {
            return error(
                StatusCode::CONFLICT,
                "location_in_use",
                format!("the LIS location '{lid}' is on a telephone number"),
            );
        }
        t.policies.locations.remove(i);
        HttpResponse::NoContent().finish()
    })
}

fn refused_json(t: &Tenant) -> Value {
    json!(t
        .policies
        .refused
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>())
}

async fn get_refused(sim: web::Data<Simulator>, path: web::Path<String>) -> HttpResponse {
    let id = path.into_inner();
    match sim.read().tenant(&id) {
        None => unknown_tenant(&id),
        Some(t) => HttpResponse::Ok().json(refused_json(t)),
    }
}

/// Replaces the policy types `userAssignments/assign` refuses as not supported.
async fn put_refused(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let names: Vec<String> = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let mut refused = Vec::with_capacity(names.len());
    for name in &names {
        match policy_type(name) {
            Ok(t) if !refused.contains(&t) => refused.push(t),
            Ok(_) => {}
            Err(r) => return *r,
        }
    }
    with_tenant(&sim, &path.into_inner(), |t| {
        t.policies.refused = refused;
        HttpResponse::NoContent().finish()
    })
}

/// The user's direct assignments as made (Get-CsUserPolicyAssignment), whether or not Teams
/// shows them in `effectivePolicyAssignments` yet.
async fn user_policies(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, who) = path.into_inner();
    let world = sim.read();
    let Some(t) = world.tenant(&id) else {
        return unknown_tenant(&id);
    };
    let Some(u) = t.user(&who) else {
        return unknown_user(&id, &who);
    };
    HttpResponse::Ok().json(
        t.policies
            .direct_of(&u.id)
            .into_iter()
            .map(
                |p| json!({"policyType": p.policy_type.as_str(), "policyId": p.id, "name": p.name}),
            )
            .collect::<Vec<_>>(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GroupPolicy {
    policy_type: String,
    policy_id: String,
    group_id: String,
}

/// A policy the user inherits through a group (one per type: a later one replaces it).
async fn set_group_policy(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let g: GroupPolicy = match parse(&body) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let kind = match policy_type(&g.policy_type) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let group_id = g.group_id.trim().to_string();
    if group_id.is_empty() {
        return bad_request("groupId must not be empty");
    }
    let (id, who) = path.into_inner();
    with_tenant(&sim, &id, |t| {
        let Some(user_id) = t.user(&who).map(|u| u.id.clone()) else {
            return unknown_user(&id, &who);
        };
        let Some(policy_id) = t.policies.by_id(kind, &g.policy_id).map(|p| p.id.clone()) else {
            return bad_request(format!(
                "no {} with policyId '{}' in tenant '{id}'",
                kind.as_str(),
                g.policy_id
            ));
        };
        t.policies.set_group(
            &user_id,
            kind,
            Some(GroupAssignment {
                policy_id,
                group_id,
            }),
        );
        HttpResponse::NoContent().finish()
    })
}

async fn remove_group_policy(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (id, who, raw_type) = path.into_inner();
    let kind = match policy_type(&raw_type) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    with_tenant(&sim, &id, |t| {
        let Some(user_id) = t.user(&who).map(|u| u.id.clone()) else {
            return unknown_user(&id, &who);
        };
        t.policies.set_group(&user_id, kind, None);
        HttpResponse::NoContent().finish()
    })
}
