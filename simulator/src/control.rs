//! The control API for tests and the demo, under `/_microsoft/control/` (not part of Microsoft's
//! surface; JSON in and out, bad input answers 400 with `{"error","message"}`).

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use chrono::Utc;

mod policies;

use crate::{
    config::{domain_label, TenantSeed},
    faults::Fault,
    graph, http, identity, seed,
    state::{
        can_grant_consent, role_name, Activation, AssignError, NumberAssignment, NumberType,
        TargetKind, Tenant, User, TEAMS_COMMUNICATIONS_ADMINISTRATOR, TEAMS_PHONE_SKU,
    },
    Simulator,
};

/// Largest tenant the control API creates.
/// Largest tenant the control API creates: the benchmarks' 100,000, and no more (the control
/// API has no authentication; it must not be a way to exhaust the server's memory).
const MAX_USERS: usize = 100_000;
/// Ordinary users shown per tenant (the full directory is read through Graph).
const SAMPLE_USERS: usize = 5;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(list_tenants))
        .route("/tenants", web::post().to(create_tenant))
        .route("/tenants/{id}", web::get().to(get_tenant))
        .route(
            "/tenants/{id}/directory-role",
            web::put().to(directory_role),
        )
        .route("/tenants/{id}/consent", web::put().to(consent))
        .route(
            "/tenants/{id}/users/{upn}/token",
            web::post().to(user_token),
        )
        .route("/tenants/{id}/users", web::post().to(create_user))
        .route("/tenants/{id}/users/{user}", web::patch().to(update_user))
        .route("/tenants/{id}/users/{user}", web::delete().to(delete_user))
        .route(
            "/tenants/{id}/number-assignments",
            web::post().to(assign_number),
        )
        .route(
            "/tenants/{id}/number-assignments/{number}",
            web::delete().to(unassign_number),
        )
        .configure(policies::routes)
        .route("/settings", web::get().to(get_settings))
        .route("/settings", web::put().to(put_settings))
        .route("/faults", web::get().to(list_faults))
        .route("/faults", web::put().to(put_faults))
        .route("/faults", web::delete().to(clear_faults));
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": code, "message": message.into()}))
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn unknown_tenant(id: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no tenant '{id}'"),
    )
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(bad_request(format!("invalid JSON body: {e}"))))
}

/// A tenant for the control API: ids, names, our service principal, the admins and a few sample
/// ordinary users (not all users: a tenant may hold 100,000; read them through Graph).
fn tenant_json(t: &Tenant) -> Value {
    let sp = t.service_principal.as_ref().map(|sp| {
        json!({
            "id": sp.id,
            "app_id": sp.app_id,
            "display_name": sp.display_name,
            "roles": sp.roles,
            "directory_roles": t.roles_of(&sp.id),
        })
    });
    let mut admins = Vec::new();
    let mut sample = Vec::new();
    for u in &t.users {
        let roles: Vec<&str> = t
            .roles_of(&u.id)
            .iter()
            .filter_map(|r| role_name(r))
            .collect();
        let entry = json!({
            "id": u.id,
            "upn": u.upn,
            "display_name": u.display_name,
            "roles": roles,
            "can_grant_consent": can_grant_consent(&t.roles_of(&u.id)),
            "usage_location": u.usage_location,
            "teams_phone_licensed": u.has_teams_phone(),
            "account_enabled": u.account_enabled,
        });
        if !roles.is_empty() {
            admins.push(entry);
        } else if sample.len() < SAMPLE_USERS && u.account_enabled {
            sample.push(entry);
        }
        if admins.len() >= 2 && sample.len() >= SAMPLE_USERS {
            break;
        }
    }
    json!({
        "id": t.id,
        "name": t.name,
        "domain": t.domain,
        "kind": if t.personal { "personal" } else { "organization" },
        "service_principal": sp,
        "users_count": t.users.len(),
        "admins": admins,
        "sample_users": sample,
        "numbers_count": t.numbers.len(),
    })
}

async fn list_tenants(sim: web::Data<Simulator>) -> HttpResponse {
    let ids: Vec<String> = sim.read().tenants.iter().map(|t| t.id.clone()).collect();
    for id in &ids {
        sim.settle(id);
    }
    let world = sim.read();
    HttpResponse::Ok().json(world.tenants.iter().map(tenant_json).collect::<Vec<_>>())
}

async fn get_tenant(sim: web::Data<Simulator>, path: web::Path<String>) -> HttpResponse {
    let id = path.into_inner();
    sim.settle(&id);
    match sim.read().tenant(&id) {
        Some(t) => HttpResponse::Ok().json(tenant_json(t)),
        None => unknown_tenant(&id),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    users: Option<usize>,
}

async fn create_tenant(sim: web::Data<Simulator>, body: web::Bytes) -> HttpResponse {
    let new: NewTenant = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return bad_request("name must not be empty");
    }
    let users = new.users.unwrap_or(250);
    if users > MAX_USERS {
        return bad_request(format!("users must be at most {MAX_USERS}"));
    }
    let domain = new
        .domain
        .map(|d| d.trim().to_ascii_lowercase())
        .unwrap_or_else(|| format!("{}.onmicrosoft.com", domain_label(&name)));
    let valid_domain = domain.contains('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !valid_domain {
        return bad_request(format!("'{domain}' is not a valid domain name"));
    }
    if sim.read().tenant(&domain).is_some() {
        return error(
            StatusCode::CONFLICT,
            "conflict",
            format!("a tenant with the domain {domain} exists"),
        );
    }
    // Generated outside the lock: a 100,000-user tenant takes a moment.
    let tenant = seed::build_tenant(&TenantSeed {
        name,
        domain: domain.clone(),
        users,
    });
    let mut world = sim.write();
    if world.tenant(&domain).is_some() {
        return error(
            StatusCode::CONFLICT,
            "conflict",
            format!("a tenant with the domain {domain} exists"),
        );
    }
    let body = tenant_json(&tenant);
    tracing::info!(tenant = %tenant.id, users = tenant.users.len(), "tenant created");
    world.tenants.push(tenant);
    HttpResponse::Created().json(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    assigned: bool,
}

async fn directory_role(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let change: RoleChange = match parse(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    let Some(sp_id) = t.service_principal.as_ref().map(|sp| sp.id.clone()) else {
        return error(
            StatusCode::CONFLICT,
            "no_service_principal",
            "the app has no service principal in this tenant: admin consent was not granted",
        );
    };
    if change.assigned {
        t.assign_role(&sp_id, TEAMS_COMMUNICATIONS_ADMINISTRATOR);
    } else {
        t.remove_role(&sp_id, TEAMS_COMMUNICATIONS_ADMINISTRATOR);
    }
    HttpResponse::Ok().json(tenant_json(t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentChange {
    granted: bool,
    /// With `granted: true`: exactly these application permissions (a tenant that consented to
    /// an older, shorter list); without: the app's registered list.
    #[serde(default)]
    permissions: Option<Vec<String>>,
}

/// Most permissions a partial grant may list.
const MAX_PERMISSIONS: usize = 20;

/// `Resource.Operation[.Constraint...]`: letters and digits, at least two dot-separated parts.
fn permission_like(name: &str) -> bool {
    name.len() <= 100
        && name.split('.').count() >= 2
        && name.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// The validated, de-duplicated list, or the 400 explaining what is wrong.
fn validate_permissions(list: &[String]) -> Result<Vec<String>, Box<HttpResponse>> {
    if list.len() > MAX_PERMISSIONS {
        return Err(Box::new(bad_request(format!(
            "permissions must list at most {MAX_PERMISSIONS} entries"
        ))));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for p in list {
        let p = p.trim();
        if !permission_like(p) {
            return Err(Box::new(bad_request(format!(
                "'{p}' is not a permission name (like User.Read.All)"
            ))));
        }
        if !out.iter().any(|x| x == p) {
            out.push(p.to_string());
        }
    }
    Ok(out)
}

async fn consent(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let change: ConsentChange = match parse(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let permissions = match (&change.permissions, change.granted) {
        (None, _) => None,
        (Some(_), false) => {
            return bad_request("permissions may only be given with \"granted\": true")
        }
        (Some(list), true) => match validate_permissions(list) {
            Ok(list) => Some(list),
            Err(res) => return *res,
        },
    };
    let id = path.into_inner();
    let app = &sim.inner.app;
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    if t.personal && change.granted {
        return error(
            StatusCode::CONFLICT,
            "personal_accounts",
            "personal Microsoft accounts have no directory to grant admin consent for",
        );
    }
    match (change.granted, permissions) {
        (true, Some(list)) => t.set_permissions(&app.client_id, &app.display_name, &list),
        (true, None) => t.consent(&app.client_id, &app.display_name, &app.permissions),
        (false, _) => t.revoke(),
    }
    HttpResponse::Ok().json(tenant_json(t))
}

async fn user_token(sim: web::Data<Simulator>, path: web::Path<(String, String)>) -> HttpResponse {
    let (id, upn) = path.into_inner();
    let found = {
        let world = sim.read();
        let Some(t) = world.tenant(&id) else {
            return unknown_tenant(&id);
        };
        t.user(&upn)
            .map(|u| (t.id.clone(), u.clone(), t.roles_of(&u.id)))
    };
    let Some((tid, user, wids)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no user '{upn}' in tenant '{id}'"),
        );
    };
    match identity::user_token(&sim, &tid, &user, &wids) {
        Ok((token, lifetime)) => HttpResponse::Ok().json(json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "access_token": token,
        })),
        Err(e) => {
            tracing::error!(error = %e, "signing failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "signing failed",
            )
        }
    }
}

async fn list_faults(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"faults": sim.faults().list()}))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Fault>),
    One(Fault),
}

/// Replaces the active faults with the given one (object) or ones (array).
async fn put_faults(sim: web::Data<Simulator>, body: web::Bytes) -> HttpResponse {
    let faults = match parse::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(v)) => v,
        Ok(OneOrMany::One(f)) => vec![f],
        Err(_) => {
            // Say what is wrong with the single-object form, the common case.
            return match serde_json::from_slice::<Fault>(&body) {
                Err(e) => bad_request(format!("invalid fault: {e}")),
                Ok(_) => bad_request("invalid fault"),
            };
        }
    };
    let mut resolved = Vec::with_capacity(faults.len());
    for mut f in faults {
        if let Some(problem) = f.problem() {
            return bad_request(problem);
        }
        if let Some(t) = &f.tenant {
            match sim.read().tenant(t) {
                Some(tenant) => f.tenant = Some(tenant.id.clone()),
                None => return bad_request(format!("no tenant '{t}'")),
            }
        }
        resolved.push(f);
    }
    let mut faults = sim.faults();
    faults.replace(resolved);
    HttpResponse::Ok().json(json!({"faults": faults.list()}))
}

async fn clear_faults(sim: web::Data<Simulator>) -> HttpResponse {
    sim.faults().clear();
    HttpResponse::NoContent().finish()
}

// --- Directory users and Teams numbers, changed out of band of Graph (an admin in the Entra
// portal or Teams PowerShell). Every change is recorded for users delta.

/// A user for the control API: Graph's names for the fields the control API sets, plus its
/// Teams phone state.
fn user_json(t: &Tenant, u: &User) -> Value {
    json!({
        "id": u.id,
        "userPrincipalName": u.upn,
        "displayName": u.display_name,
        "usageLocation": u.usage_location,
        "accountEnabled": u.account_enabled,
        "teamsPhoneLicense": u.has_teams_phone(),
        "assignedLicenses": u.licenses.iter().map(|sku| json!({"disabledPlans": u.disabled_plans(sku), "skuId": sku})).collect::<Vec<_>>(),
        "isEnterpriseVoiceEnabled": u.enterprise_voice,
        "telephoneNumbers": t.numbers_of(&u.id).map(|n| json!({
            "telephoneNumber": n.telephone_number,
            "assignmentCategory": n.assignment_category,
        })).collect::<Vec<_>>(),
        "createdDateTime": u.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

fn unknown_user(tenant: &str, user: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no user '{user}' in tenant '{tenant}'"),
    )
}

fn personal_tenant() -> HttpResponse {
    error(
        StatusCode::CONFLICT,
        "personal_accounts",
        "the personal Microsoft accounts tenant has no directory to change",
    )
}

/// `local@domain`, the domain being the tenant's (a UPN's suffix is one of its verified
/// domains; the simulated tenants have one), the local part as Entra allows it.
fn upn_problem(upn: &str, domain: &str) -> Option<String> {
    let Some((local, suffix)) = upn.rsplit_once('@') else {
        return Some(format!(
            "userPrincipalName '{upn}' must look like name@{domain}"
        ));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c));
    if !local_ok {
        return Some(format!(
            "userPrincipalName '{upn}': the part before @ may hold letters, digits and ' . - _ ! # ^ ~ (at most 64)"
        ));
    }
    if !suffix.eq_ignore_ascii_case(domain) {
        return Some(format!(
            "userPrincipalName '{upn}' must end with the tenant's domain @{domain}"
        ));
    }
    None
}

fn display_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("displayName must not be empty".into())
    } else if name.chars().count() > 256 {
        Some("displayName must be at most 256 characters".into())
    } else {
        None
    }
}

/// A usage location: two letters (ISO 3166-1 alpha-2), upper-cased.
fn usage_location(raw: Option<String>) -> Result<Option<String>, Box<HttpResponse>> {
    match raw {
        None => Ok(None),
        Some(code) => {
            let code = code.trim().to_ascii_uppercase();
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(Some(code))
            } else {
                Err(Box::new(bad_request(format!(
                    "usageLocation '{code}' is not a two-letter country code (like US) or null"
                ))))
            }
        }
    }
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewUser {
    user_principal_name: String,
    display_name: String,
    #[serde(default)]
    usage_location: Option<String>,
    #[serde(default)]
    teams_phone_license: bool,
    #[serde(default = "default_true")]
    account_enabled: bool,
}

async fn create_user(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let new: NewUser = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let upn = new.user_principal_name.trim().to_string();
    let display_name = new.display_name.trim().to_string();
    if let Some(problem) = display_name_problem(&display_name) {
        return bad_request(problem);
    }
    let location = match usage_location(new.usage_location) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    sim.settle(&id);
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    if t.personal {
        return personal_tenant();
    }
    if let Some(problem) = upn_problem(&upn, &t.domain) {
        return bad_request(problem);
    }
    if t.by_upn.contains_key(&upn.to_ascii_lowercase()) {
        return error(
            StatusCode::CONFLICT,
            "conflict",
            format!("a user with the userPrincipalName {upn} exists"),
        );
    }
    let now = Utc::now();
    let i = t.add_user(User {
        id: http::new_id(),
        upn,
        display_name,
        usage_location: location,
        account_enabled: new.account_enabled,
        licenses: if new.teams_phone_license {
            vec![TEAMS_PHONE_SKU]
        } else {
            Vec::new()
        },
        e5_phone_disabled: false,
        licensed: now,
        enterprise_voice: false,
        created: now,
        modified: now,
        ordinal: 0,
        changed: 0,
    });
    let user = &t.users[i];
    tracing::info!(tenant = %t.id, user = %user.id, "user created (control API)");
    HttpResponse::Created().json(user_json(t, user))
}

/// A field that may be absent (keep), null (clear) or a value.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserChange {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    usage_location: Option<Option<String>>,
    #[serde(default)]
    teams_phone_license: Option<bool>,
    #[serde(default)]
    account_enabled: Option<bool>,
}

async fn update_user(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let change: UserChange = match parse(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let (id, who) = path.into_inner();
    let display_name = change.display_name.map(|n| n.trim().to_string());
    if let Some(problem) = display_name.as_deref().and_then(display_name_problem) {
        return bad_request(problem);
    }
    let location = match change.usage_location.map(usage_location).transpose() {
        Ok(l) => l,
        Err(r) => return *r,
    };
    sim.settle(&id);
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    let Some(i) = t.user_index(&who) else {
        return unknown_user(&id, &who);
    };
    let u = &mut t.users[i];
    let mut changed = false;
    if let Some(name) = display_name.filter(|n| *n != u.display_name) {
        u.display_name = name;
        changed = true;
    }
    if let Some(location) = location.filter(|l| *l != u.usage_location) {
        u.usage_location = location;
        changed = true;
    }
    if let Some(enabled) = change.account_enabled.filter(|e| *e != u.account_enabled) {
        u.account_enabled = enabled;
        changed = true;
    }
    if let Some(licensed) = change
        .teams_phone_license
        .filter(|l| *l != u.has_teams_phone())
    {
        u.set_teams_phone(licensed);
        u.licensed = Utc::now();
        changed = true;
    }
    if changed {
        t.touch(i);
        tracing::info!(tenant = %t.id, user = %t.users[i].id, "user changed (control API)");
    }
    HttpResponse::Ok().json(user_json(t, &t.users[i]))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteQuery {
    /// Gone for good (`@removed` reason `deleted`); by default a soft delete (`changed`).
    #[serde(default)]
    permanent: bool,
}

async fn delete_user(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
    query: web::Query<DeleteQuery>,
) -> HttpResponse {
    let (id, who) = path.into_inner();
    sim.settle(&id);
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    let Some(i) = t.user_index(&who) else {
        return unknown_user(&id, &who);
    };
    if let Some(user) = t.delete_user(i, query.permanent) {
        tracing::info!(tenant = %t.id, user = %user.id, "user deleted (control API)");
    }
    HttpResponse::NoContent().finish()
}

/// `+` and 8 to 15 digits; a number given without its `+` gets one (as Teams stores it).
fn telephone_number(raw: &str) -> Result<String, Box<HttpResponse>> {
    let raw = raw.trim();
    let number = if raw.starts_with('+') {
        raw.to_string()
    } else {
        format!("+{raw}")
    };
    if graph::valid_e164(&number) {
        Ok(number)
    } else {
        Err(Box::new(bad_request(format!(
            "'{raw}' is not an E.164 telephone number (+ followed by 8 to 15 digits)"
        ))))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewAssignment {
    telephone_number: String,
    /// The user's object id or UPN (for a user's number, the default).
    #[serde(default)]
    user_id: Option<String>,
    /// `userAssigned` (default), `voiceApplicationAssigned` (a resource account: auto
    /// attendant or call queue) or `conferenceAssigned` (an audio conferencing bridge).
    #[serde(default)]
    assignment_status: Option<String>,
    /// The resource account's or bridge's id (generated when absent); not with a user.
    #[serde(default)]
    assignment_target_id: Option<String>,
    /// `directRouting` (default), `callingPlan` or `operatorConnect`.
    #[serde(default)]
    number_type: Option<String>,
    /// One of the tenant's LIS locations.
    #[serde(default)]
    location_id: Option<String>,
}

/// Assigns a number now, as Set-CsPhoneNumberAssignment would: to a user (Direct Routing; the
/// number joins the inventory if it was not there), or to a resource account or conference
/// bridge (any number type; such numbers are not users' and Graph cannot assign them to one).
async fn assign_number(
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let new: NewAssignment = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let number = match telephone_number(&new.telephone_number) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let kind = match new.assignment_status.as_deref().unwrap_or("userAssigned") {
        "userAssigned" => TargetKind::User,
        "voiceApplicationAssigned" => TargetKind::VoiceApplication,
        "conferenceAssigned" => TargetKind::Conference,
        other => {
            return bad_request(format!(
                "assignmentStatus '{other}' must be userAssigned, voiceApplicationAssigned or conferenceAssigned"
            ))
        }
    };
    let number_type = match new.number_type.as_deref() {
        None => NumberType::DirectRouting,
        Some(t) => match NumberType::parse(t) {
            Some(t) => t,
            None => {
                return bad_request(format!(
                    "numberType '{t}' must be directRouting, callingPlan or operatorConnect"
                ))
            }
        },
    };
    let id = path.into_inner();
    sim.settle(&id);
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    let location_id = match new.location_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => match t.policies.location(l) {
            Some(found) => Some(found.id.clone()),
            None => return bad_request(format!("no LIS location '{l}' in tenant '{id}'")),
        },
    };
    if kind != TargetKind::User {
        if new.user_id.is_some() {
            return bad_request("userId is for userAssigned numbers; give assignmentTargetId");
        }
        return assign_to_resource(
            t,
            number,
            number_type,
            kind,
            new.assignment_target_id,
            location_id,
        );
    }
    if new.assignment_target_id.is_some() {
        return bad_request("a user's number names the user with userId");
    }
    let Some(who) = new.user_id else {
        return bad_request("userId is required for a userAssigned number");
    };
    let Some(user_id) = t.user(&who).map(|u| u.id.clone()) else {
        return unknown_user(&id, &who);
    };
    match t.assign(&number, &user_id, number_type, "primary", location_id) {
        Ok(i) => {
            tracing::info!(tenant = %t.id, user = %user_id, "number assigned (control API)");
            HttpResponse::Created().json(graph::number_json(&t.numbers[i]))
        }
        Err(e) => {
            let code = match e {
                AssignError::UserNotFound(_) => {
                    return unknown_user(&id, &who);
                }
                AssignError::NotLicensed { .. } => "not_licensed",
                AssignError::AssignedToOther(_) => "conflict",
                AssignError::WrongType { .. } | AssignError::NotInInventory { .. } => "number_type",
                AssignError::UnknownLocation(_) => "not_found",
            };
            error(StatusCode::CONFLICT, code, e.detail())
        }
    }
}

/// A resource account's or conference bridge's number: free (or already that holder's)
/// numbers only.
fn assign_to_resource(
    t: &mut Tenant,
    number: String,
    number_type: NumberType,
    kind: TargetKind,
    target: Option<String>,
    location_id: Option<String>,
) -> HttpResponse {
    let target = target
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_else(http::new_id);
    if uuid::Uuid::parse_str(&target).is_err() {
        return bad_request(format!("assignmentTargetId '{target}' is not a GUID"));
    }
    if t.by_id.contains_key(&target) {
        return bad_request(format!(
            "'{target}' is a user; a user's number is userAssigned"
        ));
    }
    let i = match t.number_index(&number) {
        Some(i) => {
            let n = &t.numbers[i];
            if n.assignment_target_id
                .as_ref()
                .is_some_and(|holder| *holder != target)
            {
                return error(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "Telephone Number '{number}' has already been assigned to another user"
                    ),
                );
            }
            if n.number_type != number_type {
                return error(
                    StatusCode::CONFLICT,
                    "number_type",
                    format!(
                        "The telephone number {number} is a {} number, not {}.",
                        n.number_type.as_str(),
                        number_type.as_str()
                    ),
                );
            }
            i
        }
        None => {
            let iso = crate::state::country_of_number(&number).map(str::to_string);
            t.insert_number(NumberAssignment::new(number, number_type, iso))
        }
    };
    let n = &mut t.numbers[i];
    n.assignment_target_id = Some(target);
    n.target_kind = kind;
    n.assignment_category = "primary".into();
    n.activation = Activation::Activated;
    if location_id.is_some() {
        n.location_id = location_id;
    }
    tracing::info!(tenant = %t.id, status = n.assignment_status(), "number assigned (control API)");
    HttpResponse::Created().json(graph::number_json(n))
}

/// Unassigns a number now, as Remove-CsPhoneNumberAssignment would: it stays in the inventory.
async fn unassign_number(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, raw) = path.into_inner();
    // `+` may arrive percent-encoded (%2B), which the router leaves as is.
    let number = match telephone_number(&http::decode_path(&raw)) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    sim.settle(&id);
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&id) else {
        return unknown_tenant(&id);
    };
    let Some(i) = t.number_index(&number) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no telephone number {number} in tenant '{id}'"),
        );
    };
    t.release(i);
    tracing::info!(tenant = %t.id, "number unassigned (control API)");
    HttpResponse::NoContent().finish()
}

// --- Simulator-wide switches.

/// A PUT changes the settings it names and keeps the others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    number_assignments_next_link: Option<bool>,
    /// How long after assign/unassign `effectivePolicyAssignments` shows the change.
    #[serde(default)]
    policy_delay_ms: Option<u64>,
}

/// Longest policy delay the settings accept (a test waits that long).
const MAX_POLICY_DELAY_MS: u64 = 600_000;

fn settings_json(sim: &Simulator) -> Value {
    json!({
        "number_assignments_next_link": sim.number_next_links(),
        "policy_delay_ms": u64::try_from(sim.policy_delay().as_millis()).unwrap_or(u64::MAX),
    })
}

async fn get_settings(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(settings_json(&sim))
}

async fn put_settings(sim: web::Data<Simulator>, body: web::Bytes) -> HttpResponse {
    let settings: Settings = match parse(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if settings
        .policy_delay_ms
        .is_some_and(|ms| ms > MAX_POLICY_DELAY_MS)
    {
        return bad_request(format!(
            "policy_delay_ms must be at most {MAX_POLICY_DELAY_MS}"
        ));
    }
    if let Some(on) = settings.number_assignments_next_link {
        sim.set_number_next_links(on);
    }
    if let Some(ms) = settings.policy_delay_ms {
        sim.set_policy_delay(std::time::Duration::from_millis(ms));
    }
    HttpResponse::Ok().json(settings_json(&sim))
}
